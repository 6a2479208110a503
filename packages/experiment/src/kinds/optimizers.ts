import { AdamOptimizer, SgdOptimizer, type OptimizerSpec } from '@losslab/schema';
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
/** Plain stochastic gradient descent. */
export const sgd = (learningRate: number): OptimizerSpec => builderOf(sgdOptimizer)({ learningRate });

/** Every built-in optimiser entry. */
export const optimizerKinds: readonly OptimizerKind[] = [adamOptimizer, sgdOptimizer];
