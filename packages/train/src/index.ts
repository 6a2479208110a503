export { fit } from './fit.js';
export type { EpochEntry, FitOptions, FitResult, CheckpointOptions } from './fit.js';
export {
  captureCheckpoint,
  checkpointSha256,
  historyProblem,
  restoreCheckpoint,
  sealCheckpoint,
} from './checkpoint.js';
export type { CheckpointProgress, Sha256 } from './checkpoint.js';
export { createOptimizer, RMSPROP_DEFAULTS, ADAMW_DEFAULTS } from './optimizer.js';
export type { OptimizerSpec, AdamSpec, SgdSpec, RmspropSpec, AdamwSpec, CreateOptimizerOptions } from './optimizer.js';
export { HostAdam, isHostAdam } from './host-adam.js';
export type { NonFiniteWeight } from './host-adam.js';
export { HostOptimizer } from './host-optimizer.js';
export type { HostRule, SgdRule, RmspropRule, AdamwRule, GradientTransforms } from './host-optimizer.js';
export { formatEta, kerasProgress, progressBar, silentProgress } from './progress.js';
export type { KerasProgressOptions, ProgressReporter, ProgressStream } from './progress.js';
export { learningRateAt, learningRateOf, setLearningRate, earlyStoppingState } from './schedule.js';
export type { EarlyStoppingState } from './schedule.js';
