import { LosslabError } from '@losslab/runtime';
import { sha256Of } from './file-hash.js';
import { readFileBytes, type DataFile } from './idx.js';
import { decodeNpy, decodeNpz, type NpyArray } from './npy.js';
import { checkRows, type LabelledRows } from './rows.js';

/** The arrays of one split: features `x` ([n, ...featureShape]) and labels `y`. */
export interface NumpySplitArrays {
  readonly x: string;
  readonly y: string;
}

/** Options of {@link numpyRows}. */
export interface NumpyRowsOptions {
  /** Features are divided by this (255 for 8-bit pixels); default 1. */
  readonly divideBy?: number;
}

const labelError = (what: string, detail: string): LosslabError =>
  new LosslabError('DATA_FORMAT', `${what}: ${detail}`);

/**
 * Class ids from a label array: shape [n] or [n, 1] of integer class ids (any dtype whose values
 * are whole numbers ≥ 0; bool gives 0/1), or [n, C ≥ 2] of one-hot rows (exactly one 1 per row).
 */
function classIdsOf(y: NpyArray, what: string): Int32Array {
  const [n = 0, width = 1, ...rest] = y.shape;
  if (y.shape.length === 0 || y.shape.length > 2 || rest.length > 0)
    throw labelError(
      what,
      `shape (${y.shape.join(', ')}): expected class ids (n,) or (n, 1), or one-hot rows (n, classes)`,
    );
  const ids = new Int32Array(n);
  if (y.shape.length === 1 || width === 1) {
    for (let row = 0; row < n; row++) {
      const value = y.values[row]!;
      if (!Number.isInteger(value) || value < 0 || value > 2 ** 31 - 1)
        throw labelError(what, `row ${row}: class id ${value} is not an integer ≥ 0`);
      ids[row] = value;
    }
    return ids;
  }
  for (let row = 0; row < n; row++) {
    let hot = -1;
    for (let column = 0; column < width; column++) {
      const value = y.values[row * width + column]!;
      if (value === 1 && hot < 0) hot = column;
      else if (value !== 0) {
        const shown = Array.from(y.values.subarray(row * width, (row + 1) * width)).join(', ');
        throw labelError(what, `row ${row} [${shown}] is not a one-hot row (one 1, the rest 0)`);
      }
    }
    if (hot < 0) throw labelError(what, `row ${row} has no 1; expected a one-hot row`);
    ids[row] = hot;
  }
  return ids;
}

/**
 * Rows from a feature array `x` of shape [n, ...featureShape] and a label array `y` (class ids
 * [n] or [n, 1], or one-hot rows [n, classes]); `what` names them in errors.
 *
 * @example
 * numpyRows(decodeNpy(xBytes, 'x.npy'), decodeNpy(yBytes, 'y.npy'), { x: 'x.npy', y: 'y.npy' });
 */
export function numpyRows(
  x: NpyArray,
  y: NpyArray,
  what: NumpySplitArrays,
  options: NumpyRowsOptions = {},
): LabelledRows {
  const [n, ...featureShape] = x.shape;
  if (n === undefined) throw new LosslabError('DATA_FORMAT', `${what.x}: a 0-d array has no rows; expected (n, ...)`);
  if (featureShape.some((d) => d === 0))
    throw new LosslabError('DATA_FORMAT', `${what.x}: shape (${x.shape.join(', ')}) has an empty feature axis`);
  if (y.shape[0] !== n)
    throw new LosslabError(
      'SHAPE_MISMATCH',
      `${what.y}: ${y.shape[0] ?? 0} labels for the ${n} rows of ${what.x} (shapes (${y.shape.join(', ')}) and (${x.shape.join(', ')}))`,
    );
  const divideBy = options.divideBy ?? 1;
  const features = Float32Array.from(x.values, (v) => v / divideBy);
  const rows: LabelledRows = { features, featureShape, classIds: classIdsOf(y, what.y), columns: {}, size: n };
  checkRows(rows, what.x);
  return rows;
}

/** One split read from NumPy files, and the files it read. */
export interface NumpySplit {
  readonly rows: LabelledRows;
  readonly files: readonly DataFile[];
}

/**
 * Reads a split from two `.npy` files (features, labels).
 *
 * @example
 * const { rows } = await readNpySplit({ x: 'data/x_train.npy', y: 'data/y_train.npy' });
 */
export async function readNpySplit(paths: NumpySplitArrays, options: NumpyRowsOptions = {}): Promise<NumpySplit> {
  const [xBytes, yBytes] = await Promise.all([readFileBytes(paths.x), readFileBytes(paths.y)]);
  return {
    rows: numpyRows(decodeNpy(xBytes, paths.x), decodeNpy(yBytes, paths.y), paths, options),
    files: [
      { path: paths.x, sha256: sha256Of(xBytes) },
      { path: paths.y, sha256: sha256Of(yBytes) },
    ],
  };
}

/**
 * Reads splits from one `.npz` archive: for each split the names of its feature and label arrays.
 *
 * @example
 * const { rows, file } = await readNpzSplits('table.npz', { train: { x: 'x_train', y: 'y_train' } });
 */
export async function readNpzSplits<S extends string>(
  path: string,
  splits: Readonly<Partial<Record<S, NumpySplitArrays>>>,
  options: NumpyRowsOptions = {},
): Promise<{ readonly rows: Partial<Record<S, LabelledRows>>; readonly file: DataFile }> {
  const bytes = await readFileBytes(path);
  const entries = Object.entries(splits).filter((e): e is [S, NumpySplitArrays] => e[1] !== undefined);
  const arrays = decodeNpz(
    bytes,
    path,
    entries.flatMap(([, names]) => [names.x, names.y]),
  );
  const rows: Partial<Record<S, LabelledRows>> = {};
  for (const [split, names] of entries)
    rows[split] = numpyRows(
      arrays[names.x]!,
      arrays[names.y]!,
      { x: `${path}:${names.x}`, y: `${path}:${names.y}` },
      options,
    );
  return { rows, file: { path, sha256: sha256Of(bytes) } };
}
