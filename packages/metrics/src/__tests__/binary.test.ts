import { describe, expect, it } from 'vitest';
import { averagePrecision, binaryMetrics, StreamingBinary } from '../index.js';

describe('binaryMetrics on a hand-worked example', () => {
  // index:   0    1    2    3    4    5    6    7
  const y = [1, 0, 1, 0, 1, 0, 0, 0];
  const s = [0.9, 0.8, 0.6, 0.6, 0.4, 0.3, 0.2, 0.1];

  it('computes counts, P, R, F1, accuracies and rates', () => {
    // predicted positive (s > 0.5): 0, 1, 2, 3 → TP = {0, 2} = 2, FP = {1, 3} = 2;
    // FN = {4} = 1; TN = {5, 6, 7} = 3; n = 8, positives 3, negatives 5.
    const m = binaryMetrics(y, s);
    expect([m.truePositives, m.falsePositives, m.trueNegatives, m.falseNegatives]).toEqual([2, 2, 3, 1]);
    expect(m.accuracy).toBe(5 / 8); // (2 + 3) / 8
    expect(m.precision).toBe(0.5); // 2 / 4
    expect(m.recall).toBeCloseTo(2 / 3, 12); // 2 / 3
    expect(m.f1).toBeCloseTo(4 / 7, 12); // 2·0.5·(2/3) / (0.5 + 2/3) = 2·2 / (2·2 + 2 + 1)
    expect(m.balancedAccuracy).toBeCloseTo(19 / 30, 12); // (2/3 + 3/5) / 2
    expect(m.majorityAccuracy).toBe(5 / 8); // always "0": 5 of 8
    expect(m.positiveRate).toBe(3 / 8);
    expect(m.predictedPositiveRate).toBe(4 / 8);
  });

  it('computes average precision with tied scores as one threshold', () => {
    // thresholds high → low (P = TP/(TP+FP), R = TP/3):
    //   0.9: TP1 FP0 → P 1,   R 1/3  (ΔR 1/3)
    //   0.8: TP1 FP1 → P 1/2, R 1/3  (ΔR 0)
    //   0.6: TP2 FP2 → P 1/2, R 2/3  (ΔR 1/3; the tie 2 (pos) & 3 (neg) is one point)
    //   0.4: TP3 FP2 → P 3/5, R 1    (ΔR 1/3)
    // AP = (1 + 1/2 + 3/5) / 3 = 0.7. Breaking the tie positive-first would give (1 + 2/3 + 3/5) / 3 ≈ 0.756.
    expect(binaryMetrics(y, s).prAuc).toBeCloseTo(0.7, 12);
    expect(averagePrecision(y, s)).toBeCloseTo(0.7, 12);
  });

  it('average precision is 1 for a perfect ranking and does not depend on the threshold', () => {
    expect(averagePrecision([0, 1, 0, 1], [0.1, 0.8, 0.2, 0.7])).toBe(1);
    expect(binaryMetrics(y, s, 0.05).prAuc).toBe(binaryMetrics(y, s, 0.95).prAuc);
  });

  it('uses a strict threshold: a score equal to it is negative', () => {
    const m = binaryMetrics([1, 0], [0.5, 0.5]);
    expect(m.truePositives + m.falsePositives).toBe(0);
    expect(binaryMetrics([1], [0.5], 0.4).truePositives).toBe(1);
  });
});

describe('binaryMetrics edge cases', () => {
  it('nothing predicted positive → precision 0, f1 0', () => {
    const m = binaryMetrics([1, 0, 0], [0.1, 0.2, 0.3]);
    expect(m.precision).toBe(0);
    expect(m.recall).toBe(0);
    expect(m.f1).toBe(0);
    expect(m.accuracy).toBe(2 / 3);
    expect(m.balancedAccuracy).toBe(0.5); // (0 + 1) / 2
  });

  it('no positive labels → recall 0, prAuc 0, balanced accuracy = specificity', () => {
    const m = binaryMetrics([0, 0, 0, 0], [0.9, 0.1, 0.2, 0.3]);
    expect(m.recall).toBe(0);
    expect(m.prAuc).toBe(0);
    expect(m.precision).toBe(0);
    expect(m.balancedAccuracy).toBe(0.75); // TN 3 of 4
    expect(m.majorityAccuracy).toBe(1);
    expect(Object.values(m).every(Number.isFinite)).toBe(true);
  });

  it('names the offending argument and index', () => {
    expect(() => binaryMetrics([], [])).toThrow('trueLabels: expected at least one value, got none');
    expect(() => binaryMetrics([0, 2], [0, 0])).toThrow('trueLabels[1]: expected 0 or 1, got 2');
    expect(() => binaryMetrics([0, 1], [0, NaN])).toThrow('positiveScores[1]: expected a finite number, got NaN');
    expect(() => binaryMetrics([0, 1], [0])).toThrow(
      'positiveScores: expected 2 values (the length of trueLabels), got 1',
    );
    expect(() => binaryMetrics([0], [0], Number.NaN)).toThrow('threshold: expected a finite number, got NaN');
  });
});

describe('whole-epoch versus batch-averaged metrics', () => {
  // batch A: y [1, 0],       s [0.9, 0.1]            → TP 1, FP 0, FN 0 → F1 1
  // batch B: y [1, 1, 1, 0], s [0.1, 0.2, 0.3, 0.9]  → TP 0, FP 1, FN 3 → F1 0
  // mean of batch F1 = 0.5, but over the epoch TP 1, FP 1, FN 3 → F1 = 2 / (2 + 1 + 3) = 1/3.
  const batches = [
    { y: [1, 0], s: [0.9, 0.1] },
    { y: [1, 1, 1, 0], s: [0.1, 0.2, 0.3, 0.9] },
  ];

  it('StreamingBinary gives the whole-epoch F1, which batch averaging gets wrong', () => {
    const batchMean = batches.map((b) => binaryMetrics(b.y, b.s).f1).reduce((a, b) => a + b, 0) / batches.length;
    expect(batchMean).toBe(0.5);

    const stream = new StreamingBinary();
    for (const b of batches) stream.update(b.y, b.s);
    const epoch = stream.evaluate();
    expect(epoch.f1).toBeCloseTo(1 / 3, 12);
    expect(epoch).toEqual(binaryMetrics([1, 0, 1, 1, 1, 0], [0.9, 0.1, 0.1, 0.2, 0.3, 0.9]));
  });

  it('StreamingBinary grows past its initial capacity and resets', () => {
    const stream = new StreamingBinary();
    const y = Array.from({ length: 150 }, (_, i) => (i % 3 === 0 ? 1 : 0));
    const s = y.map((label, i) => (label === 1 ? 0.6 : 0.4) + ((i % 7) - 3) / 100);
    for (let start = 0; start < 150; start += 40) stream.update(y.slice(start, start + 40), s.slice(start, start + 40));
    expect(stream.count).toBe(150);
    expect(stream.evaluate(0.5)).toEqual(binaryMetrics(y, s, 0.5));
    stream.reset();
    expect(() => stream.evaluate()).toThrow('trueLabels: expected at least one value, got none');
  });
});
