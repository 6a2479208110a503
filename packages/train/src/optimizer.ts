import * as tf from '@tensorflow/tfjs-core';
import { LosslabError } from '@losslab/runtime';

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

/**
 * Creates a TF.js optimizer from its spec.
 *
 * @example
 * const adam = createOptimizer({ kind: 'adam' }); // Keras defaults
 */
export function createOptimizer(spec: OptimizerSpec): tf.Optimizer {
  switch (spec.kind) {
    case 'adam':
      return tf.train.adam(
        positive('learningRate', spec.learningRate ?? 0.001),
        positive('beta1', spec.beta1 ?? 0.9),
        positive('beta2', spec.beta2 ?? 0.999),
        positive('epsilon', spec.epsilon ?? 1e-7),
      );
    case 'sgd':
      return tf.train.sgd(positive('learningRate', spec.learningRate));
  }
}
