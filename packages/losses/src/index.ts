export { defineLoss, defineElementwiseLoss, nameOf } from './types';
export type { Loss, ElementwiseLoss } from './types';
export { checkLossInputs, checkTargetWidth } from './guards';
export { categoricalCrossentropy, binaryCrossentropy, binaryCrossentropyElementwise } from './crossentropy';
export type { CrossentropyOptions, CategoricalCrossentropyOptions } from './crossentropy';
export {
  absoluteError,
  squaredError,
  huberElementwise,
  meanOverColumns,
  meanAbsoluteError,
  meanSquaredError,
  huber,
} from './regression';
export type { HuberOptions } from './regression';
export { focal } from './focal';
export type { FocalOptions } from './focal';
export { sliced } from './sliced';
export { masked } from './masked';
export type { MaskedOptions } from './masked';
export { sampleWeighted } from './sample-weighted';
export type { SampleWeightedOptions } from './sample-weighted';
export { classWeighted } from './class-weighted';
export type { ClassWeightedOptions } from './class-weighted';
export { columnWeighted } from './column-weighted';
export type { ColumnWeightedOptions } from './column-weighted';
export { classIndices } from './class-indices';
export { classCounts, classWeights } from './class-weights';
export type { ClassWeightStrategy, ClassCountsOptions } from './class-weights';
export { REDUCTIONS, requireReduction, reducePerSample, reduceLoss } from './reduction';
export type { Reduction, ScalarReduction } from './reduction';
export { toLayersLoss } from './layers-loss';
export type { LayersLossFunction, LayersLossOptions } from './layers-loss';
