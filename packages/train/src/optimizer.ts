import * as tf from '@tensorflow/tfjs-core';
import { LosslabError } from '@losslab/runtime';
import { AdamOptimizer, AdamwOptimizer, formatErrors, RmspropOptimizer, SgdOptimizer, tagged } from '@losslab/schema';
import { HostAdam } from './host-adam.js';
import { HostOptimizer, type GradientTransforms } from './host-optimizer.js';

/** Adam with Keras' defaults (learning rate 0.001, β1 0.9, β2 0.999, ε 1e-7): the schema's `AdamOptimizer`. */
export type AdamSpec = AdamOptimizer;

/** Stochastic gradient descent, with optional momentum, Nesterov, L2 decay, clipping: the schema's `SgdOptimizer`. */
export type SgdSpec = SgdOptimizer;

/** RMSprop with Keras' defaults (ρ 0.9, momentum 0, ε 1e-7, not centered): the schema's `RmspropOptimizer`. */
export type RmspropSpec = RmspropOptimizer;

/** AdamW, decoupled weight decay scaled by the learning rate: the schema's `AdamwOptimizer`. */
export type AdamwSpec = AdamwOptimizer;

export type OptimizerSpec = AdamSpec | SgdSpec | RmspropSpec | AdamwSpec;

const OptimizerSettings = tagged('an optimizer', 'kind', {
  adam: AdamOptimizer,
  sgd: SgdOptimizer,
  rmsprop: RmspropOptimizer,
  adamw: AdamwOptimizer,
});

/** The spec, checked by the schema's codecs: `optimizer.learningRate: expected a positive number, got -1`. */
function validate(spec: OptimizerSpec): OptimizerSpec {
  const result = OptimizerSettings.decode(spec);
  if (result._tag === 'Left') {
    throw new LosslabError('INVALID_ARGUMENT', formatErrors(result.left, 'optimizer').join('; '));
  }
  return result.right;
}

/** RMSprop's settings when a spec leaves them out (Keras' values); `--dry-run` shows them. */
export const RMSPROP_DEFAULTS = { rho: 0.9, momentum: 0, epsilon: 1e-7, centered: false } as const;

/** AdamW's settings when a spec leaves them out (Keras' Adam values); `--dry-run` shows them. */
export const ADAMW_DEFAULTS = { beta1: 0.9, beta2: 0.999, epsilon: 1e-7 } as const;

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
 * Creates a TF.js optimizer from its spec, checked first by the schema's optimiser codecs (an
 * `INVALID_ARGUMENT` error names each bad field and value). Adam is a {@link HostAdam} on the cpu
 * and wasm backends (see {@link CreateOptimizerOptions.host}), `tf.train.adam` elsewhere; both
 * give the same weights. Plain SGD (no momentum, weight decay or clipping) is `tf.train.sgd`;
 * momentum SGD, RMSprop and AdamW are a {@link HostOptimizer} on every backend (a GPU backend
 * pays one readback of the gradients per step).
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
    case 'sgd': {
      const momentum = valid.momentum ?? 0;
      const l2 = valid.weightDecay ?? 0;
      if (momentum === 0 && l2 === 0 && valid.clipNorm === undefined) return tf.train.sgd(valid.learningRate);
      return new HostOptimizer(
        valid.learningRate,
        { kind: 'sgd', momentum, nesterov: valid.nesterov ?? false },
        transforms(valid.clipNorm, l2),
      );
    }
    case 'rmsprop':
      return new HostOptimizer(
        valid.learningRate,
        {
          kind: 'rmsprop',
          rho: valid.rho ?? RMSPROP_DEFAULTS.rho,
          momentum: valid.momentum ?? RMSPROP_DEFAULTS.momentum,
          epsilon: valid.epsilon ?? RMSPROP_DEFAULTS.epsilon,
          centered: valid.centered ?? RMSPROP_DEFAULTS.centered,
        },
        transforms(valid.clipNorm, valid.weightDecay ?? 0),
      );
    case 'adamw':
      return new HostOptimizer(
        valid.learningRate,
        {
          kind: 'adamw',
          beta1: valid.beta1 ?? ADAMW_DEFAULTS.beta1,
          beta2: valid.beta2 ?? ADAMW_DEFAULTS.beta2,
          epsilon: valid.epsilon ?? ADAMW_DEFAULTS.epsilon,
          weightDecay: valid.weightDecay,
        },
        transforms(valid.clipNorm, 0),
      );
  }
}

const transforms = (clipNorm: number | undefined, l2: number): GradientTransforms => ({
  ...(clipNorm === undefined ? {} : { clipNorm }),
  ...(l2 === 0 ? {} : { l2 }),
});
