import { describe, expect, it } from 'vitest';
import {
  interquartileMean,
  pairedBootstrap,
  percentileInterval,
  probabilityOfImprovement,
  seededRandom,
  sharedExampleCovariance,
  stratifiedBootstrap,
  twoLevelInterval,
  interquartileMeanInterval,
  type PairedExamples,
} from '../bootstrap.js';
import { CONFUSION_METRICS } from '../confusion-metrics.js';
import { pairedTTest, studentTQuantile } from '../stats.js';

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

/*
 * The two-level interval on fixed data: 3 seeds share 10 test examples; A is right on most of the
 * first six and wrong on the last four in every seed, B's errors fall elsewhere. Reference numbers
 * from Python 3.11 with numpy 2.4 and scipy 1.17:
 * - exact: Dₛ = −0.3, −0.1, 0.1; s_d²/n = 1/75; for a mean over examples the bootstrap covariance
 *   of two seeds' deviations under one shared draw is exactly Σᵢ (xₛᵢ − x̄ₛ)(xₜᵢ − x̄ₜ) / N²
 *   (xₛᵢ = A right − B right), whose mean over pairs s ≠ t is Ĉ = 0.0103333; Satterthwaite
 *   ν = 5.5592452 and the interval [−0.4837864846, 0.2837864846] (scipy.stats.t.ppf);
 * - scipy.stats.bootstrap(paired=True, vectorized, 200,000 resamples, numpy default_rng(20261206))
 *   of the seeds' mean difference and of each seed's: standard error 0.1337140179 and variances
 *   0.0606702, 0.0290771, 0.0090427, so Ĉ = (n·se² − mean variance)/(n − 1) = 0.0103541;
 * - the deliberate bugs: A's and B's examples drawn apart (unpaired) give Ĉ = 0.021 exactly, B's
 *   drawn apart per seed 0.0213333, A's −0.0003333, each seed's examples drawn on its own (the
 *   nested, double-counting resample) 0;
 * - scipy.stats.ttest_rel(...).confidence_interval(): [−0.5968275424, 0.3968275424].
 */
const TRUTH = [0, 1, 1, 0, 1, 0, 0, 1, 1, 0];
const PREDICTED_A = [
  [0, 1, 1, 0, 0, 0, 1, 0, 0, 1],
  [0, 1, 1, 0, 1, 0, 1, 0, 0, 1],
  [0, 1, 1, 0, 1, 0, 1, 0, 0, 1],
];
const PREDICTED_B = [
  [0, 0, 1, 0, 1, 1, 0, 1, 1, 0],
  [0, 1, 1, 0, 1, 1, 0, 0, 0, 0],
  [0, 1, 1, 1, 1, 0, 1, 0, 0, 1],
];
const SHARED: PairedExamples[] = PREDICTED_A.map((a, s) => ({
  truth: Int32Array.from(TRUTH),
  predictedA: Int32Array.from(a),
  predictedB: Int32Array.from(PREDICTED_B[s]!),
  classes: 2,
}));

