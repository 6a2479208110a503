import type * as tf from '@tensorflow/tfjs-core';
import type { ModelCompileArgs } from '@tensorflow/tfjs-layers';
import { expectTypeOf, it } from 'vitest';
import { categoricalCrossentropy, classWeights, reduceLoss, reducePerSample, toLayersLoss } from '../index.js';
import type { ClassWeightStrategy, ElementwiseLoss, Loss, Reduction, ScalarReduction } from '../index.js';

it('a plain per-sample function is a Loss, and losses return one value per sample', () => {
  const plain = (_yTrue: tf.Tensor2D, _yPred: tf.Tensor2D): tf.Tensor1D => ({}) as tf.Tensor1D;
  expectTypeOf(plain).toExtend<Loss>();
  expectTypeOf(categoricalCrossentropy()).returns.toEqualTypeOf<tf.Tensor1D>();
  expectTypeOf<ElementwiseLoss>().returns.toEqualTypeOf<tf.Tensor2D>();
});

it('reductions: none keeps the vector, the others give a scalar', () => {
  expectTypeOf(reducePerSample).toBeCallableWith({} as tf.Tensor1D, 'none');
  expectTypeOf<ReturnType<typeof reduceLoss>>().toEqualTypeOf<tf.Scalar>();
  expectTypeOf<Exclude<Reduction, ScalarReduction>>().toEqualTypeOf<'none'>();
  // @ts-expect-error reduceLoss needs a reduction that gives a scalar
  reduceLoss(categoricalCrossentropy(), {} as tf.Tensor2D, {} as tf.Tensor2D, 'none');
});

it('class-weight strategies are plain data with the fields each kind needs', () => {
  expectTypeOf(classWeights).parameter(1).toEqualTypeOf<ClassWeightStrategy>();
  // @ts-expect-error effectiveNumber needs beta
  classWeights([1, 2], { kind: 'effectiveNumber' });
});

it('toLayersLoss gives what model.compile takes, by tfjs-layers’ own types; a losslab Loss is not that', () => {
  expectTypeOf(toLayersLoss(categoricalCrossentropy())).toExtend<NonNullable<ModelCompileArgs['loss']>>();
  expectTypeOf<Loss>().not.toExtend<NonNullable<ModelCompileArgs['loss']>>();
});
