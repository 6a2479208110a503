export { fit } from './fit';
export type { EpochEntry, FitOptions } from './fit';
export { createOptimizer } from './optimizer';
export type { OptimizerSpec, AdamSpec, SgdSpec } from './optimizer';
export { kerasProgress, progressBar, silentProgress } from './progress';
export type { ProgressReporter, ProgressStream } from './progress';
