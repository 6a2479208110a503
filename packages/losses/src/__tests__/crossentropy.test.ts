import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { isLosslabError } from '@losslab/runtime';
import { TEST_BACKENDS, thrownBy, useBackend } from '@losslab/test-utils';
import { binaryCrossentropy, binaryCrossentropyElementwise, categoricalCrossentropy } from '../index.js';
import { expectClose, expectGradientsToMatch, noLeak, perSample } from './fixtures.js';

describe.each(TEST_BACKENDS)('cross-entropy on %s', (backend) => {
  beforeAll(async () => {
    await useBackend(backend);
  });

  it('categoricalCrossentropy gives −Σ y log p per sample', () => {
    const values = noLeak(() =>
      perSample(
        categoricalCrossentropy(),
        [
          [0, 1, 0],
          [1, 0, 0],
          [0.5, 0.5, 0],
        ],
        [
          [0.1, 0.7, 0.2],
          [0.5, 0.25, 0.25],
          [0.25, 0.5, 0.25],
        ],
      ),
    );
    // −ln 0.7, −ln 0.5, −(0.5 ln 0.25 + 0.5 ln 0.5)
    expectClose(values, [0.356675, 0.693147, 1.039721]);
  });

  it('categoricalCrossentropy clips p to [ε, 1 − ε] so a zero probability stays finite', () => {
    const [value] = perSample(categoricalCrossentropy(), [[1, 0]], [[0, 1]]);
    expect(value).toBeCloseTo(-Math.log(1e-7), 3);
    const [looser] = perSample(categoricalCrossentropy({ epsilon: 1e-3 }), [[1, 0]], [[0, 1]]);
    expect(looser).toBeCloseTo(-Math.log(1e-3), 4);
  });

  it('categoricalCrossentropy normalises rows only when asked (Keras does)', () => {
    const yPred = [[0.4, 1.2, 0.4]];
    expect(perSample(categoricalCrossentropy({ normalize: true }), [[0, 1, 0]], yPred)[0]).toBeCloseTo(
      -Math.log(0.6),
      5,
    );
    // Without normalising, 1.2 is clipped to 1 − ε and the loss is ≈ 0.
    expect(perSample(categoricalCrossentropy(), [[0, 1, 0]], yPred)[0]).toBeCloseTo(0, 5);
  });

  it('binaryCrossentropy is the mean over columns of the element-wise BCE', () => {
    const yTrue = [
      [1, 0],
      [0, 1],
      [0.5, 0.5],
    ];
    const yPred = [
      [0.8, 0.4],
      [0.1, 0.9],
      [0.5, 0.5],
    ];
    const elementwise = noLeak(() =>
      tf.tidy(() => Array.from(binaryCrossentropyElementwise()(tf.tensor2d(yTrue), tf.tensor2d(yPred)).dataSync())),
    );
    expectClose(elementwise, [0.223144, 0.510826, 0.105361, 0.105361, 0.693147, 0.693147]);
    expectClose(
      noLeak(() => perSample(binaryCrossentropy(), yTrue, yPred)),
      [0.366985, 0.105361, 0.693147],
    );
  });

  it('gradients match finite differences and the hand-derived −y/p', () => {
    const cceGrad = expectGradientsToMatch(
      categoricalCrossentropy(),
      [
        [0, 1, 0],
        [0.2, 0.3, 0.5],
      ],
      [
        [0.2, 0.5, 0.3],
        [0.3, 0.3, 0.4],
      ],
    );
    expectClose(cceGrad, [0, -2, 0, -0.2 / 0.3, -1, -1.25], 4);
    // d/dp mean_j BCE = (1/k)(−y/p + (1 − y)/(1 − p))
    const bceGrad = expectGradientsToMatch(
      binaryCrossentropy(),
      [
        [1, 0],
        [0.3, 1],
      ],
      [
        [0.8, 0.4],
        [0.6, 0.7],
      ],
    );
    expectClose(bceGrad, [-0.625, 0.5 / 0.6, 0.5 * (-0.3 / 0.6 + 0.7 / 0.4), -0.5 / 0.7], 4);
  });

  it('rejects mismatched shapes and ranks, naming both shapes', () => {
    noLeak(() => {
      const yTrue = tf.tensor2d([[0, 1, 0]]);
      const yPred = tf.tensor2d([[0.5, 0.5]]);
      const flat = tf.tensor1d([0.5, 0.5]);
      expect(() => categoricalCrossentropy()(yTrue, yPred)).toThrow(
        'categoricalCrossentropy: yTrue and yPred must have the same shape [batch, columns], got yTrue [1, 3] and yPred [1, 2]',
      );
      expect(() => binaryCrossentropy()(yPred, flat as unknown as tf.Tensor2D)).toThrow(
        'binaryCrossentropy: yPred must be rank 2 [batch, columns], got shape [2]',
      );
      tf.dispose([yTrue, yPred, flat]);
    });
  });
});

describe('cross-entropy options', () => {
  it('rejects an epsilon outside (0, 0.5), naming it', () => {
    const error = thrownBy(() => categoricalCrossentropy({ epsilon: 0 }));
    expect(isLosslabError(error, 'INVALID_ARGUMENT')).toBe(true);
    expect(() => binaryCrossentropy({ epsilon: 0.7 })).toThrow(
      'binaryCrossentropy: epsilon: expected a number in (0, 0.5), got 0.7',
    );
  });
});
