import { describe, expect, it } from 'vitest';
import {
  clipInterval,
  hedgesG,
  holmAdjust,
  normalCdf,
  pairedTTest,
  seedsNeeded,
  studentTQuantile,
  tTestPower,
  welchTest,
} from '../stats.js';

// Reference numbers below come from independent computations (Python, not this code): the t tail by numerically
// integrating the t density (numpy trapezoid on 2·10⁶ points), and noncentral-t power by a
// trapezoid over the chi density with math.erfc; cross-checked with published tables (G*Power /
// Cohen 1988: two samples of 17 at d = 1 give power 0.807; 34 pairs at d_z = 0.5 give 0.808).
const A = [0.91, 0.93, 0.92, 0.95];
const B = [0.88, 0.91, 0.91, 0.92];

describe('paired t-test', () => {
  it('tests the per-seed differences: mean, t, df and p by hand', () => {
    // d = [0.03, 0.02, 0.01, 0.03]: mean 0.0225; Σ(d − d̄)² = 0.0000563+0.0000063+0.0001563+0.0000563
    // = 0.000275, sd = √(0.000275/3) = 0.0095743; se = sd/2 = 0.0047871; t = 4.70010, df 3;
    // p (numeric integration of the t₃ density) = 0.018220.
    const test = pairedTTest(A, B);
    expect(test.method).toBe('paired');
    expect(test.difference).toBeCloseTo(0.0225, 12);
    expect(test.df).toBe(3);
    expect(test.t).toBeCloseTo(4.7001, 4);
    expect(test.p).toBeCloseTo(0.01822, 5);
    // CI: t_{0.975,3} = 3.182446 (tables) · 0.0047871 = 0.015235 either side.
    expect(test.ci?.[0]).toBeCloseTo(0.0225 - 0.015235, 5);
    expect(test.ci?.[1]).toBeCloseTo(0.0225 + 0.015235, 5);
  });

  it('is more powerful than Welch on the same seeds when the seeds share noise', () => {
    // Welch on the same numbers (numeric integration): t = 1.85001, df = 5.9988, p = 0.11380.
    const welch = welchTest(A, B);
    expect(welch.t).toBeCloseTo(1.85001, 4);
    expect(welch.p).toBeCloseTo(0.1138, 4);
    expect(pairedTTest(A, B).p).toBeLessThan(welch.p ?? 0);
  });

  it('says why no test is possible', () => {
    expect(pairedTTest([1], [0]).untestable).toBe('too-few-values');
    expect(pairedTTest([1, 2], [0, 1]).untestable).toBe('zero-variance');
    expect(() => pairedTTest([1, 2], [1])).toThrow(/b: expected 2 values paired with a, got 1/);
  });
});

describe("Hedges' g", () => {
  it('is the difference in pooled sds with the small-sample correction', () => {
    // var a = 2.5, var b = 10; pooled = (4·2.5 + 4·10)/8 = 6.25 → sd 2.5; d = −3/2.5 = −1.2;
    // J = 1 − 3/(4·10 − 9) = 28/31; g = −1.2 · 28/31 = −1.083871.
    expect(hedgesG([1, 2, 3, 4, 5], [2, 4, 6, 8, 10])).toBeCloseTo(-1.083871, 6);
    expect(hedgesG([1], [2, 3])).toBeNull();
    expect(hedgesG([1, 1], [2, 2])).toBeNull();
  });
});

describe('Holm–Bonferroni', () => {
  it('multiplies the i-th smallest p by (m − i + 1), keeps order monotone, caps at 1', () => {
    // sorted: 0.01·3 = 0.03; 0.03·2 = 0.06; 0.04·1 = 0.04 → raised to 0.06 (monotone).
    expect(holmAdjust([0.01, 0.04, 0.03])).toEqual([0.03, 0.06, 0.06]);
    // 0.2·2 = 0.4; 0.6·1 = 0.6; 0.9 alone in its family is 0.9 with the nulls left out.
    expect(holmAdjust([0.6, null, 0.2])).toEqual([0.6, null, 0.4]);
    expect(holmAdjust([0.5, 0.7])).toEqual([1, 1]);
    expect(() => holmAdjust([1.5])).toThrow(/pValues\[0\]/);
  });
});

describe('power and seeds needed', () => {
  it('Φ matches known quantiles', () => {
    expect(normalCdf(1.959963984540054)).toBeCloseTo(0.975, 6);
    expect(normalCdf(-1)).toBeCloseTo(0.158655254, 6);
    expect(normalCdf(0)).toBeCloseTo(0.5, 7);
  });

  it('the power of a two-sided t-test matches independent integration', () => {
    // Two samples of n: df = 2n − 2, δ = d·√(n/2). Reference: n = 16 → 0.781398, 17 → 0.807037.
    const power = (n: number, d: number): number =>
      tTestPower(d * Math.sqrt(n / 2), 2 * n - 2, studentTQuantile(0.975, 2 * n - 2));
    expect(power(16, 1)).toBeCloseTo(0.781398, 4);
    expect(power(17, 1)).toBeCloseTo(0.807037, 4);
    expect(power(3, 2)).toBeCloseTo(0.462641, 4);
    // Paired, n pairs: df = n − 1, δ = d_z·√n. Reference: 33 → 0.795366, 34 → 0.807778.
    expect(tTestPower(0.5 * Math.sqrt(33), 32, studentTQuantile(0.975, 32))).toBeCloseTo(0.795366, 4);
    expect(tTestPower(0.5 * Math.sqrt(34), 33, studentTQuantile(0.975, 33))).toBeCloseTo(0.807778, 4);
  });

  it('seeds needed is the smallest n with 80% power (textbook values)', () => {
    expect(seedsNeeded(1, 'welch')).toBe(17);
    expect(seedsNeeded(-1, 'welch')).toBe(17);
    expect(seedsNeeded(0.5, 'welch')).toBe(64);
    expect(seedsNeeded(0.5, 'paired')).toBe(34);
    expect(seedsNeeded(0, 'paired')).toBeNull();
    expect(seedsNeeded(0.01, 'welch')).toBeNull();
  });
});

describe('clipInterval', () => {
  it('keeps an interval inside the metric range', () => {
    expect(clipInterval([-0.126, 0.231], [0, 1])).toEqual([0, 0.231]);
    expect(clipInterval([0.9, 1.2], [0, 1])).toEqual([0.9, 1]);
    expect(clipInterval([-1, 2], [Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY])).toEqual([-1, 2]);
  });
});
