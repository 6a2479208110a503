import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { TEST_BACKENDS, useBackend } from '@losslab/test-utils';
import { binaryCrossentropy, categoricalCrossentropy, focal } from '../index.js';
import { expectClose, expectGradientsToMatch, noLeak, perSample } from './fixtures.js';

describe.each(TEST_BACKENDS)('focal on %s', (backend) => {
  beforeAll(async () => {
    await useBackend(backend);
  });

  it('binary: −α_t (1 − p_t)^γ log p_t on one column of probabilities', () => {
    const values = noLeak(() => perSample(focal(), [[1], [0]], [[0.9], [0.3]]));
    // 0.25 · 0.1² · −ln 0.9 and 0.75 · 0.3² · −ln 0.7
    expectClose(values, [0.25 * 0.01 * -Math.log(0.9), 0.75 * 0.09 * -Math.log(0.7)], 6);
  });

  it('categorical: −Σ α y (1 − p)^γ log p over k columns', () => {
    const values = noLeak(() => perSample(focal({ gamma: 2, alpha: 0.25 }), [[0, 1, 0]], [[0.2, 0.5, 0.3]]));
    expectClose(values, [0.25 * 0.25 * -Math.log(0.5)], 6);
  });

  it('reduces to cross-entropy with gamma = 0 and alpha = null', () => {
    const binaryTrue = [[1], [0], [1]];
    const binaryPred = [[0.9], [0.3], [0.2]];
    expectClose(
      perSample(focal({ gamma: 0, alpha: null }), binaryTrue, binaryPred),
      perSample(binaryCrossentropy(), binaryTrue, binaryPred),
    );
    const multiTrue = [
      [1, 0],
      [0, 1],
    ];
    const multiPred = [
      [0.8, 0.4],
      [0.1, 0.6],
    ];
    expectClose(
      perSample(focal({ gamma: 0, alpha: null, kind: 'binary' }), multiTrue, multiPred),
      perSample(binaryCrossentropy(), multiTrue, multiPred),
    );
    const oneHot = [
      [0, 1, 0],
      [1, 0, 0],
    ];
    const probabilities = [
      [0.1, 0.7, 0.2],
      [0.5, 0.25, 0.25],
    ];
    expectClose(
      perSample(focal({ gamma: 0, alpha: null }), oneHot, probabilities),
      perSample(categoricalCrossentropy(), oneHot, probabilities),
    );
  });

  it('down-weights easy examples more than hard ones as gamma grows', () => {
    const [easy, hard] = perSample(focal({ gamma: 2, alpha: null }), [[1], [1]], [[0.9], [0.6]]);
    const [easyCe, hardCe] = perSample(binaryCrossentropy(), [[1], [1]], [[0.9], [0.6]]);
    expect(easy! / easyCe!).toBeCloseTo(0.01, 5);
    expect(hard! / hardCe!).toBeCloseTo(0.16, 5);
  });

  it('gradients match finite differences', () => {
    expectGradientsToMatch(focal(), [[1], [0]], [[0.7], [0.4]]);
    expectGradientsToMatch(focal({ gamma: 1.5, alpha: 0.5 }), [[0, 1, 0]], [[0.2, 0.5, 0.3]]);
  });
});

