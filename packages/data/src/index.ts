export { readIdx, decodeIdx, encodeIdx, writeIdx, fileSha256 } from './idx';
export type { IdxArray, IdxDtype, IdxData } from './idx';
export { loadMnist, loadMnistLabels, mnistDataDir, mnistFiles, scalePixels, oneHot } from './mnist';
export type { MnistSplit, MnistOptions, MnistData, MnistLabels, DataFile } from './mnist';
export { combineLabels } from './labels';
export { arrayDataset, checkDataset, featureSize, subset, take, concatDatasets, datasetTensors } from './dataset';
export type { ArrayDataset, Batch } from './dataset';
export { batchCount, epochOrder, batches } from './batches';
export type { BatchPlan } from './batches';
export { defaultBlinkStreamConfig, resolveBlinkStreamConfig, generateBlinkStream } from './blink';
export type {
  Range,
  BlinkStreamConfig,
  BlinkStream,
  BlinkEvent,
  HardNegativeEvent,
  BlinkSubject,
  SyntheticSubject,
} from './blink';
export {
  BLINK_FEATURES,
  BLINK_GENERATOR_VERSION,
  blinkWindows,
  defaultBlinkSplitConfig,
  resolveBlinkSplitConfig,
  blinkFingerprint,
  blinkSplits,
} from './blink-windows';
export type { BlinkWindowOptions, BlinkSplitConfig, BlinkSubjectCounts, BlinkSplits } from './blink-windows';
export { readBlinkCsv } from './blink-csv';
export type { BlinkCsvOptions } from './blink-csv';
