import { expectTypeOf } from 'vitest';
import {
  categoricalCrossentropy,
  defineExperiment,
  lstm,
  masked,
  meanAbsoluteError,
  mlp,
  mnist,
  weighted,
  type ExperimentDefinition,
  type LossSpec,
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
