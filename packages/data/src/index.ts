export { readIdx, decodeIdx, encodeIdx, writeIdx, fileSha256 } from './idx';
export type { IdxArray, IdxDtype, IdxData, DataFile } from './idx';
export { loadMnist, loadMnistLabels, mnistDataDir, mnistFiles, scalePixels, oneHot } from './mnist';
export type { MnistSplit, MnistOptions, MnistData, MnistLabels } from './mnist';
export { checkRows, selectRows, classCountsOf } from './rows';
export type { LabelledRows } from './rows';
export { subsampleClasses, longTail, longTailCounts, carveSplit } from './transforms';
export type { SubsampleClassesOptions, LongTailOptions, CarveSplitOptions, CarvedSplit } from './transforms';
export { readIdxSplit } from './idx-split';
export type { IdxSplitPaths, IdxScale, IdxSplitOptions, IdxSplit } from './idx-split';
export { readCsvSplit } from './csv';
export type { CsvWindow, CsvSplitOptions, CsvSplit } from './csv';
export { oneHotBlock, classFlagBlock, columnBlock } from './derive';
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
