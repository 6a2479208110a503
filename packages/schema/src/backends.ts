/**
 * Backends losslab knows, fastest first. `tensorflow` is native TF via `@tensorflow/tfjs-node`.
 * Here, without TensorFlow.js, so that reading the command line does not load it;
 * `@losslab/runtime` re-exports them beside `selectBackend`.
 *
 * @example BACKENDS.includes('wasm') // true
 */
export const BACKENDS = ['tensorflow', 'wasm', 'cpu'] as const;
export type BackendName = (typeof BACKENDS)[number];
