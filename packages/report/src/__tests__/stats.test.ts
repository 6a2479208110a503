import { describe, expect, it } from 'vitest';
import { LosslabError } from '@losslab/schema';
import { describeComparison } from '../compare.js';
import { ReportError } from '../errors.js';
import {
  logGamma,
  mean,
  regularizedIncompleteBeta,
  sampleStd,
  sampleVariance,
  studentTCdf,
  studentTQuantile,
  summarize,
  welchTest,
} from '../stats.js';

describe('descriptive statistics', () => {
  it('mean, sample variance and sd of [1..5] match the hand computation', () => {
    // Σ = 15, mean = 3; Σ(x − 3)² = 4 + 1 + 0 + 1 + 4 = 10; variance = 10 / 4 = 2.5; sd = √2.5.
    expect(mean([1, 2, 3, 4, 5])).toBe(3);
    expect(sampleVariance([1, 2, 3, 4, 5])).toBe(2.5);
    expect(sampleStd([1, 2, 3, 4, 5])).toBeCloseTo(1.5811388, 7);
  });

  it('summarize gives the Student-t 95% CI of the mean', () => {
    // t_{0.975,4} = 2.776445 (tables); half width = 2.776445 · 1.581139 / √5 = 1.963243.
    const summary = summarize([1, 2, 3, 4, 5]);
    expect(summary).toMatchObject({ n: 5, mean: 3, min: 1, max: 5, level: 0.95 });
    expect(summary.sd).toBeCloseTo(1.5811388, 7);
    expect(summary.ci?.[0]).toBeCloseTo(1.036757, 5);
    expect(summary.ci?.[1]).toBeCloseTo(4.963243, 5);
  });

  it('summarize of one value has no sd and no CI', () => {
    expect(summarize([0.7])).toEqual({ n: 1, mean: 0.7, sd: null, min: 0.7, max: 0.7, ci: null, level: 0.95 });
  });

  it('rejects empty and non-finite input, naming the argument', () => {
    expect(() => mean([])).toThrow(ReportError);
    // One error type: the report's is losslab's, so a caller branches on it by code.
    expect(() => mean([])).toThrow(LosslabError);
    expect(() => mean([])).toThrow(/values: expected at least one value/);
    expect(() => summarize([1, Number.NaN])).toThrow(/values\[1\]: expected a finite number/);
    expect(() => sampleVariance([1])).toThrow(/at least 2 values/);
    expect(() => summarize([1, 2], 1)).toThrow(/level/);
  });
});

describe('special functions', () => {
  it('logGamma matches factorials and Γ(½) = √π', () => {
    expect(logGamma(5)).toBeCloseTo(Math.log(24), 12);
    expect(logGamma(11)).toBeCloseTo(Math.log(3628800), 10);
    expect(logGamma(0.5)).toBeCloseTo(0.5 * Math.log(Math.PI), 12);
    expect(logGamma(0.1)).toBeCloseTo(2.252712651734206, 10); // ln Γ(0.1), Γ(0.1) = 9.513507698668732
  });

  it('regularized incomplete beta matches closed forms and reference values', () => {
    // I_x(1, 1) = x; I_x(a, 1) = x^a; I_x(1, b) = 1 − (1 − x)^b.
    expect(regularizedIncompleteBeta(0.37, 1, 1)).toBeCloseTo(0.37, 12);
    expect(regularizedIncompleteBeta(0.6, 3, 1)).toBeCloseTo(0.216, 12);
    expect(regularizedIncompleteBeta(0.2, 1, 4)).toBeCloseTo(1 - 0.8 ** 4, 12);
    // Values from scipy.special.betainc (independent implementation).
    expect(regularizedIncompleteBeta(0.3, 2.5, 1.5)).toBeCloseTo(0.08894372317066562, 10);
    expect(regularizedIncompleteBeta(0.05, 0.5, 10)).toBeCloseTo(0.6828484245344547, 10);
    expect(regularizedIncompleteBeta(0.45, 30, 40)).toBeCloseTo(0.6447480085585666, 10);
    // Symmetry I_x(a, b) = 1 − I_{1−x}(b, a).
    expect(regularizedIncompleteBeta(0.7, 2, 5) + regularizedIncompleteBeta(0.3, 5, 2)).toBeCloseTo(1, 12);
  });

  it('Student t CDF matches the closed forms for 1 and 2 degrees of freedom', () => {
    for (const t of [-3, -0.5, 0, 0.8, 2.5]) {
      // df = 1 is the Cauchy distribution: ½ + atan(t)/π.
      expect(studentTCdf(t, 1)).toBeCloseTo(0.5 + Math.atan(t) / Math.PI, 12);
      // df = 2: ½ + t / (2√(2 + t²)).
      expect(studentTCdf(t, 2)).toBeCloseTo(0.5 + t / (2 * Math.sqrt(2 + t * t)), 12);
    }
    // Non-integer df, against scipy.stats.t.cdf.
    expect(studentTCdf(1.5, 3.5)).toBeCloseTo(0.8910909064923275, 10);
    expect(studentTCdf(-0.3, 0.7)).toBeCloseTo(0.4146175931856675, 10);
  });

  it('Student t quantile inverts the CDF and matches tables', () => {
    expect(studentTQuantile(0.975, 4)).toBeCloseTo(2.7764451051977934, 9);
    expect(studentTQuantile(0.975, 1)).toBeCloseTo(Math.tan(Math.PI * 0.475), 8); // Cauchy: tan(π(p − ½)) = 12.7062
    expect(studentTQuantile(0.9, 1.3)).toBeCloseTo(2.425947410787918, 9); // scipy.stats.t.ppf
    expect(studentTQuantile(0.025, 4)).toBeCloseTo(-2.7764451051977934, 9);
    expect(studentTQuantile(0.5, 7)).toBe(0);
    // Large df approaches the normal quantile 1.959964.
    expect(studentTQuantile(0.975, 1e6)).toBeCloseTo(1.959966, 5);
    expect(() => studentTQuantile(1, 3)).toThrow(/p: expected a probability/);
    expect(() => studentTCdf(0, 0)).toThrow(/df: expected/);
  });
});

