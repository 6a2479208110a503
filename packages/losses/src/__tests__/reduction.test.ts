import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { labelLayout } from '@losslab/runtime';
import { TEST_BACKENDS, useBackend } from '@losslab/test-utils';
import {
  REDUCTIONS,
  categoricalCrossentropy,
  masked,
  meanAbsoluteError,
  reduceLoss,
  reducePerSample,
  requireReduction,
  sampleWeighted,
} from '../index.js';
import type { Loss, ScalarReduction } from '../index.js';
import { expectClose, noLeak } from './fixtures.js';

const reduce = (loss: Loss, yTrue: number[][], yPred: number[][], reduction?: ScalarReduction): number =>
  noLeak(() => tf.tidy(() => reduceLoss(loss, tf.tensor2d(yTrue), tf.tensor2d(yPred), reduction).dataSync()[0]!));

// Label = [y, w]: the Keras example, MAE with sample weights [0, 1] and an error of 1 on each sample.
const layout = labelLayout({ y: 1, w: 1 });
const weightedMae = sampleWeighted(meanAbsoluteError(), layout, { target: 'y', weight: 'w' });
const kerasTrue = [
  [0, 0],
  [1, 1],
];
const kerasPred = [[1], [0]];

describe.each(TEST_BACKENDS)('reductions on %s', (backend) => {
  beforeAll(async () => {
    await useBackend(backend);
  });

  it('Keras example: weights [0, 1] give 0.5 over the batch size and 1.0 over the weights', () => {
    expect(reduce(weightedMae, kerasTrue, kerasPred)).toBeCloseTo(0.5, 6); // default sumOverBatchSize
    expect(reduce(weightedMae, kerasTrue, kerasPred, 'sumOverBatchSize')).toBeCloseTo(0.5, 6);
    expect(reduce(weightedMae, kerasTrue, kerasPred, 'sumOverWeights')).toBeCloseTo(1, 6);
    expect(reduce(weightedMae, kerasTrue, kerasPred, 'sumOverNonzeroWeights')).toBeCloseTo(1, 6);
    expect(reduce(weightedMae, kerasTrue, kerasPred, 'sum')).toBeCloseTo(1, 6);
  });

  it('tells sumOverWeights from sumOverNonzeroWeights', () => {
    const yTrue = [
      [0, 0.5],
      [0, 2],
      [0, 0],
    ];
    const yPred = [[1], [1], [1]];
    // weighted per-sample losses [0.5, 2, 0]: Σ = 2.5, batch 3, Σw = 2.5, nonzero w = 2
    expect(reduce(weightedMae, yTrue, yPred, 'sumOverBatchSize')).toBeCloseTo(2.5 / 3, 6);
    expect(reduce(weightedMae, yTrue, yPred, 'sumOverWeights')).toBeCloseTo(1, 6);
    expect(reduce(weightedMae, yTrue, yPred, 'sumOverNonzeroWeights')).toBeCloseTo(1.25, 6);
  });

  it('matches TF.js core SUM_BY_NONZERO_WEIGHTS and MEAN on the same data', () => {
    const yTrue = [
      [0, 0.5],
      [0, 2],
      [0, 0],
      [3, 1],
    ];
    const yPred = [[1], [1.5], [1], [1]];
    const [byNonzero, byWeights] = noLeak(() =>
      tf.tidy(() => {
        const labels = tf.tensor2d(yTrue.map((row) => [row[0]!]));
        const predictions = tf.tensor2d(yPred);
        const weights = tf.tensor2d(yTrue.map((row) => [row[1]!]));
        return [
          tf.losses
            .absoluteDifference(labels, predictions, weights, tf.Reduction.SUM_BY_NONZERO_WEIGHTS)
            .dataSync()[0]!,
          tf.losses.absoluteDifference(labels, predictions, weights, tf.Reduction.MEAN).dataSync()[0]!,
        ];
      }),
    );
    expect(reduce(weightedMae, yTrue, yPred, 'sumOverNonzeroWeights')).toBeCloseTo(byNonzero, 5);
    expect(reduce(weightedMae, yTrue, yPred, 'sumOverWeights')).toBeCloseTo(byWeights, 5);
  });

  it('treats an unweighted loss as having all weights 1', () => {
    const yTrue = [[0], [1], [3]];
    const yPred = [[1], [1], [1]];
    for (const reduction of ['sumOverBatchSize', 'sumOverWeights', 'sumOverNonzeroWeights'] as const) {
      expect(reduce(meanAbsoluteError(), yTrue, yPred, reduction), reduction).toBeCloseTo(1, 6);
    }
    expect(reduce(meanAbsoluteError(), yTrue, yPred, 'sum')).toBeCloseTo(3, 6);
  });

  it('reduces a batch whose weights are all zero to 0, never NaN', () => {
    const yTrue = [
      [0, 0],
      [1, 0],
    ];
    for (const reduction of ['sumOverBatchSize', 'sumOverWeights', 'sumOverNonzeroWeights', 'sum'] as const) {
      expect(reduce(weightedMae, yTrue, kerasPred, reduction), reduction).toBe(0);
    }
  });

  it('reducePerSample: none keeps the vector; appliedWeights only change denominators', () => {
    noLeak(() => {
      tf.tidy(() => {
        const perSample = tf.tensor1d([0, 1]);
        const weights = tf.tensor1d([0, 1]);
        expect(Array.from(reducePerSample(perSample, 'none').dataSync())).toEqual([0, 1]);
        expect(reducePerSample(perSample, 'sumOverBatchSize', weights).dataSync()[0]).toBeCloseTo(0.5, 6);
        expect(reducePerSample(perSample, 'sumOverWeights', weights).dataSync()[0]).toBeCloseTo(1, 6);
        expect(reducePerSample(perSample, 'sumOverWeights').dataSync()[0]).toBeCloseTo(0.5, 6);
        expect(() => reducePerSample(perSample, 'sum', tf.tensor1d([1, 1, 1]))).toThrow(
          'reducePerSample: appliedWeights must have shape [2] like perSample, got [3]',
        );
      });
    });
  });

  it('reduceLoss is differentiable: the masked mean has zero gradient on masked rows', () => {
    const mnistLike = labelLayout({ digit: 2, isOdd: 1 });
    const loss = masked(categoricalCrossentropy(), mnistLike, { target: 'digit', mask: 'isOdd' });
    const grad = noLeak(() =>
      tf.tidy(() => {
        const labels = tf.tensor2d([
          [1, 0, 1],
          [0, 1, 0],
        ]);
        const g = tf.grad((p: tf.Tensor) => reduceLoss(loss, labels, p as tf.Tensor2D, 'sumOverWeights'));
        return Array.from(
          g(
            tf.tensor2d([
              [0.5, 0.5],
              [0.5, 0.5],
            ]),
          ).dataSync(),
        );
      }),
    );
    // Σw = 1: d/dp0 of −log p0 = −2 on row 1; row 2 is masked.
    expectClose(grad, [-2, 0, 0, 0], 5);
  });
});

describe('reduction names', () => {
  it('lists every reduction and rejects unknown names', () => {
    expect(REDUCTIONS).toEqual(['none', 'sum', 'sumOverBatchSize', 'sumOverWeights', 'sumOverNonzeroWeights']);
    expect(requireReduction('sum')).toBe('sum');
    expect(() => requireReduction('mean')).toThrow(
      'reduction: expected one of none, sum, sumOverBatchSize, sumOverWeights, sumOverNonzeroWeights, got "mean"',
    );
  });

  it('reduceLoss refuses none (it must give a scalar)', async () => {
    await useBackend('cpu');
    noLeak(() => {
      const labels = tf.tensor2d([[1]]);
      expect(() => reduceLoss(meanAbsoluteError(), labels, labels, 'none' as ScalarReduction)).toThrow(
        'reduceLoss: reduction "none" does not give a scalar; call the loss itself',
      );
      labels.dispose();
    });
  });
});
