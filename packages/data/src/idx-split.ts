import { LosslabError } from '@losslab/runtime';
import { type DataFile, type IdxArray, type IdxReadOptions, readIdxWithFile } from './idx.js';
import type { LabelledRows } from './rows.js';
import { scaleToFloat32 } from './encode.js';

/** The two files of an IDX split: `images` (rank ≥ 2, first dimension = count) and `labels` (rank 1). */
export interface IdxSplitPaths {
  readonly images: string;
  readonly labels: string;
}

/**
 * How stored values become features: `{ divideBy: d }` stores x / d (computed in double, then
 * rounded once to float32; d = 255 gives exactly `scalePixels`), `'none'` stores x as float32.
 */
export type IdxScale = { readonly divideBy: number } | 'none';

/**
 * Options of {@link readIdxSplit}: the scale, and the {@link IdxReadOptions} applied to both files
 * while they are read (`limit`: only the first `limit` rows are kept and decoded; `maxBytes`).
 */
export interface IdxSplitOptions extends IdxReadOptions {
  readonly scale: IdxScale;
}

/** What {@link readIdxSplit} returns: the rows and the files read (images, then labels) with their sha256. */
export interface IdxSplit {
  readonly rows: LabelledRows;
  readonly files: DataFile[];
}

const LABEL_DTYPES = ['uint8', 'int8', 'int16', 'int32'] as const;

/** Throws `DATA_FORMAT` naming both files unless the image and label counts agree; `what` prefixes the message. */
export function checkIdxCounts(
  what: string,
  images: { readonly path: string; readonly count: number },
  labels: { readonly path: string; readonly count: number },
): void {
  if (images.count !== labels.count) {
    throw new LosslabError(
      'DATA_FORMAT',
      `${what} counts disagree: ${images.path} has ${images.count} images but ${labels.path} has ${labels.count} labels`,
    );
  }
}

function checkScale(scale: unknown): number | undefined {
  if (scale === 'none') return undefined;
  const divideBy = typeof scale === 'object' && scale !== null ? (scale as { divideBy?: unknown }).divideBy : undefined;
  if (typeof divideBy !== 'number' || !Number.isFinite(divideBy) || divideBy <= 0) {
    throw new LosslabError(
      'INVALID_ARGUMENT',
      `options.scale: expected "none" or { divideBy: a finite number > 0 }, got ${typeof divideBy === 'number' ? `{ divideBy: ${divideBy} }` : scale === undefined ? 'undefined' : JSON.stringify(scale)}`,
    );
  }
  return divideBy;
}

/** The class ids of a rank-1 integer IDX label array, as Int32; a negative label is an error naming its index. */
function classIdsOf(array: IdxArray, path: string): Int32Array {
  const dtype: string = array.dtype;
  if (array.shape.length !== 1 || !(LABEL_DTYPES as readonly string[]).includes(dtype)) {
    throw new LosslabError(
      'DATA_FORMAT',
      `IDX label file ${path}: expected a rank-1 integer (${LABEL_DTYPES.join(', ')}) IDX array, got rank ${array.shape.length} ${array.dtype} [${array.shape.join(', ')}]`,
    );
  }
  const ids = Int32Array.from(array.data);
  const negative = ids.findIndex((id) => id < 0);
  if (negative >= 0) {
    throw new LosslabError(
      'DATA_FORMAT',
      `IDX label file ${path}: label ${negative} is ${ids[negative]}; expected a class id >= 0`,
    );
  }
  return ids;
}

/**
 * Reads a pair of IDX files into {@link LabelledRows}: any image file of rank ≥ 2 and any element
 * type (shape [count, ...featureShape]; MNIST is [60000, 28, 28] uint8) and a rank-1 integer label
 * file of the same count (one class id ≥ 0 per row), each plain or gzip. Features are scaled by
 * `options.scale` and stored as float32 ('none' rounds float64 and large int32 values to float32).
 * `columns` is `{}`. `files` fingerprints both files as stored (images first). With `limit`, only
 * the first `limit` rows of each file are kept, decoded and checked (a later negative label is
 * never read); the files are still streamed whole for their length checks and sha256.
 *
 * Errors: a missing file → `IO`; a corrupt file (see `readIdx`), an image file of rank 1, a label
 * file that is not rank-1 integer, a negative label, or counts that disagree → `DATA_FORMAT`,
 * naming the file(s), e.g. `IDX counts disagree: a.idx has 3 images but b.idx has 2 labels`.
 *
 * @example
 * const { rows, files } = await readIdxSplit(mnistFiles({ split: 'test' }), { scale: { divideBy: 255 } });
 * rows.size; // 10000; rows.featureShape [28, 28]; rows.classIds[0] 7
 */
export async function readIdxSplit(paths: IdxSplitPaths, options: IdxSplitOptions): Promise<IdxSplit> {
  const divideBy = checkScale(options.scale);
  const read: IdxReadOptions = {
    ...(options.limit === undefined ? {} : { limit: options.limit }),
    ...(options.maxBytes === undefined ? {} : { maxBytes: options.maxBytes }),
  };
  const [images, labels] = await Promise.all([
    readIdxWithFile(paths.images, read),
    readIdxWithFile(paths.labels, read),
  ]);
  if (images.array.shape.length < 2) {
    throw new LosslabError(
      'DATA_FORMAT',
      `IDX image file ${paths.images}: expected rank >= 2 (count, then the shape of one row), got rank ${images.array.shape.length} ${images.array.dtype} [${images.array.shape.join(', ')}]`,
    );
  }
  const classIds = classIdsOf(labels.array, paths.labels);
  const [count, ...featureShape] = images.array.shape as [number, ...number[]];
  // The counts the files declare, whatever `limit` kept: a mismatched pair is refused either way.
  checkIdxCounts('IDX', { path: paths.images, count: images.items }, { path: paths.labels, count: labels.items });
  const features =
    divideBy === undefined ? Float32Array.from(images.array.data) : scaleToFloat32(images.array.data, divideBy);
  return {
    rows: { features, featureShape, classIds, columns: {}, size: count },
    files: [images.file, labels.file],
  };
}