describe.each(TEST_BACKENDS)('focal with a per-class alpha vector on %s', (backend) => {
  beforeAll(async () => {
    await useBackend(backend);
  });

  const oneHot = [
    [0, 1, 0],
    [0, 0, 1],
    [1, 0, 0],
  ];
  const probabilities = [
    [0.2, 0.5, 0.3],
    [0.1, 0.3, 0.6],
    [0.7, 0.2, 0.1],
  ];

  it('categorical: a vector of equal values a gives exactly the scalar a', () => {
    const [vector, scalar] = noLeak(() => [
      perSample(focal({ alpha: [0.25, 0.25, 0.25] }), oneHot, probabilities),
      perSample(focal({ alpha: 0.25 }), oneHot, probabilities),
    ]);
    expect(vector).toEqual(scalar);
  });

  it('categorical: hand-computed 2×3 example, −Σ_j α_j y_ij (1 − p_ij)^γ log p_ij', () => {
    // α = [0.5, 1, 2], γ = 2
    // row 0: y [0, 1, 0],     p [0.2, 0.5, 0.3]: α_1 · 0.5² · −ln 0.5 = 1 · 0.25 · 0.693147 = 0.173287
    // row 1: y [0.5, 0, 0.5], p [0.4, 0.2, 0.4]: (α_0 · 0.5 + α_2 · 0.5) · 0.6² · −ln 0.4
    //                                           = (0.25 + 1) · 0.36 · 0.916291 = 0.412331
    const values = noLeak(() =>
      perSample(
        focal({ alpha: [0.5, 1, 2], gamma: 2 }),
        [
          [0, 1, 0],
          [0.5, 0, 0.5],
        ],
        [
          [0.2, 0.5, 0.3],
          [0.4, 0.2, 0.4],
        ],
      ),
    );
    expectClose(values, [0.25 * -Math.log(0.5), 1.25 * 0.36 * -Math.log(0.4)], 6);
    expectClose(values, [0.173287, 0.412331], 5);
  });

  it('accepts weights above 1 (class-balanced weights are not capped)', () => {
    const [weighted, plain] = noLeak(() => [
      perSample(focal({ alpha: [3, 3, 3] }), oneHot, probabilities),
      perSample(focal({ alpha: null }), oneHot, probabilities),
    ]);
    expectClose(
      weighted,
      plain.map((v) => 3 * v),
      6,
    );
  });

  it('binary: [α_negative, α_positive] weighs negatives and positives; a number α equals [1 − α, α] exactly', () => {
    // α = [1, 4], γ = 2: positive 4 · 0.1² · −ln 0.9 = 0.0042144; negative 1 · 0.3² · −ln 0.7 = 0.0321005
    const values = noLeak(() => perSample(focal({ alpha: [1, 4] }), [[1], [0]], [[0.9], [0.3]]));
    expectClose(values, [4 * 0.01 * -Math.log(0.9), 0.09 * -Math.log(0.7)], 6);
    // several sigmoid columns share the pair
    const multiTrue = [
      [1, 0],
      [0, 1],
    ];
    const multiPred = [
      [0.8, 0.4],
      [0.1, 0.6],
    ];
    const [vector, scalar] = noLeak(() => [
      perSample(focal({ alpha: [0.75, 0.25], kind: 'binary' }), multiTrue, multiPred),
      perSample(focal({ alpha: 0.25, kind: 'binary' }), multiTrue, multiPred),
    ]);
    expect(vector).toEqual(scalar);
  });

  it('gradients match finite differences', () => {
    expectGradientsToMatch(focal({ alpha: [0.5, 1, 2], gamma: 2 }), [[0, 0, 1]], [[0.2, 0.5, 0.3]]);
    expectGradientsToMatch(focal({ alpha: [1, 4], gamma: 1.5 }), [[1], [0]], [[0.7], [0.4]]);
  });

  it('leaks no tensor, also when the length check throws', () => {
    noLeak(() => {
      const yTrue = tf.tensor2d(oneHot);
      const yPred = tf.tensor2d(probabilities);
      try {
        focal({ alpha: [0.5, 1, 2] })(yTrue, yPred).dispose();
        expect(() => focal({ alpha: [0.5, 1] })(yTrue, yPred)).toThrow('focal: alpha: expected 3 weights');
      } finally {
        yTrue.dispose();
        yPred.dispose();
      }
    });
  });

  it('rejects a vector of the wrong length when called, naming the expected length and yPred shape', () => {
    expect(() => perSample(focal({ alpha: [1, 2] }), oneHot, probabilities)).toThrow(
      'focal: alpha: expected 3 weights (one per column of yPred, shape [3, 3]), got 2',
    );
    expect(() => perSample(focal({ alpha: [1, 2, 3] }), [[1], [0]], [[0.9], [0.3]])).toThrow(
      'focal: alpha: expected 2 weights [α_negative, α_positive] (binary focal, yPred shape [2, 1]), got 3',
    );
  });
});

describe('focal options', () => {
  it('rejects bad gamma, alpha and kind, naming each', () => {
    expect(() => focal({ gamma: -1 })).toThrow('focal: gamma: expected a finite number >= 0, got -1');
    expect(() => focal({ alpha: 1.5 })).toThrow(
      'focal: alpha: expected a number in [0, 1], an array of weights >= 0 or null, got 1.5',
    );
    expect(() => focal({ alpha: [1, -0.5] })).toThrow('focal: alpha[1]: expected a finite number >= 0, got -0.5');
    expect(() => focal({ alpha: [Number.NaN] })).toThrow('focal: alpha[0]: expected a finite number >= 0, got NaN');
    expect(() => focal({ alpha: [] })).toThrow('focal: alpha: expected a non-empty array of weights');
    expect(() => focal({ alpha: [1, 2, 3], kind: 'binary' })).toThrow(
      'focal: alpha: expected 2 weights [α_negative, α_positive] (kind: "binary"), got 3',
    );
    expect(() => focal({ kind: 'sparse' as 'binary' })).toThrow(
      'focal: kind: expected "binary" or "categorical", got sparse',
    );
  });
});
