import { describe, expect, it } from 'vitest';
import {
  interquartileMean,
  pairedBootstrap,
  percentileInterval,
  probabilityOfImprovement,
  seededRandom,
  stratifiedBootstrap,
  twoLevelBootstrap,
} from '../bootstrap.js';
import { CONFUSION_METRICS } from '../confusion-metrics.js';

/*
 * Reference numbers from an independent implementation: Python 3.11 with numpy 2.4 and scipy 1.17,
 * computing each bootstrap distribution EXACTLY by enumerating every resample (3^3 × 3^3 for
 * P(A > B), 4^4 for the paired seeds, 2^2 × (4^4)^2 for the two-level bootstrap), and numpy's
 * percentile and scipy's trim_mean(x, 0.25). losslab's bootstraps are Monte Carlo (20,000
 * replicates here), so they must match the exact mean and sd within a few Monte-Carlo errors.
 */

const mean = (values: readonly number[]): number => values.reduce((s, v) => s + v, 0) / values.length;
const sd = (values: readonly number[]): number => {
  const m = mean(values);
  return Math.sqrt(values.reduce((s, v) => s + (v - m) ** 2, 0) / values.length);
};
const REPLICATES = 20_000;

describe('probability of improvement and interquartile mean', () => {
  // Catches: ties counted as wins or losses, a mean over seeds in place of all pairs.
  it('counts every pair, ties half (hand-computed)', () => {
    expect(probabilityOfImprovement([3, 4], [1, 3])).toBe(0.875);
    expect(probabilityOfImprovement([1, 1], [1, 1])).toBe(0.5);
    expect(probabilityOfImprovement([0.8, 0.84, 0.83], [0.81, 0.79, 0.78])).toBeCloseTo(8 / 9, 15);
  });

  // Catches: trimming a share other than a quarter, or rounding the cut up.
  it('is the mean of the middle half, as scipy.stats.trim_mean(x, 0.25)', () => {
    expect(interquartileMean([1, 2, 3, 4, 100])).toBe(3);
    expect(interquartileMean([0.3, -0.1, 0.7, 0.2, 0.25, 0.9, -0.4])).toBeCloseTo(0.27, 14);
    expect(interquartileMean([0, 1, 4, 9, 16, 25, 36, 49])).toBe(13.5);
  });

  it('takes percentiles as numpy.percentile does (linear interpolation)', () => {
    const [low, high] = percentileInterval([0.3, -0.1, 0.7, 0.2, 0.25, 0.9, -0.4]);
    expect(low).toBeCloseTo(-0.355, 14);
    expect(high).toBeCloseTo(0.87, 14);
  });
});

describe('bootstrap intervals against exact enumeration', () => {
  // Catches: resampling both variants with the same draws, resampling without replacement.
  it('stratified bootstrap of P(A > B): exact mean 0.8888889 and sd 0.1481481', () => {
    const result = stratifiedBootstrap(
      [
        [0.8, 0.84, 0.83],
        [0.81, 0.79, 0.78],
      ],
      ([a = [], b = []]) => probabilityOfImprovement(a, b),
      seededRandom('test stratified'),
      REPLICATES,
    );
    expect(result.estimate).toBeCloseTo(8 / 9, 15);
    expect(Math.abs(mean(result.replicates) - 0.8888888889)).toBeLessThan((4 * 0.1481481481) / Math.sqrt(REPLICATES));
    expect(sd(result.replicates) / 0.1481481481).toBeGreaterThan(0.97);
    expect(sd(result.replicates) / 0.1481481481).toBeLessThan(1.03);
  });

  // Catches an unpaired resample: drawing A's and B's seeds independently gives sd 0.079, not 0.0041.
  it('paired bootstrap over seeds: exact sd 0.0041457810 of the mean difference', () => {
    const result = pairedBootstrap(
      [0.7, 0.9, 0.8, 0.6],
      [0.68, 0.87, 0.79, 0.59],
      seededRandom('test paired'),
      REPLICATES,
    );
    expect(result.estimate).toBeCloseTo(0.0175, 12);
    expect(sd(result.replicates) / 0.004145781).toBeGreaterThan(0.97);
    expect(sd(result.replicates) / 0.004145781).toBeLessThan(1.03);
  });

  // Catches: different test examples drawn for A and B (sd 0.234), examples not resampled (sd 0),
  // seeds not resampled, or each seed's examples drawn once for all replicates.
  it('two-level bootstrap over seeds and test examples: exact mean 0.25 and sd 0.1530931', () => {
    const seed = (truth: number[], a: number[], b: number[]) => ({
      truth: Int32Array.from(truth),
      predictedA: Int32Array.from(a),
      predictedB: Int32Array.from(b),
      classes: 2,
    });
    const seeds = [seed([0, 1, 1, 0], [0, 1, 1, 1], [0, 1, 0, 1]), seed([1, 1, 0, 0], [1, 0, 0, 0], [1, 0, 0, 1])];
    const result = twoLevelBootstrap(seeds, CONFUSION_METRICS.accuracy!, seededRandom('test two-level'), REPLICATES);
    expect(result.estimate).toBeCloseTo(0.25, 15);
    expect(Math.abs(mean(result.replicates) - 0.25)).toBeLessThan((4 * 0.1530931089) / Math.sqrt(REPLICATES));
    expect(sd(result.replicates) / 0.1530931089).toBeGreaterThan(0.97);
    expect(sd(result.replicates) / 0.1530931089).toBeLessThan(1.03);
  });

  it('draws the same numbers from the same seed text, and others from another', () => {
    const first = seededRandom('runs a,b');
    const again = seededRandom('runs a,b');
    const other = seededRandom('runs a,c');
    const draws = Array.from({ length: 5 }, () => first());
    expect(Array.from({ length: 5 }, () => again())).toEqual(draws);
    expect(Array.from({ length: 5 }, () => other())).not.toEqual(draws);
    // uniform enough: the mean of many draws is near 1/2
    const many = Array.from({ length: 10_000 }, () => first());
    expect(Math.abs(mean(many) - 0.5)).toBeLessThan(0.015);
    expect(Math.min(...many)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...many)).toBeLessThan(1);
  });
});

describe('metrics recomputed from a confusion matrix', () => {
  // Same rules as @losslab/metrics: the example of perClassMetrics' documentation.
  it('gives accuracy, macro F1 and balanced accuracy of a 3-class matrix (hand-computed)', () => {
    const confusion = [Float64Array.from([2, 1, 0]), Float64Array.from([0, 3, 0]), Float64Array.from([1, 0, 1])];
    expect(CONFUSION_METRICS.accuracy!(confusion)).toBeCloseTo(6 / 8, 15);
    // recalls 2/3, 1, 1/2; precisions 2/3, 3/4, 1; f1 = 2tp/(support+predicted): 4/6, 6/7, 2/3
    expect(CONFUSION_METRICS.balancedAccuracy!(confusion)).toBeCloseTo((2 / 3 + 1 + 1 / 2) / 3, 15);
    expect(CONFUSION_METRICS.macroF1!(confusion)).toBeCloseTo((4 / 6 + 6 / 7 + 2 / 3) / 3, 15);
    // binary: the positive class's
    const binary = [Float64Array.from([5, 1]), Float64Array.from([2, 2])];
    expect(CONFUSION_METRICS.precision!(binary)).toBeCloseTo(2 / 3, 15);
    expect(CONFUSION_METRICS.recall!(binary)).toBeCloseTo(0.5, 15);
    expect(CONFUSION_METRICS.f1!(binary)).toBeCloseTo(4 / 7, 15);
  });
});
