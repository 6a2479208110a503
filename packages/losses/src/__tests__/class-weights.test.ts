import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { isLosslabError, labelLayout } from '@losslab/runtime';
import { TEST_BACKENDS, thrownBy, useBackend } from '@losslab/test-utils';
import { classCounts, classIndices, classWeights } from '../index.js';
import { expectClose, noLeak } from './fixtures.js';

describe('classWeights', () => {
  it('inverse: N / n_j (the blink reference)', () => {
    expectClose(classWeights([95, 5], { kind: 'inverse' }), [100 / 95, 20], 10);
  });

  it('balanced: N / (k · n_j) (scikit-learn)', () => {
    expectClose(classWeights([95, 5], { kind: 'balanced' }), [100 / 190, 10], 10);
    expectClose(classWeights([10, 20, 70], { kind: 'balanced' }), [100 / 30, 100 / 60, 100 / 210], 10);
  });

  it('effectiveNumber: (1 − β)/(1 − β^n_j), normalised to sum to k (Cui et al. 2019)', () => {
    const raw0 = 0.1 / (1 - 0.9 ** 95);
    const raw1 = 0.1 / (1 - 0.59049); // 0.9^5
    const weights = classWeights([95, 5], { kind: 'effectiveNumber', beta: 0.9 });
    expectClose(weights, [(2 * raw0) / (raw0 + raw1), (2 * raw1) / (raw0 + raw1)], 10);
    expect(weights[0]).toBeCloseTo(0.58109, 4);
    // β = 0: every class counts as one effective sample → all weights 1.
    expectClose(classWeights([95, 5, 1], { kind: 'effectiveNumber', beta: 0 }), [1, 1, 1], 10);
    // β → 1: approaches inverse frequency, normalised (here: balanced, which already sums to... scaled to k).
    const nearOne = classWeights([95, 5], { kind: 'effectiveNumber', beta: 1 - 1e-9 });
    const inverse = [1 / 95, 1 / 5];
    const scale = 2 / (inverse[0]! + inverse[1]!);
    expectClose(
      nearOne,
      inverse.map((w) => w * scale),
      3,
    );
  });

  it('explicit: the given values, one per class', () => {
    expect(classWeights([5, 0, 3], { kind: 'explicit', values: [1, 2, 3] })).toEqual([1, 2, 3]);
    expect(() => classWeights([5, 3], { kind: 'explicit', values: [1, 2, 3] })).toThrow(
      'classWeights: values has length 3 but counts has 2 classes',
    );
    expect(() => classWeights([5, 3], { kind: 'explicit', values: [1, -2] })).toThrow(
      'classWeights: strategy.values.1: expected a positive number, got -2',
    );
    expect(() => classWeights([5, 3], { kind: 'explicit', values: [] })).toThrow(
      'classWeights: strategy.values: expected a non-empty list of positive weights, got []',
    );
  });

  it('a class with zero samples is an error naming its index, never Infinity', () => {
    for (const strategy of [
      { kind: 'inverse' },
      { kind: 'balanced' },
      { kind: 'effectiveNumber', beta: 0.99 },
    ] as const) {
      const error = thrownBy(() => classWeights([5923, 0, 5958], strategy));
      expect(isLosslabError(error, 'INVALID_ARGUMENT'), strategy.kind).toBe(true);
      expect(error.message).toMatch(/^classWeights: class 1 has no samples \(counts\[1\] = 0\)/);
    }
  });

  it('rejects bad counts, beta and kinds, naming each', () => {
    expect(() => classWeights([], { kind: 'inverse' })).toThrow(
      'classWeights: counts: expected a non-empty array of class counts',
    );
    expect(() => classWeights([3, -1], { kind: 'inverse' })).toThrow(
      'classWeights: counts[1]: expected an integer >= 0, got -1',
    );
    expect(() => classWeights([3, 1], { kind: 'effectiveNumber', beta: 1 })).toThrow(
      'classWeights: strategy.beta: expected a number in [0, 1), got 1',
    );
    expect(() => classWeights([3, 1], { kind: 'median' } as never)).toThrow(
      'classWeights: strategy.kind: expected one of "inverse", "balanced", "effectiveNumber", "explicit", got "median"',
    );
    expect(() => classWeights([3, 1], { kind: 'effectiveNumber', beta: 0.9, gamma: 2 } as never)).toThrow(
      'classWeights: strategy.gamma: unknown key (expected one of: kind, beta)',
    );
  });
});

describe('classCounts from class ids', () => {
  it('counts ids per class, including empty classes', () => {
    expect(classCounts([0, 2, 2, 0, 2], 4)).toEqual([2, 0, 3, 0]);
    expect(classCounts(Int32Array.from([1, 1, 0]), 2)).toEqual([1, 2]);
  });

  it('rejects ids outside [0, numClasses), naming the index', () => {
    expect(() => classCounts([0, 3], 3)).toThrow('classCounts: classIds[1]: expected an integer in [0, 3), got 3');
    expect(() => classCounts([0.5], 3)).toThrow('classCounts: classIds[0]: expected an integer in [0, 3), got 0.5');
  });
});

describe.each(TEST_BACKENDS)('classCounts and classIndices on %s', (backend) => {
  beforeAll(async () => {
    await useBackend(backend);
  });

  it('counts the classes of the target block only', () => {
    const counts = noLeak(() =>
      tf.tidy(() =>
        classCounts(
          tf.tensor2d([
            [1, 0, 0, 1],
            [1, 0, 1, 0],
            [0, 1, 0, 0],
            [1, 0, 0, 1],
          ]),
          { layout: labelLayout({ flag: 1, digit: 3 }), target: 'digit' },
        ),
      ),
    );
    expect(counts).toEqual([1, 1, 2]);
  });

  it('reads one binary column as two classes (y >= 0.5)', () => {
    const counts = noLeak(() => tf.tidy(() => classCounts(tf.tensor2d([[1], [0], [0.5], [0.2], [0.9]]))));
    expect(counts).toEqual([2, 3]);
  });

  it('classIndices takes argMax over a one-hot block and thresholds a binary column', () => {
    noLeak(() =>
      tf.tidy(() => {
        expect(
          Array.from(
            classIndices(
              tf.tensor2d([
                [0, 1, 0],
                [0.1, 0.2, 0.7],
              ]),
            ).dataSync(),
          ),
        ).toEqual([1, 2]);
        expect(Array.from(classIndices(tf.tensor2d([[0.9], [0.2]])).dataSync())).toEqual([1, 0]);
      }),
    );
  });
});