describe('two-level paired interval of a difference (t over seeds, bootstrap over the shared test set)', () => {
  const accuracy = CONFUSION_METRICS.accuracy!;

  // Catches an unpaired resample (A's and B's examples drawn apart: Ĉ 0.021, or −0.0003 / 0.0213
  // when only one variant's draw is shared by the seeds), a nested resample (each seed's examples
  // drawn on its own, the double counting: Ĉ ≈ 0) and a seed's own variance taken for the
  // covariance between seeds (0.009 to 0.061).
  it('estimates the shared test set’s variance as scipy.stats.bootstrap and the exact formula do', () => {
    const differences = [-0.3, -0.1, 0.1];
    const covariance = sharedExampleCovariance(SHARED, differences, accuracy, seededRandom('test shared'), 20_000);
    expect(Math.abs(covariance - 0.0103333333)).toBeLessThan(0.001);
    expect(Math.abs(covariance - 0.0103541)).toBeLessThan(0.001);
  });

  // Catches: a percentile interval in place of t, the n rather than n − 1 variance over seeds, a
  // wrong Satterthwaite df, Ĉ added without the seeds' part or twice.
  it('is d̄ ± t_ν √(s_d²/n + Ĉ), near the exact interval [−0.48379, 0.28379]', () => {
    const result = twoLevelInterval(SHARED, accuracy, seededRandom('test two-level'), { replicates: 20_000 });
    expect(result.estimate).toBeCloseTo(-0.1, 14);
    expect(result.seedVariance).toBeCloseTo(1 / 75, 14);
    expect(Math.abs(result.testSetVariance - 0.0103333333)).toBeLessThan(0.001);
    const variance = 1 / 75 + result.testSetVariance;
    const df = variance ** 2 / ((1 / 75) ** 2 / 2 + result.testSetVariance ** 2 / 9);
    expect(result.df).toBeCloseTo(df, 10);
    const half = studentTQuantile(0.975, df) * Math.sqrt(variance);
    expect(result.interval[0]).toBeCloseTo(-0.1 - half, 12);
    expect(result.interval[1]).toBeCloseTo(-0.1 + half, 12);
    expect(Math.abs(result.interval[0] - -0.4837864846)).toBeLessThan(0.02);
    expect(Math.abs(result.interval[1] - 0.2837864846)).toBeLessThan(0.02);
    // the same seed text gives the same interval
    expect(twoLevelInterval(SHARED, accuracy, seededRandom('test two-level'), { replicates: 20_000 })).toEqual(result);
  });

  // Catches a test-set term added when each seed has its own examples (their spread already holds it).
  it('is the paired t interval when the seeds do not share their test examples (scipy.stats.ttest_rel)', () => {
    const result = twoLevelInterval(SHARED, accuracy, seededRandom('x'), { sharedExamples: false });
    expect(result.testSetVariance).toBe(0);
    expect(result.df).toBe(2);
    expect(result.interval[0]).toBeCloseTo(-0.5968275423500661, 12);
    expect(result.interval[1]).toBeCloseTo(0.396827542350066, 12);
    const t = pairedTTest([0.5, 0.6, 0.6], [0.8, 0.7, 0.5]);
    expect(result.interval[0]).toBeCloseTo(t.ci![0], 12);
  });

  it('needs two seeds', () => {
    expect(() => twoLevelInterval(SHARED.slice(0, 1), accuracy, seededRandom('x'))).toThrow(/at least 2 paired seeds/);
  });
});

describe('interquartile mean interval', () => {
  /*
   * numpy by hand (Python 3.11, numpy 2.4, scipy.stats.t.ppf): sorted [0.79, 0.80, 0.81, 0.84, 0.86],
   * g = 1; leaving each out and averaging the middle two gives 0.825, 0.825, 0.82, 0.805, 0.805;
   * se = √(4/5 · Σ (θᵢ − 0.816)²) = 0.0183303028; t(0.975, 2) = 4.30265273;
   * interval 0.8166667 ± 0.0788689 = [0.7377977394, 0.8955355940].
   */
  // Catches: trimming the leave-one-out samples by ⌊(n−1)/4⌋, n − 1 degrees of freedom, the
  // jackknife without its (n − 1)/n factor, the winsorized (Tukey–McLaughlin) standard error.
  it('is the IQM ± t_{n−2g−1} · its jackknife standard error', () => {
    const { estimate, interval } = interquartileMeanInterval([0.81, 0.79, 0.84, 0.8, 0.86]);
    expect(estimate).toBeCloseTo(0.8166666666666668, 14);
    expect(interval[0]).toBeCloseTo(0.7377977393739259, 12);
    expect(interval[1]).toBeCloseTo(0.8955355939594076, 12);
    // 8 seeds: g = 2, 3 degrees of freedom; equal values give a zero-width interval
    expect(interquartileMeanInterval([1, 1, 1, 1, 1, 1, 1, 1]).interval).toEqual([1, 1]);
  });
});
