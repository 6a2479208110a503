import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { createRng, isLosslabError, labelLayout } from '@losslab/runtime';
import { TEST_BACKENDS, thrownBy, useBackend } from '@losslab/test-utils';
import {
  categoricalCrossentropy,
  classWeighted,
  defineLoss,
  masked,
  meanSquaredError,
  reduceLoss,
  sampleWeighted,
} from '../index.js';
import { expectClose, expectGradientsToMatch, gradients, noLeak, perSample } from './fixtures.js';

// mnist-odd in miniature: one-hot digit (3 classes) + isOdd flag; the model outputs 3 units.
const layout = labelLayout({ digit: 3, isOdd: 1 });
const oddOnly = masked(categoricalCrossentropy(), layout, { target: 'digit', mask: 'isOdd' });
const yTrue = [
  [0, 1, 0, 1],
  [1, 0, 0, 0],
  [0, 0, 1, 1],
  [0, 0, 1, 0],
];
const yPred = [
  [0.2, 0.5, 0.3],
  [0.6, 0.3, 0.1],
  [0.1, 0.1, 0.8],
  [0.3, 0.3, 0.4],
];

/** Softmax rows of seeded normals: `rows` probability vectors over `k` classes. */
function randomProbabilities(seed: number, rows: number, k: number): number[][] {
  const rng = createRng(seed);
  return Array.from({ length: rows }, () => {
    const exps = Array.from({ length: k }, () => Math.exp(rng.normal()));
    const total = exps.reduce((a, b) => a + b, 0);
    return exps.map((e) => e / total);
  });
}

