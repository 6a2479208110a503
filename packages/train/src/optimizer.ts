import * as tf from '@tensorflow/tfjs-core';
import { LosslabError } from '@losslab/runtime';
import { AdamOptimizer, formatErrors, SgdOptimizer, tagged } from '@losslab/schema';
import { HostAdam } from './host-adam.js';

/** Adam with Keras' defaults (learning rate 0.001, β1 0.9, β2 0.999, ε 1e-7): the schema's `AdamOptimizer`. */
export type AdamSpec = AdamOptimizer;

/** Plain stochastic gradient descent: the schema's `SgdOptimizer`. */
export type SgdSpec = SgdOptimizer;

export type OptimizerSpec = AdamSpec | SgdSpec;

const OptimizerSettings = tagged('an optimizer', 'kind', { adam: AdamOptimizer, sgd: SgdOptimizer });

/** The spec, checked by the schema's codecs: `optimizer.learningRate: expected a positive number, got -1`. */
function validate(spec: OptimizerSpec): OptimizerSpec {
  const result = OptimizerSettings.decode(spec);
  if (result._tag === 'Left') {
    throw new LosslabError('INVALID_ARGUMENT', formatErrors(result.left, 'optimizer').join('; '));
  }
  return result.right;
}

/** How {@link createOptimizer} builds the optimiser. */
export interface CreateOptimizerOptions {
  /**
   * Run Adam's update on the host ({@link HostAdam}: the same float32 arithmetic as
   * `tf.train.adam`, without its ~14 tensor ops per variable and step). Default: true when the
   * active backend keeps tensors in host memory (`cpu`, `wasm`), false otherwise (a GPU backend
   * would pay a device readback per step).
   */
  readonly host?: boolean;
}

/** Backends whose tensors live in host memory, where a readback is a memory copy. */
const HOST_MEMORY_BACKENDS = new Set(['cpu', 'wasm']);

/**
 * Creates a TF.js optimizer from its spec, checked first by the schema's `AdamOptimizer` /
 * `SgdOptimizer` codecs (an `INVALID_ARGUMENT` error names each bad field and value). Adam is a
 * {@link HostAdam} on the cpu and wasm backends (see {@link CreateOptimizerOptions.host}),
 * `tf.train.adam` elsewhere; both give the same weights.
 *
 * @example
 * const adam = createOptimizer({ kind: 'adam' }); // Keras defaults
 * const stock = createOptimizer({ kind: 'adam' }, { host: false }); // tf.train.adam
 */
export function createOptimizer(spec: OptimizerSpec, options: CreateOptimizerOptions = {}): tf.Optimizer {
  const valid = validate(spec);
  switch (valid.kind) {
    case 'adam': {
      const host = options.host ?? HOST_MEMORY_BACKENDS.has(tf.getBackend());
      return new (host ? HostAdam : tf.AdamOptimizer)(
        valid.learningRate ?? 0.001,
        valid.beta1 ?? 0.9,
        valid.beta2 ?? 0.999,
        valid.epsilon ?? 1e-7,
      );
    }
    case 'sgd':
      return tf.train.sgd(valid.learningRate);
  }
}
