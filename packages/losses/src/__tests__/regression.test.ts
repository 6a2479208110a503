import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { TEST_BACKENDS, useBackend } from '@losslab/test-utils';
import {
  absoluteError,
  huber,
  huberElementwise,
  meanAbsoluteError,
  meanOverColumns,
  meanSquaredError,
  squaredError,
} from '../index.js';
import type { ElementwiseLoss } from '../index.js';
import { expectClose, expectGradientsToMatch, noLeak, perSample } from './fixtures.js';

const yTrue = [
  [0, 1],
  [2, -1],
];
const yPred = [
  [0.25, 0.5],
  [1, 1],
];

const elementwiseValues = (loss: ElementwiseLoss, t: number[][], p: number[][]): number[] =>
  tf.tidy(() => Array.from(loss(tf.tensor2d(t), tf.tensor2d(p)).dataSync()));

describe.each(TEST_BACKENDS)('regression losses on %s', (backend) => {
  beforeAll(async () => {
    await useBackend(backend);
  });

  it('absolute and squared error, element-wise and as per-sample means', () => {
    noLeak(() => {
      expectClose(elementwiseValues(absoluteError(), yTrue, yPred), [0.25, 0.5, 1, 2]);
      expectClose(elementwiseValues(squaredError(), yTrue, yPred), [0.0625, 0.25, 1, 4]);
      expectClose(perSample(meanAbsoluteError(), yTrue, yPred), [0.375, 1.5]);
      expectClose(perSample(meanSquaredError(), yTrue, yPred), [0.15625, 2.5]);
      expectClose(perSample(meanOverColumns(absoluteError()), yTrue, yPred), [0.375, 1.5]);
    });
  });

  it('huber is quadratic up to δ and linear beyond', () => {
    noLeak(() => {
      // |x| = 0.25, 0.5 → ½x²; |x| = 1 = δ → ½; |x| = 2 → δ(|x| − ½δ) = 1.5
      expectClose(elementwiseValues(huberElementwise(), yTrue, yPred), [0.03125, 0.125, 0.5, 1.5]);
      expectClose(perSample(huber(), yTrue, yPred), [0.078125, 1]);
      // δ = 2: |x| = 2 is still quadratic (2); |x| = 3 → 2(3 − 1) = 4
      expectClose(elementwiseValues(huberElementwise({ delta: 2 }), [[0, 0]], [[2, -3]]), [2, 4]);
      expectClose(perSample(huber({ delta: 2 }), [[0, 0]], [[2, -3]]), [3]);
    });
  });

  it('gradients match finite differences and sign/linear-region slopes (away from kinks)', () => {
    const maeGrad = expectGradientsToMatch(meanAbsoluteError(), yTrue, yPred);
    expectClose(maeGrad, [0.5, -0.5, -0.5, 0.5], 4);
    const mseGrad = expectGradientsToMatch(meanSquaredError(), yTrue, yPred);
    expectClose(mseGrad, [0.25, -0.5, -1, 2], 4);
    const pointsAwayFromDelta = [
      [0.25, 0.5],
      [0.5, 1],
    ];
    const huberGrad = expectGradientsToMatch(huber(), yTrue, pointsAwayFromDelta);
    // quadratic: (p − y)/k; linear: δ·sign(p − y)/k
    expectClose(huberGrad, [0.125, -0.25, -0.5, 0.5], 4);
  });
});

describe('regression options', () => {
  it('rejects a non-positive huber delta, naming it', () => {
    expect(() => huber({ delta: 0 })).toThrow('huberElementwise: delta: expected a finite number > 0, got 0');
  });

  it('names composed losses', () => {
    expect(meanAbsoluteError().lossName).toBe('meanAbsoluteError');
    expect(meanOverColumns(squaredError()).lossName).toBe('meanOverColumns(squaredError)');
  });
});
