import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { isLosslabError, labelLayout } from '@losslab/runtime';
import { TEST_BACKENDS, thrownBy, useBackend } from '@losslab/test-utils';
import {
  absoluteError,
  binaryCrossentropy,
  binaryCrossentropyElementwise,
  categoricalCrossentropy,
  classWeighted,
  columnWeighted,
  meanAbsoluteError,
  reduceLoss,
  sampleWeighted,
} from '../index.js';
import type { Loss } from '../index.js';
import { expectClose, expectGradientsToMatch, noLeak, perSample } from './fixtures.js';

const weightsOf = (loss: Loss, yTrue: number[][]): number[] =>
  noLeak(() => tf.tidy(() => Array.from(loss.sampleWeights!(tf.tensor2d(yTrue)).dataSync())));

describe.each(TEST_BACKENDS)('weighted losses on %s', (backend) => {
  beforeAll(async () => {
    await useBackend(backend);
  });

  describe('sampleWeighted', () => {
    const layout = labelLayout({ y: 2, w: 1 });
    const yTrue = [
      [0, 1, 0.5],
      [1, 1, 2],
      [0, 0, 0],
    ];
    const yPred = [
      [0.25, 0.5],
      [0.5, 0.9],
      [0.7, 0.2],
    ];

    it('multiplies each sample by its weight column and exposes the weights', () => {
      const loss = sampleWeighted(meanAbsoluteError(), layout, { target: 'y', weight: 'w' });
      // MAE per row: 0.375, 0.3, 0.45
      expectClose(
        noLeak(() => perSample(loss, yTrue, yPred)),
        [0.1875, 0.6, 0],
      );
      expect(weightsOf(loss, yTrue)).toEqual([0.5, 2, 0]);
      expect(loss.lossName).toBe('sampleWeighted(meanAbsoluteError, target=y, weight=w)');
    });

    it('all-ones weights equal the unweighted loss', () => {
      const ones = yTrue.map((row) => [row[0]!, row[1]!, 1]);
      for (const inner of [meanAbsoluteError(), binaryCrossentropy()]) {
        expectClose(
          perSample(sampleWeighted(inner, layout, { target: 'y', weight: 'w' }), ones, yPred),
          perSample(
            inner,
            yTrue.map((row) => row.slice(0, 2)),
            yPred,
          ),
        );
      }
    });

    it('weighted L1 and BCE gradients match finite differences', () => {
      const l1 = expectGradientsToMatch(
        sampleWeighted(meanAbsoluteError(), layout, { target: 'y', weight: 'w' }),
        yTrue,
        yPred,
      );
      // w · sign(p − y) / k
      expectClose(l1, [0.25, -0.25, -1, -1, 0, 0], 4);
      expectGradientsToMatch(sampleWeighted(binaryCrossentropy(), layout, { target: 'y', weight: 'w' }), yTrue, yPred);
    });

    it('rejects a weight block wider than one column', () => {
      const error = thrownBy(() => sampleWeighted(meanAbsoluteError(), layout, { target: 'w', weight: 'y' }));
      expect(isLosslabError(error, 'INVALID_ARGUMENT')).toBe(true);
      expect(error.message).toBe('sampleWeighted: weight block "y" must have width 1, got width 2');
    });
  });

  describe('classWeighted', () => {
    // The flag column comes FIRST: argMax over the whole label would pick it (TF.js' classWeight pitfall).
    const layout = labelLayout({ flag: 1, digit: 3 });
    const yTrue = [
      [1, 0, 0, 1],
      [1, 0, 1, 0],
      [0, 1, 0, 0],
    ];
    const yPred = [
      [0.2, 0.3, 0.5],
      [0.1, 0.8, 0.1],
      [0.6, 0.2, 0.2],
    ];

    it('weights each sample by the class of its target block, never of the whole label', () => {
      const loss = classWeighted(categoricalCrossentropy(), [1, 2, 4], { layout, target: 'digit' });
      // classes 2, 1, 0 → weights 4, 2, 1
      expect(weightsOf(loss, yTrue)).toEqual([4, 2, 1]);
      expectClose(
        noLeak(() => perSample(loss, yTrue, yPred)),
        [-4 * Math.log(0.5), -2 * Math.log(0.8), -Math.log(0.6)],
      );
    });

    it('reads the class of a one-column binary target as y >= 0.5', () => {
      const loss = classWeighted(binaryCrossentropy(), [1, 10]);
      const labels = [[1], [0], [0.5], [0.49]];
      const predictions = [[0.8], [0.2], [0.5], [0.5]];
      expect(weightsOf(loss, labels)).toEqual([10, 1, 10, 1]);
      expectClose(perSample(loss, labels, predictions), [
        -10 * Math.log(0.8),
        -Math.log(0.8),
        10 * Math.log(2),
        Math.log(2),
      ]);
      const grad = expectGradientsToMatch(loss, [[1], [0]], [[0.8], [0.3]]);
      expectClose(grad, [-10 / 0.8, 1 / 0.7], 3);
    });

    it('class-weighted L1 gradient matches finite differences', () => {
      const loss = classWeighted(meanAbsoluteError(), [1, 2, 4], { layout, target: 'digit' });
      const grad = expectGradientsToMatch(loss, yTrue, yPred);
      // w · sign(p − y) / 3
      expectClose(grad, [4 / 3, 4 / 3, -4 / 3, 2 / 3, -2 / 3, 2 / 3, -1 / 3, 1 / 3, 1 / 3], 4);
    });

    it('all-ones class weights equal the unweighted loss', () => {
      const loss = classWeighted(categoricalCrossentropy(), [1, 1, 1], { layout, target: 'digit' });
      expectClose(
        perSample(loss, yTrue, yPred),
        perSample(
          categoricalCrossentropy(),
          yTrue.map((row) => row.slice(1)),
          yPred,
        ),
      );
    });

    it('around an already weighted loss, multiplies its weights and keeps them for the reduction', () => {
      // Classes 0, 1, 2: inner weights 1, 2, 4, outer 3, 1, 1 → each sample weighs 3, 2, 4.
      const labels = [
        [1, 0, 0],
        [0, 1, 0],
        [0, 0, 1],
      ];
      const predictions = [
        [0.5, 0.25, 0.25],
        [0.2, 0.8, 0],
        [0.2, 0.2, 0.6],
      ];
      const loss = classWeighted(classWeighted(categoricalCrossentropy(), [1, 2, 4]), [3, 1, 1]);
      expect(weightsOf(loss, labels)).toEqual([3, 2, 4]);
      const perSampleLoss = [3 * Math.log(2), -2 * Math.log(0.8), -4 * Math.log(0.6)];
      expectClose(
        noLeak(() => perSample(loss, labels, predictions)),
        perSampleLoss,
      );
      // sumOverWeights divides by Σ w = 3 + 2 + 4 (the outer weights alone would give 5).
      const mean = noLeak(() =>
        tf.tidy(() => reduceLoss(loss, tf.tensor2d(labels), tf.tensor2d(predictions), 'sumOverWeights').dataSync()[0]!),
      );
      expect(mean).toBeCloseTo(perSampleLoss.reduce((a, b) => a + b, 0) / 9, 5);
    });

    it('rejects a weight list whose length differs from the class count, naming both', () => {
      const atBuild = thrownBy(() => classWeighted(categoricalCrossentropy(), [1, 2], { layout, target: 'digit' }));
      expect(isLosslabError(atBuild, 'SHAPE_MISMATCH')).toBe(true);
      expect(atBuild.message).toBe(
        'classWeighted: weights has length 2 but target block "digit" has 3 column(s), i.e. 3 classes',
      );
      const loss = classWeighted(categoricalCrossentropy(), [1, 2]);
      noLeak(() => {
        const labels = tf.tensor2d([[0, 1, 0]]);
        const output = tf.tensor2d([[0.2, 0.5, 0.3]]);
        expect(() => loss(labels, output)).toThrow(
          'classWeighted: weights has length 2 but yTrue has 3 column(s), i.e. 3 classes',
        );
        tf.dispose([labels, output]);
      });
      expect(() => classWeighted(categoricalCrossentropy(), [1, -2, 3])).toThrow(
        'classWeighted: weights[1]: expected a finite number >= 0, got -2',
      );
      expect(() => classWeighted(categoricalCrossentropy(), [1, 2, 3], { layout })).toThrow(
        'classWeighted: options.layout and options.target must be given together',
      );
    });
  });

  describe('columnWeighted', () => {
    // blink: two output units (other, blink), one-hot labels, class weights per column.
    const yTrue = [
      [1, 0],
      [0, 1],
      [1, 0],
    ];
    const yPred = [
      [0.8, 0.2],
      [0.3, 0.7],
      [0.6, 0.4],
    ];
    const weights = [1.5, 3];

    it('sums the weighted columns per sample', () => {
      const loss = columnWeighted(absoluteError(), weights);
      expectClose(
        noLeak(() => perSample(loss, yTrue, yPred)),
        [0.9, 1.35, 1.8],
      );
      expect(loss.sampleWeights).toBeUndefined();
    });

    it('with sumOverBatchSize equals PyTorch Σ_j L1_mean(pred[:, j], y[:, j]) · w_j', () => {
      const columnMean = (j: number): number =>
        yTrue.reduce((sum, row, i) => sum + Math.abs(yPred[i]![j]! - row[j]!), 0) / yTrue.length;
      const reference = columnMean(0) * weights[0]! + columnMean(1) * weights[1]!;
      const reduced = noLeak(() =>
        tf.tidy(
          () =>
            reduceLoss(columnWeighted(absoluteError(), weights), tf.tensor2d(yTrue), tf.tensor2d(yPred)).dataSync()[0]!,
        ),
      );
      expect(reduced).toBeCloseTo(reference, 5);
    });

    it('all-ones column weights give k times the per-sample mean', () => {
      expectClose(
        perSample(columnWeighted(absoluteError(), [1, 1]), yTrue, yPred),
        perSample(meanAbsoluteError(), yTrue, yPred).map((v) => 2 * v),
      );
    });

    it('weighted L1 and BCE gradients match finite differences', () => {
      const grad = expectGradientsToMatch(columnWeighted(absoluteError(), weights), yTrue, yPred);
      expectClose(grad, [-1.5, 3, 1.5, -3, -1.5, 3], 4);
      expectGradientsToMatch(columnWeighted(binaryCrossentropyElementwise(), weights), yTrue, yPred);
    });

    it('reads a named block of a wider label', () => {
      const layout = labelLayout({ blink: 2, frame: 1 });
      const loss = columnWeighted(absoluteError(), weights, { layout, target: 'blink' });
      expectClose(
        perSample(
          loss,
          yTrue.map((row, i) => [...row, i]),
          yPred,
        ),
        [0.9, 1.35, 1.8],
      );
      expect(loss.lossName).toBe('columnWeighted(absoluteError, target=blink)');
    });

    it('rejects a weight list whose length differs from the column count, naming both', () => {
      const layout = labelLayout({ blink: 2, frame: 1 });
      expect(() => columnWeighted(absoluteError(), [1, 2, 3], { layout, target: 'blink' })).toThrow(
        'columnWeighted: weights has length 3 but target block "blink" has 2 column(s)',
      );
      const loss = columnWeighted(absoluteError(), [1, 2, 3]);
      noLeak(() => {
        const labels = tf.tensor2d(yTrue);
        const output = tf.tensor2d(yPred);
        const error = thrownBy(() => loss(labels, output));
        expect(isLosslabError(error, 'SHAPE_MISMATCH')).toBe(true);
        expect(error.message).toBe('columnWeighted: weights has length 3 but yPred has 2 column(s)');
        tf.dispose([labels, output]);
      });
    });
  });
});
