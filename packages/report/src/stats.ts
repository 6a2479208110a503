import { ReportError } from './errors.js';

/**
 * Small, dependency-free statistics for a handful of seeds: descriptive summaries, Student-t
 * confidence intervals and Welch's two-sample t-test. The t distribution is computed through the
 * regularized incomplete beta function, I_x(a, b), evaluated with a continued fraction.
 */

function requireFiniteArray(what: string, values: readonly number[]): void {
  for (const [index, value] of values.entries()) {
    if (!Number.isFinite(value)) {
      throw new ReportError('INVALID_ARGUMENT', `${what}[${index}]: expected a finite number, got ${String(value)}`);
    }
  }
}

function requireNonEmpty(what: string, values: readonly number[]): void {
  if (values.length === 0) throw new ReportError('INVALID_ARGUMENT', `${what}: expected at least one value, got none`);
  requireFiniteArray(what, values);
}

/**
 * Arithmetic mean, Σ xᵢ / n.
 *
 * @example mean([1, 2, 3, 4, 5]) // 3
 */
export function mean(values: readonly number[]): number {
  requireNonEmpty('values', values);
  let sum = 0;
  for (const value of values) sum += value;
  return sum / values.length;
}

/**
 * Sample variance with Bessel's correction, Σ (xᵢ − x̄)² / (n − 1). Needs n ≥ 2. Equal values
 * give exactly 0.
 *
 * @example sampleVariance([1, 2, 3, 4, 5]) // 2.5
 * @example sampleVariance([0.1, 0.1, 0.1]) // 0 (the rounded mean 0.10000000000000002 would give 2.9e-34)
 */
export function sampleVariance(values: readonly number[]): number {
  if (values.length < 2) {
    throw new ReportError(
      'INVALID_ARGUMENT',
      `values: expected at least 2 values for a sample variance, got ${values.length}`,
    );
  }
  requireFiniteArray('values', values);
  // Deviations from the first value are exact zeros for equal values, whatever rounding does to
  // their mean; the variance is shift-invariant, so this changes nothing else.
  const first = values[0] ?? 0;
  const deviations = values.map((value) => value - first);
  const center = mean(deviations);
  let squares = 0;
  for (const deviation of deviations) squares += (deviation - center) ** 2;
  return squares / (values.length - 1);
}

/**
 * Sample standard deviation, √(sampleVariance). Needs n ≥ 2.
 *
 * @example sampleStd([1, 2, 3, 4, 5]) // 1.5811…
 */
export function sampleStd(values: readonly number[]): number {
  return Math.sqrt(sampleVariance(values));
}

/** ln Γ(x) for x > 0 (Lanczos approximation, g = 7, 9 terms; ~15 significant digits). */
export function logGamma(x: number): number {
  if (!(x > 0)) throw new ReportError('INVALID_ARGUMENT', `x: expected a positive number, got ${String(x)}`);
  if (x < 0.5) {
    // Reflection keeps the series in its accurate range: Γ(x)Γ(1−x) = π / sin(πx).
    return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  }
  const coefficients = [
    0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
    12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
  ];
  const z = x - 1;
  let series = coefficients[0] ?? 0;
  for (let i = 1; i < coefficients.length; i++) series += (coefficients[i] ?? 0) / (z + i);
  const t = z + 7.5;
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(series);
}

/** Continued fraction for I_x(a, b) (modified Lentz), accurate for x < (a + 1) / (a + b + 2). */
function betaContinuedFraction(x: number, a: number, b: number): number {
  const tiny = 1e-300;
  const epsilon = 1e-16;
  let c = 1;
  let d = 1 - ((a + b) * x) / (a + 1);
  if (Math.abs(d) < tiny) d = tiny;
  d = 1 / d;
  let result = d;
  for (let m = 1; m <= 1000; m++) {
    const m2 = 2 * m;
    // Even step of the fraction.
    let numerator = (m * (b - m) * x) / ((a + m2 - 1) * (a + m2));
    d = 1 + numerator * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + numerator / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    result *= d * c;
    // Odd step.
    numerator = -((a + m) * (a + b + m) * x) / ((a + m2) * (a + m2 + 1));
    d = 1 + numerator * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + numerator / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const delta = d * c;
    result *= delta;
    if (Math.abs(delta - 1) < epsilon) break;
  }
  return result;
}

