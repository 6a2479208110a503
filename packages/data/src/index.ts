export { readIdx, decodeIdx, encodeIdx, writeIdx, fileSha256 } from './idx';
export type { IdxArray, IdxDtype, IdxData } from './idx';
export { loadMnist, loadMnistLabels, mnistDataDir, mnistFiles, scalePixels, oneHot } from './mnist';
export type { MnistSplit, MnistOptions, MnistData, MnistLabels, DataFile } from './mnist';
export { combineLabels } from './labels';
export { arrayDataset, checkDataset, featureSize, subset, take, concatDatasets, datasetTensors } from './dataset';
export type { ArrayDataset, Batch } from './dataset';
export { batchCount, epochOrder, batches } from './batches';
export type { BatchPlan } from './batches';