describe.each(TEST_BACKENDS)('masked on %s', (backend) => {
  beforeAll(async () => {
    await useBackend(backend);
  });

  it('gives CCE on the digit block times the isOdd column, exactly 0 on masked rows', () => {
    const values = noLeak(() => perSample(oddOnly, yTrue, yPred));
    expectClose(values, [-Math.log(0.5), 0, -Math.log(0.8), 0]);
    expect(Object.is(values[1], 0) && Object.is(values[3], 0)).toBe(true);
  });

  it('keeps a non-finite inner value of a masked row out of the result', () => {
    // An unclipped log: −log(0) = Infinity on row 2, which is masked.
    const rawLog = defineLoss('rawLog', (t, p) => tf.neg(tf.sum<tf.Tensor1D>(tf.mul(t, tf.log(p)), 1)));
    const loss = masked(rawLog, layout, { target: 'digit', mask: 'isOdd' });
    const values = noLeak(() =>
      perSample(
        loss,
        [
          [0, 1, 0, 1],
          [1, 0, 0, 0],
        ],
        [
          [0.25, 0.5, 0.25],
          [0, 0.5, 0.5],
        ],
      ),
    );
    expectClose(values, [-Math.log(0.5), 0]);
  });

  it('gives exactly zero gradient on masked rows and the CCE gradient on kept rows', () => {
    // Row 2 predicts probability 0 for its (masked) true class: still exactly zero gradient.
    const probabilities = yPred.map((row, i) => (i === 1 ? [0, 0.5, 0.5] : row));
    const { analytic } = noLeak(() => gradients(oddOnly, yTrue, probabilities));
    const maskedRows = [...analytic.slice(3, 6), ...analytic.slice(9, 12)];
    expect(maskedRows.every((g) => g === 0)).toBe(true);
    expect(analytic.every(Number.isFinite)).toBe(true);
    const checked = expectGradientsToMatch(oddOnly, yTrue, yPred);
    expectClose(checked, [0, -2, 0, 0, 0, 0, 0, 0, -1.25, 0, 0, 0], 4);
  });

  it('keeps NaN and Infinity of masked rows (labels and predictions) out of the value and the gradient', () => {
    // Rows 1 and 3 are masked and hold garbage: a NaN label, an Infinity label, a NaN prediction.
    const labels = [
      [0, 1, 0, 1],
      [Number.NaN, 0, 1, 0],
      [0, 0, 1, 1],
      [Number.POSITIVE_INFINITY, 0, 0, 0],
    ];
    const probabilities = [
      [0.2, 0.5, 0.3],
      [0.6, 0.3, 0.1],
      [0.1, 0.1, 0.8],
      [Number.NaN, 0.5, 0.5],
    ];
    const kept = [0, 2];
    const filtered = (rows: number[][], width: number): number[][] => kept.map((i) => rows[i]!.slice(0, width));
    const { value, grad, filteredValue, filteredGrad } = noLeak(() =>
      tf.tidy(() => {
        const yTrue = tf.tensor2d(labels);
        const keptTrue = tf.tensor2d(filtered(labels, 3));
        const total = (p: tf.Tensor): tf.Scalar => tf.sum(oddOnly(yTrue, p as tf.Tensor2D));
        const filteredTotal = (p: tf.Tensor): tf.Scalar =>
          tf.sum(categoricalCrossentropy()(keptTrue, p as tf.Tensor2D));
        const yPred = tf.tensor2d(probabilities);
        const keptPred = tf.tensor2d(filtered(probabilities, 3));
        return {
          value: total(yPred).dataSync()[0]!,
          grad: Array.from(tf.grad(total)(yPred).dataSync()),
          filteredValue: filteredTotal(keptPred).dataSync()[0]!,
          filteredGrad: Array.from(tf.grad(filteredTotal)(keptPred).dataSync()),
        };
      }),
    );
    expect(value).toBeCloseTo(filteredValue, 5);
    expect(grad.every(Number.isFinite), `gradient ${JSON.stringify(grad)}`).toBe(true);
    expect(
      [...grad.slice(3, 6), ...grad.slice(9, 12)].every((g) => g === 0),
      'masked rows of the gradient',
    ).toBe(true);
    expectClose([...grad.slice(0, 3), ...grad.slice(6, 9)], filteredGrad);
  });

  it('keeps NaN and Infinity predictions of masked rows away from a regression inner loss (MSE)', () => {
    // MSE has no clipping that could hide a NaN: if a masked row's predictions reached it, its
    // gradient there would be NaN, and the mask's 0 · NaN is NaN.
    const maskedMse = masked(meanSquaredError(), layout, { target: 'digit', mask: 'isOdd' });
    const labels = [
      [0, 1, 0, 1],
      [1, 0, 0, 0],
      [0, 0, 1, 1],
      [0, 0, 1, 0],
    ];
    const predictions = [
      [0.5, 0.5, 0],
      [Number.NaN, 0.5, 0.5],
      [0, 0, 0.5],
      [Number.POSITIVE_INFINITY, 0, 0],
    ];
    const { value, grad } = noLeak(() =>
      tf.tidy(() => {
        const total = (p: tf.Tensor): tf.Scalar => tf.sum(maskedMse(tf.tensor2d(labels), p as tf.Tensor2D));
        const yPred = tf.tensor2d(predictions);
        return { value: total(yPred).dataSync()[0]!, grad: Array.from(tf.grad(total)(yPred).dataSync()) };
      }),
    );
    // Kept rows, by hand: row 1 ((0.5)² + (0.5)² + 0)/3 = 1/6, row 3 (0 + 0 + (0.5)²)/3 = 1/12.
    expect(value).toBeCloseTo(1 / 6 + 1 / 12, 6);
    // d/dp of (p − y)²/3 is 2(p − y)/3; masked rows exactly 0.
    expectClose(grad, [1 / 3, -1 / 3, 0, 0, 0, 0, 0, 0, -1 / 3, 0, 0, 0]);
    expect([...grad.slice(3, 6), ...grad.slice(9, 12)].every((g) => g === 0)).toBe(true);
  });

  it('gives a zero-weighted row of sampleWeighted exactly zero gradient whatever its label holds', () => {
    const weightLayout = labelLayout({ y: 2, w: 1 });
    const loss = sampleWeighted(meanSquaredError(), weightLayout, { target: 'y', weight: 'w' });
    const grad = noLeak(() =>
      tf.tidy(() => {
        const yTrue = tf.tensor2d([
          [1, 0, 2],
          [Number.NaN, Number.NEGATIVE_INFINITY, 0],
        ]);
        const total = (p: tf.Tensor): tf.Scalar => tf.sum(loss(yTrue, p as tf.Tensor2D));
        return Array.from(
          tf
            .grad(total)(tf.fill([2, 2], 0.5))
            .dataSync(),
        );
      }),
    );
    // Row 0: d/dp of 2 · mean((y − p)²) = 2 · (p − y) = [−1, 1]; row 1 is dropped.
    expectClose(grad.slice(0, 2), [-1, 1]);
    expect(grad[2] === 0 && grad[3] === 0, `dropped row of the gradient ${JSON.stringify(grad)}`).toBe(true);
  });

  it('property: the mean over kept rows equals the loss on the filtered rows', () => {
    for (const seed of [1, 2, 3]) {
      const rng = createRng(seed);
      const rows = 6;
      const probabilities = randomProbabilities(seed + 100, rows, 3);
      const labels = Array.from({ length: rows }, (_, i) => {
        const digit = rng.int(3);
        // The first row is always kept so the filtered set is never empty.
        const keep = i === 0 || rng.next() < 0.5 ? 1 : 0;
        return [0, 1, 2].map((c) => (c === digit ? 1 : 0)).concat(keep);
      });
      const kept = labels.map((row, i) => ({ row, i })).filter(({ row }) => row[3] === 1);
      const [maskedMean, filteredMean] = noLeak(() =>
        tf.tidy(() => [
          reduceLoss(oddOnly, tf.tensor2d(labels), tf.tensor2d(probabilities), 'sumOverWeights').dataSync()[0]!,
          reduceLoss(
            categoricalCrossentropy(),
            tf.tensor2d(kept.map(({ row }) => row.slice(0, 3))),
            tf.tensor2d(kept.map(({ i }) => probabilities[i]!)),
          ).dataSync()[0]!,
        ]),
      );
      expect(maskedMean, `seed ${seed}`).toBeCloseTo(filteredMean, 5);
    }
  });

  it('scales by a fractional mask and exposes the mask as sample weights', () => {
    const values = perSample(oddOnly, [[0, 1, 0, 0.5]], [[0.2, 0.5, 0.3]]);
    expectClose(values, [-0.5 * Math.log(0.5)]);
    const weights = noLeak(() => tf.tidy(() => Array.from(oddOnly.sampleWeights!(tf.tensor2d(yTrue)).dataSync())));
    expect(weights).toEqual([1, 0, 1, 0]);
  });

  it('composes with class weights on the target block (weights multiply)', () => {
    const loss = masked(classWeighted(categoricalCrossentropy(), [1, 2, 3], { layout, target: 'digit' }), layout, {
      mask: 'isOdd',
    });
    expect(loss.lossName).toBe('masked(classWeighted(categoricalCrossentropy, target=digit), mask=isOdd)');
    const values = noLeak(() => perSample(loss, yTrue, yPred));
    expectClose(values, [-2 * Math.log(0.5), 0, -3 * Math.log(0.8), 0]);
    const weights = noLeak(() => tf.tidy(() => Array.from(loss.sampleWeights!(tf.tensor2d(yTrue)).dataSync())));
    expect(weights).toEqual([2, 0, 3, 0]);
  });
});

describe('masked guards', () => {
  it('rejects a mask block wider than one column', () => {
    const error = thrownBy(() => masked(categoricalCrossentropy(), layout, { target: 'isOdd', mask: 'digit' }));
    expect(isLosslabError(error, 'INVALID_ARGUMENT')).toBe(true);
    expect(error.message).toBe('masked: mask block "digit" must have width 1, got width 3');
  });

  it('rejects unknown blocks when built and a wrong output width when called', async () => {
    await useBackend('cpu');
    expect(() => masked(categoricalCrossentropy(), layout, { target: 'digits', mask: 'isOdd' })).toThrow(
      'label block "digits" is not in the layout (blocks: digit:3, isOdd:1)',
    );
    noLeak(() => {
      const label = tf.zeros<tf.Rank.R2>([1, 4]);
      const output = tf.zeros<tf.Rank.R2>([1, 4]);
      expect(() => oddOnly(label, output)).toThrow(
        'loss target block "digit" has width 3 but the model output has width 4',
      );
      tf.dispose([label, output]);
    });
  });
});
