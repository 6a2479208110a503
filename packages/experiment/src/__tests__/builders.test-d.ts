import { expectTypeOf } from 'vitest';
import type { MaskedLoss, VariantOverride } from '@losslab/schema';
import {
  categoricalCrossentropy,
  createRegistry,
  defineExperiment,
  lstm,
  masked,
  meanAbsoluteError,
  mlp,
  mnist,
  weighted,
  type ExperimentDefinition,
  type LossKind,
  type LossSpec,
  type ModelKind,
  type ModelSpec,
} from '../index.js';

// Builders return exactly the codec's types: plain data, no functions.
expectTypeOf(mlp({ hidden: [], output: { units: 10, activation: 'softmax' } })).toEqualTypeOf<ModelSpec>();
expectTypeOf(lstm({ layers: [{ units: 8 }], output: { units: 2, activation: 'softmax' } })).toEqualTypeOf<ModelSpec>();
expectTypeOf(masked(categoricalCrossentropy(), { target: 'digit', mask: 'isOdd' })).toEqualTypeOf<LossSpec>();
expectTypeOf(defineExperiment).returns.toEqualTypeOf<ExperimentDefinition>();

// Mistakes are compile-time errors.
// @ts-expect-error an activation that does not exist
mlp({ hidden: [], output: { units: 10, activation: 'swish' } });
// @ts-expect-error units must be a number
lstm({ layers: [{ units: '8' }], output: { units: 2, activation: 'softmax' } });
// @ts-expect-error column weighting needs a `per`
weighted(meanAbsoluteError(), { target: 'class', classWeights: { kind: 'inverse' } });
// @ts-expect-error unknown class-weight strategy
weighted(meanAbsoluteError(), { per: 'column', target: 'class', classWeights: { kind: 'median' } });
// @ts-expect-error unknown mnist option
mnist({ size: 100 });

// The schema's types are its codecs' types: a combinator wraps any loss; a variant names run fields.
expectTypeOf<MaskedLoss['loss']>().toEqualTypeOf<LossSpec>();
expectTypeOf<ExperimentDefinition['variants'][string]>().toEqualTypeOf<VariantOverride>();
// @ts-expect-error a variant overrides run fields only
const misspelt: VariantOverride = { lossy: categoricalCrossentropy() };

// A kind of any settings registers in its part's table as it is, without a cast; another part's
// entry does not fit.
declare const userLoss: LossKind<{ kind: 'userLoss'; scale: number }>;
declare const userModel: ModelKind<{ kind: 'userModel' }>;
expectTypeOf(createRegistry().losses.register(userLoss)).toEqualTypeOf(userLoss);
// @ts-expect-error a model is not a loss
createRegistry().losses.register(userModel);
export { misspelt };