/**
 * Regularized incomplete beta function I_x(a, b) = B(x; a, b) / B(a, b), for a, b > 0 and
 * 0 ≤ x ≤ 1.
 *
 * @example regularizedIncompleteBeta(0.3, 2.5, 1.5) // 0.088943…
 */
export function regularizedIncompleteBeta(x: number, a: number, b: number): number {
  if (!(a > 0)) throw new ReportError('INVALID_ARGUMENT', `a: expected a positive number, got ${String(a)}`);
  if (!(b > 0)) throw new ReportError('INVALID_ARGUMENT', `b: expected a positive number, got ${String(b)}`);
  if (!(x >= 0 && x <= 1))
    throw new ReportError('INVALID_ARGUMENT', `x: expected a number in [0, 1], got ${String(x)}`);
  if (x === 0 || x === 1) return x;
  const logFront = logGamma(a + b) - logGamma(a) - logGamma(b) + a * Math.log(x) + b * Math.log(1 - x);
  const front = Math.exp(logFront);
  // The fraction converges fast only on one side of the mean; use the symmetry
  // I_x(a, b) = 1 − I_{1−x}(b, a) on the other.
  if (x < (a + 1) / (a + b + 2)) return (front * betaContinuedFraction(x, a, b)) / a;
  return 1 - (front * betaContinuedFraction(1 - x, b, a)) / b;
}

function requireDegreesOfFreedom(df: number): void {
  if (!(df > 0) || !Number.isFinite(df)) {
    throw new ReportError(
      'INVALID_ARGUMENT',
      `df: expected a finite positive number of degrees of freedom, got ${String(df)}`,
    );
  }
}

/**
 * Cumulative distribution function of Student's t with `df` (real, > 0) degrees of freedom:
 * P(T ≤ t) = 1 − ½ I_{df/(df+t²)}(df/2, ½) for t ≥ 0, and symmetric for t < 0.
 *
 * @example studentTCdf(1, 1) // 0.75 (Cauchy: ½ + atan(t)/π)
 */
export function studentTCdf(t: number, df: number): number {
  requireDegreesOfFreedom(df);
  if (Number.isNaN(t)) throw new ReportError('INVALID_ARGUMENT', 't: expected a number, got NaN');
  if (t === Infinity) return 1;
  if (t === -Infinity) return 0;
  const tail = 0.5 * regularizedIncompleteBeta(df / (df + t * t), df / 2, 0.5);
  return t >= 0 ? 1 - tail : tail;
}

/**
 * Quantile (inverse CDF) of Student's t: the t with studentTCdf(t, df) = p, for 0 < p < 1.
 * Found by bisection on the monotone CDF, to about 1e-12.
 *
 * @example studentTQuantile(0.975, 4) // 2.776445…
 */
export function studentTQuantile(p: number, df: number): number {
  requireDegreesOfFreedom(df);
  if (!(p > 0 && p < 1))
    throw new ReportError('INVALID_ARGUMENT', `p: expected a probability in (0, 1), got ${String(p)}`);
  if (p === 0.5) return 0;
  let low = -1;
  let high = 1;
  while (studentTCdf(low, df) > p) low *= 2;
  while (studentTCdf(high, df) < p) high *= 2;
  for (let i = 0; i < 200 && high - low > 1e-12 * Math.max(1, Math.abs(low)); i++) {
    const middle = (low + high) / 2;
    if (studentTCdf(middle, df) < p) low = middle;
    else high = middle;
  }
  return (low + high) / 2;
}

/** Descriptive summary of one metric over seeds. `sd` and `ci` are null when n < 2. */
export interface Summary {
  readonly n: number;
  readonly mean: number;
  /** Sample standard deviation (n − 1 in the denominator); null for one value. */
  readonly sd: number | null;
  readonly min: number;
  readonly max: number;
  /** Two-sided Student-t confidence interval of the mean at `level`; null for one value. */
  readonly ci: readonly [number, number] | null;
  readonly level: number;
}

function requireLevel(level: number): void {
  if (!(level > 0 && level < 1)) {
    throw new ReportError('INVALID_ARGUMENT', `level: expected a confidence level in (0, 1), got ${String(level)}`);
  }
}

/**
 * Summarizes values (one per seed): n, mean, sample sd, min, max and the Student-t confidence
 * interval x̄ ± t_{(1+level)/2, n−1} · sd / √n.
 *
 * @example
 * summarize([1, 2, 3, 4, 5])
 * // { n: 5, mean: 3, sd: 1.5811, min: 1, max: 5, ci: [1.0368, 4.9632], level: 0.95 }
 */
