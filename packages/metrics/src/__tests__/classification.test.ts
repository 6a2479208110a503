import { isLosslabError } from '@losslab/runtime';
import { describe, expect, it } from 'vitest';
import {
  accuracy,
  argMax,
  argMaxRows,
  bincount,
  columnOf,
  confusionMatrix,
  StreamingClassification,
} from '../index.js';

describe('accuracy', () => {
  it('counts exact matches', () => {
    expect(accuracy([0, 1, 2, 2], [0, 2, 2, 2])).toBe(0.75);
    expect(accuracy(new Int32Array([3, 3]), new Int32Array([1, 2]))).toBe(0);
  });

  it('rejects empty input and mismatched lengths by name', () => {
    expect(() => accuracy([], [])).toThrow('trueClasses: expected at least one value, got none');
    try {
      accuracy([0, 1], [0]);
      expect.unreachable();
    } catch (error) {
      expect(isLosslabError(error, 'SHAPE_MISMATCH')).toBe(true);
      expect((error as Error).message).toBe('predictedClasses: expected 2 values (the length of trueClasses), got 1');
    }
  });
});

describe('bincount', () => {
  it('counts each value in [0, length)', () => {
    expect(bincount([0, 2, 2, 3], 5)).toEqual([1, 0, 2, 1, 0]);
    expect(bincount([], 3)).toEqual([0, 0, 0]);
  });

  it('names the index of a value out of range', () => {
    expect(() => bincount([0, 5], 5)).toThrow('values[1]: expected an integer class id in [0, 5), got 5');
    expect(() => bincount([0.5], 2)).toThrow('values[0]: expected an integer class id in [0, 2), got 0.5');
  });
});

describe('confusionMatrix', () => {
  it('puts true classes in rows and predictions in columns', () => {
    // pairs (true, pred): (0,0) (1,0) (1,1) (2,1) (2,1) (2,2)
    expect(confusionMatrix([0, 1, 1, 2, 2, 2], [0, 0, 1, 1, 1, 2], 3)).toEqual([
      [1, 0, 0],
      [1, 1, 0],
      [0, 2, 1],
    ]);
  });

  it('names the bad argument', () => {
    expect(() => confusionMatrix([0, 3], [0, 1], 3)).toThrow(
      'trueClasses[1]: expected an integer class id in [0, 3), got 3',
    );
    expect(() => confusionMatrix([0, 1], [0, -1], 3)).toThrow(
      'predictedClasses[1]: expected an integer class id in [0, 3), got -1',
    );
    expect(() => confusionMatrix([0], [0], 0)).toThrow('numClasses: expected an integer >= 1, got 0');
  });
});

describe('StreamingClassification', () => {
  const trueClasses = [0, 1, 2, 2, 1, 0, 2, 1, 1, 0];
  const predicted = [0, 2, 2, 1, 1, 0, 2, 0, 1, 1];

  it('equals the one-shot computation for any batching', () => {
    for (const batch of [1, 3, 4, 10]) {
      const stream = new StreamingClassification(3);
      for (let start = 0; start < trueClasses.length; start += batch) {
        stream.update(trueClasses.slice(start, start + batch), predicted.slice(start, start + batch));
      }
      expect(stream.count).toBe(10);
      expect(stream.accuracy()).toBe(accuracy(trueClasses, predicted));
      expect(stream.confusion()).toEqual(confusionMatrix(trueClasses, predicted, 3));
      expect(stream.trueCounts()).toEqual(bincount(trueClasses, 3));
      expect(stream.predictedCounts()).toEqual(bincount(predicted, 3));
    }
  });

  it('differs from averaging per-batch accuracies when batches have different sizes', () => {
    // batch A: 1 of 1 correct; batch B: 1 of 3 correct. Mean of batch accuracies = (1 + 1/3) / 2 = 2/3,
    // but 2 of 4 are correct overall.
    const stream = new StreamingClassification(2).update([0], [0]).update([0, 1, 1], [0, 0, 0]);
    expect(stream.accuracy()).toBe(0.5);
  });

  it('hands out copies, resets, and refuses to report on nothing', () => {
    const stream = new StreamingClassification(2).update([1], [1]);
    stream.confusion()[1]![1] = 99;
    expect(stream.confusion()).toEqual([
      [0, 0],
      [0, 1],
    ]);
    stream.reset();
    expect(stream.count).toBe(0);
    expect(() => stream.accuracy()).toThrow('StreamingClassification.accuracy: no samples seen yet');
    expect(() => stream.update([2], [0])).toThrow('trueClasses[0]: expected an integer class id in [0, 2), got 2');
  });
});

describe('argMax helpers', () => {
  it('argMaxRows picks the largest column, ties to the first, NaN never wins', () => {
    const scores = new Float32Array([0.1, 0.9, 0.0, /**/ 0.5, 0.5, 0.0, /**/ NaN, 0.2, 0.3, /**/ NaN, NaN, NaN]);
    expect(Array.from(argMaxRows(scores, 3))).toEqual([1, 0, 2, 0]);
    expect(argMax([0.1, 0.7, 0.7])).toBe(1);
    expect(argMax([NaN, -1])).toBe(1);
  });

  it('argMaxRows and columnOf check the width', () => {
    expect(() => argMaxRows(new Float32Array(5), 2)).toThrow('values: expected a multiple of width 2 values, got 5');
    expect(() => argMaxRows(new Float32Array(4), 0)).toThrow('width: expected an integer >= 1, got 0');
    expect(Array.from(columnOf(new Float32Array([0.1, 0.9, 0.8, 0.2]), 2, 1))).toEqual([
      Math.fround(0.9),
      Math.fround(0.2),
    ]);
    expect(() => columnOf(new Float32Array(4), 2, 2)).toThrow('column: expected an integer in [0, 2), got 2');
  });
});
