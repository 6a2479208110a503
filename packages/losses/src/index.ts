export { defineLoss, defineElementwiseLoss, nameOf } from './types.js';
export type { Loss, ElementwiseLoss, CrossentropyTerms } from './types.js';
export { checkLossInputs, checkTargetWidth } from './guards.js';
export { categoricalCrossentropy, binaryCrossentropy, binaryCrossentropyElementwise } from './crossentropy.js';
export type { CrossentropyOptions, CategoricalCrossentropyOptions } from './crossentropy.js';
export { softmaxCrossentropy, logitAdjusted, logitAdjustments, balancedSoftmax } from './logit-adjusted.js';
export type { SoftmaxCrossentropyOptions, LogitAdjustedOptions, BalancedSoftmaxOptions } from './logit-adjusted.js';
export { ldam, ldamMargins } from './ldam.js';
export type { LdamOptions } from './ldam.js';
export {
  absoluteError,
  squaredError,
  huberElementwise,
  meanOverColumns,
  meanAbsoluteError,
  meanSquaredError,
  huber,
} from './regression.js';
export type { HuberOptions } from './regression.js';
export { focal } from './focal.js';
export type { FocalOptions } from './focal.js';
export { sliced } from './sliced.js';
export { masked } from './masked.js';
export type { MaskedOptions } from './masked.js';
export { sampleWeighted } from './sample-weighted.js';
export type { SampleWeightedOptions } from './sample-weighted.js';
export { classWeighted } from './class-weighted.js';
export type { ClassWeightedOptions } from './class-weighted.js';
export { columnWeighted } from './column-weighted.js';
export type { ColumnWeightedOptions } from './column-weighted.js';
export { classIndices } from './class-indices.js';
export { classCounts, classWeights } from './class-weights.js';
export type { ClassWeightStrategy, ClassCountsOptions } from './class-weights.js';
export { DEFAULT_REDUCTION, REDUCTIONS, requireReduction, reducePerSample, reduceLoss } from './reduction.js';
export type { Reduction, ScalarReduction } from './reduction.js';
export { toLayersLoss } from './layers-loss.js';
export type { LayersLossFunction, LayersLossOptions } from './layers-loss.js';
export { softmaxCrossentropyOnHost } from './fused-crossentropy.js';
export type { HostCrossentropy } from './fused-crossentropy.js';