export function summarize(values: readonly number[], level = 0.95): Summary {
  requireNonEmpty('values', values);
  requireLevel(level);
  const center = mean(values);
  const min = Math.min(...values);
  const max = Math.max(...values);
  if (values.length < 2) return { n: values.length, mean: center, sd: null, min, max, ci: null, level };
  const sd = sampleStd(values);
  const halfWidth = studentTQuantile((1 + level) / 2, values.length - 1) * (sd / Math.sqrt(values.length));
  return { n: values.length, mean: center, sd, min, max, ci: [center - halfWidth, center + halfWidth], level };
}

/** Result of {@link welchTest}. `t`, `df`, `p` and `ci` are null when no test is possible. */
export interface WelchResult {
  /** mean(a) − mean(b). */
  readonly difference: number;
  readonly nA: number;
  readonly nB: number;
  readonly standardError: number | null;
  readonly t: number | null;
  /** Welch–Satterthwaite degrees of freedom. */
  readonly df: number | null;
  /** Two-sided p-value. */
  readonly p: number | null;
  /** Confidence interval of the difference at `level`. */
  readonly ci: readonly [number, number] | null;
  readonly level: number;
  /** Why no test was possible: fewer than two values in a sample, or no spread in either. */
  readonly untestable: 'too-few-values' | 'zero-variance' | null;
}

/**
 * Welch's unequal-variance two-sample t-test of mean(a) − mean(b):
 * se = √(s_a²/n_a + s_b²/n_b), t = (x̄_a − x̄_b) / se,
 * df = se⁴ / ((s_a²/n_a)²/(n_a−1) + (s_b²/n_b)²/(n_b−1)), p = 2 · P(T_df ≥ |t|),
 * CI = (x̄_a − x̄_b) ± t_{(1+level)/2, df} · se.
 * Needs two values per sample and some spread; otherwise `untestable` says why.
 *
 * @example
 * welchTest([1, 2, 3, 4, 5], [2, 4, 6, 8, 10]) // t ≈ −1.8974, df ≈ 5.882, p ≈ 0.1075
 */
export function welchTest(a: readonly number[], b: readonly number[], level = 0.95): WelchResult {
  requireNonEmpty('a', a);
  requireNonEmpty('b', b);
  requireLevel(level);
  const difference = mean(a) - mean(b);
  const base = { difference, nA: a.length, nB: b.length, level };
  const none = { standardError: null, t: null, df: null, p: null, ci: null } as const;
  if (a.length < 2 || b.length < 2) return { ...base, ...none, untestable: 'too-few-values' };
  const shareA = sampleVariance(a) / a.length;
  const shareB = sampleVariance(b) / b.length;
  const variance = shareA + shareB;
  if (variance === 0) return { ...base, ...none, untestable: 'zero-variance' };
  const standardError = Math.sqrt(variance);
  const t = difference / standardError;
  const df = variance ** 2 / (shareA ** 2 / (a.length - 1) + shareB ** 2 / (b.length - 1));
  const p = Math.min(1, 2 * studentTCdf(-Math.abs(t), df));
  const halfWidth = studentTQuantile((1 + level) / 2, df) * standardError;
  return { ...base, standardError, t, df, p, ci: [difference - halfWidth, difference + halfWidth], untestable: null };
}

/** How a difference between two variants was tested: seeds paired, or two independent samples. */
export type TestMethod = 'paired' | 'welch';

/** A {@link WelchResult} that says which test produced it (`paired`: nA = nB = number of pairs). */
export type DifferenceTest = WelchResult & { readonly method: TestMethod };

/**
 * Paired t-test of mean(a − b) for values matched by position (the same seed in both variants):
 * dᵢ = aᵢ − bᵢ, se = sd(d) / √n, t = d̄ / se, df = n − 1, p = 2 · P(T_df ≥ |t|),
 * CI = d̄ ± t_{(1+level)/2, n−1} · se. Runs with the same seed share initial weights and batch
 * order, so the per-seed difference removes that shared noise. Needs two pairs and some spread
 * in the differences; otherwise `untestable` says why.
 *
 * @example pairedTTest([0.91, 0.93, 0.92, 0.95], [0.88, 0.91, 0.91, 0.92]) // t ≈ 4.700, df 3, p ≈ 0.0182
 */
