export { LosslabError, isLosslabError, requireInteger } from './errors';
export type { LosslabErrorCode } from './errors';
export { createRng, deriveSeed } from './rng';
export type { Rng } from './rng';
export { BACKENDS, BACKEND_ENV_VAR, selectBackend, describeBackend, isBackendName } from './backend';
export type { BackendName, BackendInfo, SelectBackendOptions } from './backend';
export { liveTensorCount, expectNoTensorLeak } from './leaks';
export { labelLayout, labelBlock, checkLabelWidth, sliceBlock } from './layout';
export type { LabelLayout, LabelBlock } from './layout';
