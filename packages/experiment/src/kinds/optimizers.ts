import { AdamOptimizer, AdamwOptimizer, RmspropOptimizer, SgdOptimizer, type OptimizerSpec } from '@losslab/schema';
import { createOptimizer } from '@losslab/train';
import { builderOf, type Settings } from './define.js';
import type { OptimizerKind } from './table.js';

/** The optimiser family: the codec checks the settings, `@losslab/train` builds; each entry beside its builder. */

const adamOptimizer: OptimizerKind<AdamOptimizer> = {
  kind: 'adam',
  codec: AdamOptimizer,
  build: (spec) => createOptimizer(spec),
};
/** Adam; Keras' defaults (learning rate 0.001, β1 0.9, β2 0.999, ε 1e-7) for what is left out. */
export const adam = (options: Settings<AdamOptimizer> = {}): OptimizerSpec => builderOf(adamOptimizer)(options);

const sgdOptimizer: OptimizerKind<SgdOptimizer> = {
  kind: 'sgd',
  codec: SgdOptimizer,
  build: (spec) => createOptimizer(spec),
};
/**
 * Stochastic gradient descent; `options` may add `momentum` (default 0), `nesterov` (default
 * false, needs momentum), `weightDecay` (L2 added to the gradient) and `clipNorm` (global-norm
 * clipping). Fields left out stay out of the spec, so `sgd(0.1)` keeps its settings hash.
 *
 * @example sgd(0.1, { momentum: 0.9, nesterov: true, weightDecay: 5e-4 })
 */
export const sgd = (learningRate: number, options: Omit<Settings<SgdOptimizer>, 'learningRate'> = {}): OptimizerSpec =>
  builderOf(sgdOptimizer)({ ...options, learningRate });

const rmspropOptimizer: OptimizerKind<RmspropOptimizer> = {
  kind: 'rmsprop',
  codec: RmspropOptimizer,
  build: (spec) => createOptimizer(spec),
};
/** RMSprop; Keras' defaults (ρ 0.9, momentum 0, ε 1e-7, not centered) for what is left out; `weightDecay` is L2, `clipNorm` global-norm clipping. */
export const rmsprop = (options: Settings<RmspropOptimizer>): OptimizerSpec => builderOf(rmspropOptimizer)(options);

const adamwOptimizer: OptimizerKind<AdamwOptimizer> = {
  kind: 'adamw',
  codec: AdamwOptimizer,
  build: (spec) => createOptimizer(spec),
};
/**
 * AdamW (decoupled weight decay, Loshchilov & Hutter 2019): θ ← θ − lr·(m̂/(√v̂ + ε) + λ·θ), the
 * decay scaled by the learning rate as in PyTorch; Keras' Adam defaults (β1 0.9, β2 0.999, ε 1e-7).
 */
export const adamw = (options: Settings<AdamwOptimizer>): OptimizerSpec => builderOf(adamwOptimizer)(options);

/** Every built-in optimiser entry. */
export const optimizerKinds: readonly OptimizerKind[] = [adamOptimizer, sgdOptimizer, rmspropOptimizer, adamwOptimizer];