export function pairedTTest(a: readonly number[], b: readonly number[], level = 0.95): DifferenceTest {
  requireNonEmpty('a', a);
  requireNonEmpty('b', b);
  requireLevel(level);
  if (a.length !== b.length)
    throw new ReportError('INVALID_ARGUMENT', `b: expected ${a.length} values paired with a, got ${b.length}`);
  const differences = a.map((value, index) => value - (b[index] ?? 0));
  const difference = mean(differences);
  const base = { method: 'paired' as const, difference, nA: a.length, nB: b.length, level };
  const none = { standardError: null, t: null, df: null, p: null, ci: null } as const;
  if (a.length < 2) return { ...base, ...none, untestable: 'too-few-values' };
  const variance = sampleVariance(differences);
  if (variance === 0) return { ...base, ...none, untestable: 'zero-variance' };
  const standardError = Math.sqrt(variance / a.length);
  const t = difference / standardError;
  const df = a.length - 1;
  const p = Math.min(1, 2 * studentTCdf(-Math.abs(t), df));
  const halfWidth = studentTQuantile((1 + level) / 2, df) * standardError;
  return { ...base, standardError, t, df, p, ci: [difference - halfWidth, difference + halfWidth], untestable: null };
}

/**
 * Hedges' g of mean(a) − mean(b): the difference in pooled standard deviations,
 * s_p = √(((n_a−1)s_a² + (n_b−1)s_b²) / (n_a+n_b−2)), times the small-sample correction
 * J = 1 − 3 / (4(n_a+n_b) − 9). The between-variant (not the paired d_z) form, so effects read
 * the same whether or not the seeds were paired. Null with fewer than two values in a sample or
 * no spread at all.
 *
 * @example hedgesG([1, 2, 3, 4, 5], [2, 4, 6, 8, 10]) // −3 / √6.25 · (1 − 3/31) ≈ −1.0839
 */
export function hedgesG(a: readonly number[], b: readonly number[]): number | null {
  requireNonEmpty('a', a);
  requireNonEmpty('b', b);
  if (a.length < 2 || b.length < 2) return null;
  const pooled = ((a.length - 1) * sampleVariance(a) + (b.length - 1) * sampleVariance(b)) / (a.length + b.length - 2);
  if (pooled === 0) return null;
  const correction = 1 - 3 / (4 * (a.length + b.length) - 9);
  return ((mean(a) - mean(b)) / Math.sqrt(pooled)) * correction;
}

/**
 * Holm–Bonferroni adjusted p-values, in the order given: sort ascending, p_(i) · (m − i + 1)
 * (i = 1…m), made monotone by a running maximum and capped at 1. Rejecting where the adjusted
 * p < α controls the family-wise error rate at α. Null entries (no test) are left out of the
 * family and stay null.
 *
 * @example holmAdjust([0.01, 0.04, 0.03]) // [0.03, 0.06, 0.06]
 */
export function holmAdjust(pValues: readonly (number | null)[]): (number | null)[] {
  const tested = pValues.flatMap((p, index) => (p === null ? [] : [{ p, index }]));
  for (const { p, index } of tested) {
    if (!(p >= 0 && p <= 1))
      throw new ReportError('INVALID_ARGUMENT', `pValues[${index}]: expected a probability in [0, 1], got ${p}`);
  }
  const sorted = [...tested].sort((x, y) => x.p - y.p);
  const adjusted: (number | null)[] = pValues.map(() => null);
  let running = 0;
  sorted.forEach(({ p, index }, rank) => {
    running = Math.max(running, Math.min(1, p * (sorted.length - rank)));
    adjusted[index] = running;
  });
  return adjusted;
}

/**
 * Standard normal CDF Φ(z) through the complementary error function (Chebyshev fit of
 * Numerical Recipes' erfcc, relative error < 1.2e-7 everywhere): plenty for power, where only the
 * smallest n reaching 80 % matters.
 *
 * @example normalCdf(1.959963984540054) // 0.975
 */
export function normalCdf(z: number): number {
  if (Number.isNaN(z)) throw new ReportError('INVALID_ARGUMENT', 'z: expected a number, got NaN');
  const x = Math.abs(z) / Math.SQRT2;
  const u = 1 / (1 + 0.5 * x);
  const erfc =
    u *
    Math.exp(
      -x * x -
        1.26551223 +
        u *
          (1.00002368 +
            u *
              (0.37409196 +
                u *
                  (0.09678418 +
                    u *
                      (-0.18628806 +
                        u *
                          (0.27886807 + u * (-1.13520398 + u * (1.48851587 + u * (-0.82215223 + u * 0.17087277)))))))),
    );
  return z >= 0 ? 1 - erfc / 2 : erfc / 2;
}

