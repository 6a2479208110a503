export { fit } from './fit';
export type { EpochEntry, FitOptions } from './fit';
export { createOptimizer } from './optimizer';
export type { OptimizerSpec, AdamSpec, SgdSpec, CreateOptimizerOptions } from './optimizer';
export { HostAdam, isHostAdam } from './host-adam';
export { formatEta, kerasProgress, progressBar, silentProgress } from './progress';
export type { KerasProgressOptions, ProgressReporter, ProgressStream } from './progress';
export { learningRateAt, learningRateOf, setLearningRate, earlyStoppingState } from './schedule';
export type { EarlyStoppingState } from './schedule';
