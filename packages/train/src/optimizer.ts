import * as tf from '@tensorflow/tfjs-core';
import { LosslabError } from '@losslab/runtime';
import { HostAdam } from './host-adam';

/** Adam with Keras' defaults (learning rate 0.001, β1 0.9, β2 0.999, ε 1e-7). */
export interface AdamSpec {
  readonly kind: 'adam';
  readonly learningRate?: number;
  readonly beta1?: number;
  readonly beta2?: number;
  readonly epsilon?: number;
}

/** Plain stochastic gradient descent. */
export interface SgdSpec {
  readonly kind: 'sgd';
  readonly learningRate: number;
}

export type OptimizerSpec = AdamSpec | SgdSpec;

const positive = (field: string, value: number): number => {
  if (!(Number.isFinite(value) && value > 0)) {
    throw new LosslabError('INVALID_ARGUMENT', `optimizer.${field}: expected a positive number, got ${String(value)}`);
  }
  return value;
};

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
 * Creates a TF.js optimizer from its spec. Adam is a {@link HostAdam} on the cpu and wasm
 * backends (see {@link CreateOptimizerOptions.host}), `tf.train.adam` elsewhere; both give the
 * same weights.
 *
 * @example
 * const adam = createOptimizer({ kind: 'adam' }); // Keras defaults
 * const stock = createOptimizer({ kind: 'adam' }, { host: false }); // tf.train.adam
 */
export function createOptimizer(spec: OptimizerSpec, options: CreateOptimizerOptions = {}): tf.Optimizer {
  switch (spec.kind) {
    case 'adam': {
      const host = options.host ?? HOST_MEMORY_BACKENDS.has(tf.getBackend());
      return new (host ? HostAdam : tf.AdamOptimizer)(
        positive('learningRate', spec.learningRate ?? 0.001),
        positive('beta1', spec.beta1 ?? 0.9),
        positive('beta2', spec.beta2 ?? 0.999),
        positive('epsilon', spec.epsilon ?? 1e-7),
      );
    }
    case 'sgd':
      return tf.train.sgd(positive('learningRate', spec.learningRate));
  }
}