/**
 * Power of a two-sided t-test: P(|T'| > t_crit) for T' noncentral t with `df` degrees of
 * freedom and noncentrality `delta`. Computed exactly up to quadrature: with T' = (Z + δ) / (χ/√df),
 * power = ∫₀^∞ [Φ(δ − t_crit·u/√df) + Φ(−δ − t_crit·u/√df)] f_χ(u; df) du, integrated by
 * Simpson's rule over the chi density (smooth for every df ≥ 1).
 *
 * @example tTestPower(1 * Math.sqrt(17 / 2), 32, studentTQuantile(0.975, 32)) // ≈ 0.807 (two samples of 17, d = 1)
 */
export function tTestPower(delta: number, df: number, critical: number): number {
  requireDegreesOfFreedom(df);
  const upper = Math.sqrt(df) + 12;
  const steps = 4000;
  const h = upper / steps;
  const logNorm = Math.log(2) - (df / 2) * Math.log(2) - logGamma(df / 2);
  const integrand = (u: number): number => {
    if (u === 0 && df > 1) return 0;
    const density = Math.exp(logNorm + (df - 1) * Math.log(Math.max(u, Number.MIN_VALUE)) - (u * u) / 2);
    const scaled = (critical * u) / Math.sqrt(df);
    return (normalCdf(delta - scaled) + normalCdf(-delta - scaled)) * density;
  };
  let sum = integrand(0) + integrand(upper);
  for (let i = 1; i < steps; i++) sum += (i % 2 === 1 ? 4 : 2) * integrand(i * h);
  return Math.min(1, (sum * h) / 3);
}

/** Most seeds per variant {@link seedsNeeded} searches before answering "more than". */
export const MAX_SEEDS = 1000;

/**
 * Seeds per variant needed to detect a standardized difference `effect` with probability
 * `power` in a two-sided t-test at `alpha`: the smallest n ≥ 2 with {@link tTestPower} ≥ power,
 * for `paired` (df = n − 1, δ = d_z·√n, effect = mean/sd of the per-seed differences) or two
 * independent samples of n (df = 2n − 2, δ = d·√(n/2), effect = difference / pooled sd). Null
 * when even {@link MAX_SEEDS} would not do.
 *
 * @example seedsNeeded(1, 'welch') // 17 (textbook: two samples, d = 1, α = 0.05, 80 % power)
 * @example seedsNeeded(0.5, 'paired') // 34
 */
export function seedsNeeded(effect: number, method: TestMethod, alpha = 0.05, power = 0.8): number | null {
  if (!Number.isFinite(effect))
    throw new ReportError('INVALID_ARGUMENT', `effect: expected a finite number, got ${String(effect)}`);
  if (!(alpha > 0 && alpha < 1)) throw new ReportError('INVALID_ARGUMENT', `alpha: expected (0, 1), got ${alpha}`);
  if (!(power > 0 && power < 1)) throw new ReportError('INVALID_ARGUMENT', `power: expected (0, 1), got ${power}`);
  const size = Math.abs(effect);
  if (size === 0) return null;
  const reaches = (n: number): boolean => {
    const df = method === 'paired' ? n - 1 : 2 * n - 2;
    const delta = method === 'paired' ? size * Math.sqrt(n) : size * Math.sqrt(n / 2);
    return tTestPower(delta, df, studentTQuantile(1 - alpha / 2, df)) >= power;
  };
  if (!reaches(MAX_SEEDS)) return null;
  // Power grows with n: bisect for the smallest n that reaches it.
  let low = 1;
  let high = MAX_SEEDS;
  while (high - low > 1) {
    const middle = Math.floor((low + high) / 2);
    if (reaches(middle)) high = middle;
    else low = middle;
  }
  return Math.max(2, high);
}

/**
 * Clips an interval to a metric's range, e.g. a mean ± t·se of a rate to [0, 1]: a confidence
 * interval that leaves the possible values says nothing about the impossible part.
 *
 * @example clipInterval([-0.126, 0.231], [0, 1]) // [0, 0.231]
 */
export function clipInterval(
  interval: readonly [number, number],
  range: readonly [number, number],
): readonly [number, number] {
  return [Math.min(Math.max(interval[0], range[0]), range[1]), Math.max(Math.min(interval[1], range[1]), range[0])];
}