describe('welchTest', () => {
  it('matches a hand computation and scipy for x = [1..5], y = 2x', () => {
    // var x = 2.5, var y = 10; se² = 2.5/5 + 10/5 = 2.5; t = (3 − 6)/√2.5 = −1.897367;
    // df = 2.5² / (0.5²/4 + 2²/4) = 6.25 / 1.0625 = 5.882353;
    // scipy.stats.ttest_ind(x, y, equal_var=False) gives p = 0.10753119493062728.
    const result = welchTest([1, 2, 3, 4, 5], [2, 4, 6, 8, 10]);
    expect(result.difference).toBe(-3);
    expect(result.t).toBeCloseTo(-1.8973665961010275, 12);
    expect(result.df).toBeCloseTo(5.882352941176471, 12);
    expect(result.p).toBeCloseTo(0.10753119493062728, 9);
    // CI: −3 ± t_{0.975, 5.882} · √2.5, with t_{0.975, 5.882} = 2.458823709699146 (scipy).
    expect(result.ci?.[0]).toBeCloseTo(-3 - 2.458823709699146 * Math.sqrt(2.5), 8);
    expect(result.ci?.[1]).toBeCloseTo(-3 + 2.458823709699146 * Math.sqrt(2.5), 8);
    expect(result.untestable).toBeNull();
  });

  it('is antisymmetric: swapping the samples flips t and the CI, keeps p', () => {
    const forward = welchTest([0.8, 0.82, 0.85], [0.6, 0.7, 0.65, 0.66]);
    const backward = welchTest([0.6, 0.7, 0.65, 0.66], [0.8, 0.82, 0.85]);
    expect(backward.t).toBeCloseTo(-(forward.t ?? 0), 12);
    expect(backward.p).toBeCloseTo(forward.p ?? 0, 12);
    expect(backward.ci?.[0]).toBeCloseTo(-(forward.ci?.[1] ?? 0), 12);
  });

  it('says why no test is possible with one seed or no spread', () => {
    expect(welchTest([0.9], [0.8])).toMatchObject({ untestable: 'too-few-values', p: null, ci: null });
    expect(welchTest([0.9, 0.9], [0.8, 0.8])).toMatchObject({ untestable: 'zero-variance', p: null });
    expect(welchTest([0.9, 0.9], [0.8, 0.8]).difference).toBeCloseTo(0.1, 12);
  });

  it('treats samples of equal values as zero variance even when their mean rounds (item 8)', () => {
    // 0.1 + 0.1 + 0.1 = 0.30000000000000004, so the mean is 0.10000000000000002 and the deviations
    // from it are not 0; the spread of three equal values is still exactly 0.
    expect(sampleVariance([0.1, 0.1, 0.1])).toBe(0);
    expect(sampleVariance([0.2, 0.2, 0.2])).toBe(0);
    expect(summarize([0.1, 0.1, 0.1]).sd).toBe(0);
    for (const [a, b] of [
      [
        [0.1, 0.1, 0.1],
        [0.2, 0.2, 0.2],
      ],
      [
        [0.947, 0.947, 0.947],
        [0.81, 0.81, 0.81],
      ],
    ]) {
      const result = welchTest(a ?? [], b ?? []);
      expect(result).toMatchObject({ untestable: 'zero-variance', p: null, ci: null, t: null });
      expect(describeComparison('a', 'b', 'accuracy', result)).toMatch(
        /identical values across seeds: no significance can be claimed$/,
      );
    }
    // Shifting every value by the first one keeps the textbook results exact.
    expect(sampleVariance([1, 2, 3, 4, 5])).toBe(2.5);
    expect(sampleVariance([1e9 + 1, 1e9 + 2, 1e9 + 3])).toBe(1);
  });
});
