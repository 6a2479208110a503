import { sha256Hex } from '@losslab/schema';
import { ReportError } from './errors.js';
import { mean, sampleVariance, studentTQuantile } from './stats.js';

/**
 * Resampling statistics for comparing two variants over a handful of seeds (Agarwal et al.,
 * NeurIPS 2021, "rliable"): the probability of improvement P(A > B) with its stratified bootstrap
 * interval, the interquartile mean with its trimmed-mean t interval, and the difference of two
 * variants with a two-level paired interval (Student's t over seeds, plus the shared test set's
 * variance from resampling its examples, the same examples for both variants). Every draw comes
 * from {@link seededRandom}, seeded from the data compared, so a report is the same each time it
 * is built.
 */

/** Bootstrap replicates of every interval in the report. */
export const BOOTSTRAP_REPLICATES = 2000;

/** A source of uniform numbers in [0, 1). */
export type Random = () => number;

/**
 * xoshiro128** (Blackman & Vigna) seeded with the first 128 bits of sha256(`seedText`): the same
 * text gives the same sequence on every platform.
 *
 * @example seededRandom('blink/f1/a/b')() // a number in [0, 1)
 */
export function seededRandom(seedText: string): Random {
  const hex = sha256Hex(seedText);
  const word = (i: number): number => Number.parseInt(hex.slice(8 * i, 8 * i + 8), 16) >>> 0;
  let s0 = word(0);
  let s1 = word(1);
  let s2 = word(2);
  let s3 = word(3);
  if ((s0 | s1 | s2 | s3) === 0) s0 = 1;
  return () => {
    const m = Math.imul(s1, 5);
    const result = Math.imul((m << 7) | (m >>> 25), 9) >>> 0;
    const t = s1 << 9;
    s2 ^= s0;
    s3 ^= s1;
    s1 ^= s2;
    s0 ^= s3;
    s2 ^= t;
    s3 = (s3 << 11) | (s3 >>> 21);
    return result / 4294967296;
  };
}

/** A uniform index in 0 .. n − 1. */
const draw = (random: Random, n: number): number => Math.min(n - 1, Math.floor(random() * n));

/**
 * P(A > B): the share of pairs (a from `a`, b from `b`) with a > b, ties counting half — the
 * Mann–Whitney U statistic over n·m (higher is better; negate both for a metric where lower is).
 *
 * @example probabilityOfImprovement([3, 4], [1, 3]) // (1 + 0.5 + 1 + 1) / 4 = 0.875
 */
export function probabilityOfImprovement(a: readonly number[], b: readonly number[]): number {
  let wins = 0;
  for (const x of a) for (const y of b) wins += x > y ? 1 : x === y ? 0.5 : 0;
  return wins / (a.length * b.length);
}

/**
 * The interquartile mean: the mean of the values left after dropping ⌊n/4⌋ of the lowest and
 * ⌊n/4⌋ of the highest (scipy's `trim_mean(values, 0.25)`, as rliable computes it).
 *
 * @example interquartileMean([1, 2, 3, 4, 100]) // mean of [2, 3, 4] = 3
 */
export function interquartileMean(values: readonly number[]): number {
  const sorted = [...values].sort((x, y) => x - y);
  const cut = Math.floor(sorted.length / 4);
  const kept = sorted.slice(cut, sorted.length - cut);
  return kept.reduce((sum, value) => sum + value, 0) / kept.length;
}

/** The `q` quantile of `values` with linear interpolation between order statistics (numpy's default). */
function quantile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((x, y) => x - y);
  const h = (sorted.length - 1) * q;
  const low = Math.floor(h);
  const lower = sorted[low] ?? Number.NaN;
  return lower + (h - low) * ((sorted[Math.min(low + 1, sorted.length - 1)] ?? lower) - lower);
}

/** The percentile interval at `level` of bootstrap replicates: their (1 − level)/2 and (1 + level)/2 quantiles. */
export const percentileInterval = (replicates: readonly number[], level = 0.95): readonly [number, number] => [
  quantile(replicates, (1 - level) / 2),
  quantile(replicates, (1 + level) / 2),
];

/** An estimate with its bootstrap replicates and percentile interval. */
export interface BootstrapEstimate {
  readonly estimate: number;
  readonly interval: readonly [number, number];
  readonly replicates: readonly number[];
}

const estimateOf = (estimate: number, replicates: number[], level: number): BootstrapEstimate => ({
  estimate,
  interval: percentileInterval(replicates, level),
  replicates,
});

/** `values` resampled with replacement (same length). */
const resample = (values: readonly number[], random: Random): number[] =>
  values.map(() => values[draw(random, values.length)] ?? Number.NaN);

/**
 * A statistic of several strata (e.g. each variant's per-seed values) and its stratified
 * bootstrap: every replicate resamples each stratum on its own, with replacement, keeping its size.
 *
 * @example stratifiedBootstrap([a, b], ([x, y]) => probabilityOfImprovement(x!, y!), seededRandom('…'))
 */
export function stratifiedBootstrap(
  strata: readonly (readonly number[])[],
  statistic: (strata: readonly (readonly number[])[]) => number,
  random: Random,
  replicates = BOOTSTRAP_REPLICATES,
  level = 0.95,
): BootstrapEstimate {
  const values = Array.from({ length: replicates }, () =>
    statistic(strata.map((stratum) => resample(stratum, random))),
  );
  return estimateOf(statistic(strata), values, level);
}

/**
 * The mean of paired differences a_s − b_s and its paired bootstrap over seeds: each replicate
 * draws seeds with replacement and takes both variants' values of each drawn seed.
 */
export function pairedBootstrap(
  a: readonly number[],
  b: readonly number[],
  random: Random,
  replicates = BOOTSTRAP_REPLICATES,
  level = 0.95,
): BootstrapEstimate {
  const differences = a.map((value, s) => value - (b[s] ?? Number.NaN));
  const meanOf = (values: readonly number[]): number => values.reduce((sum, v) => sum + v, 0) / values.length;
  const values = Array.from({ length: replicates }, () => meanOf(resample(differences, random)));
  return estimateOf(meanOf(differences), values, level);
}

/** One seed of a two-level bootstrap: the predicted class of each test example under each variant, aligned by example. */
export interface PairedExamples {
  readonly truth: Int32Array;
  readonly predictedA: Int32Array;
  readonly predictedB: Int32Array;
  readonly classes: number;
}

/** A metric of a confusion matrix `[true][predicted]` of counts. */
export type ConfusionMetric = (confusion: readonly Float64Array[]) => number;

/** The confusion matrices of A and B over `rows` of one seed's examples (every example when `rows` is omitted). */
export function pairedConfusions(
  seed: PairedExamples,
  rows?: ArrayLike<number>,
): { a: Float64Array[]; b: Float64Array[] } {
  const a = Array.from({ length: seed.classes }, () => new Float64Array(seed.classes));
  const b = Array.from({ length: seed.classes }, () => new Float64Array(seed.classes));
  const size = rows?.length ?? seed.truth.length;
  for (let r = 0; r < size; r++) {
    const i = rows === undefined ? r : (rows[r] ?? 0);
    const truth = seed.truth[i] ?? 0;
    const rowA = a[truth];
    const rowB = b[truth];
    if (rowA !== undefined) rowA[seed.predictedA[i] ?? 0] = (rowA[seed.predictedA[i] ?? 0] ?? 0) + 1;
    if (rowB !== undefined) rowB[seed.predictedB[i] ?? 0] = (rowB[seed.predictedB[i] ?? 0] ?? 0) + 1;
  }
  return { a, b };
}

/** The difference of a metric between two variants with its two-level interval and the parts of its variance. */
export interface TwoLevelInterval {
  /** d̄: the mean over seeds of metric(A) − metric(B), each on the seed's whole test set. */
  readonly estimate: number;
  readonly interval: readonly [number, number];
  /** s_d² / n: the variance of d̄ from the spread of the per-seed differences (seeds and, within them, examples). */
  readonly seedVariance: number;
  /** The variance the shared test set adds and the seeds' spread cannot show: the mean bootstrap covariance of different seeds' example-level deviations (0 when negative or when the seeds do not share their examples). */
  readonly testSetVariance: number;
  /** √(seedVariance + testSetVariance). */
  readonly standardError: number;
  /** Satterthwaite degrees of freedom of the t quantile: n − 1 when the test-set part is 0. */
  readonly df: number;
}

/**
 * The mean over seeds of metric(A) − metric(B) with a two-level paired interval: seeds are the
 * first level, the test examples the second, and both are paired (the same seeds and the same
 * examples for A and B).
 *
 * With Dₛ the difference on seed s's test set and d̄ their mean over n seeds, the variance of d̄
 * over new seeds and new test sets is V = σ²_seed/n + σ²_example/N + σ²_interaction/(nN). The
 * seeds' sample variance already holds the part of the example sampling that differs between
 * seeds: E[s_d²/n] = σ²_seed/n + σ²_interaction/(nN). Resampling the examples again inside each
 * seed (a nested two-level bootstrap) adds that part a second time; what the seeds cannot show is
 * only the part all seeds share, σ²_example/N, because they were evaluated on one test set. Each
 * replicate draws N examples with replacement, the same for every seed and both variants, and
 * takes each seed's deviation eₛ = Dₛ(drawn) − Dₛ; the mean covariance of eₛ and eₜ over pairs
 * s ≠ t estimates σ²_example/N (their seed-specific parts are independent). So
 * V̂ = s_d²/n + max(0, Ĉ), Ĉ = Σ_{s≠t} cov*(eₛ, eₜ) / (n(n − 1)),
 * and the interval is d̄ ± t_{(1+level)/2, ν} · √V̂ with Satterthwaite's
 * ν = V̂² / ((s_d²/n)²/(n − 1) + Ĉ²/(N − 1)). The seed level uses Student's t rather than
 * resampling: with 5 seeds a percentile bootstrap over seeds uses the n rather than n − 1 variance
 * and normal tails, and covers 86 % instead of 95 % (STATISTICS.md); s_d²/n is exactly that
 * bootstrap's variance times n/(n − 1). When `sharedExamples` is false (each seed has its own
 * test set), the seeds' spread holds all of the test-set variation and Ĉ = 0.
 *
 * @example twoLevelInterval(seeds, CONFUSION_METRICS.accuracy!, seededRandom('…')).interval
 */
export function twoLevelInterval(
  seeds: readonly PairedExamples[],
  metric: ConfusionMetric,
  random: Random,
  options: { replicates?: number; level?: number; sharedExamples?: boolean } = {},
): TwoLevelInterval {
  const { replicates = BOOTSTRAP_REPLICATES, level = 0.95 } = options;
  const n = seeds.length;
  if (n < 2) throw new ReportError('INVALID_ARGUMENT', `seeds: expected at least 2 paired seeds, got ${n}`);
  const differences = seeds.map((seed) => {
    const { a, b } = pairedConfusions(seed);
    return metric(a) - metric(b);
  });
  const estimate = mean(differences);
  const seedVariance = sampleVariance(differences) / n;
  const size = seeds[0]?.truth.length ?? 0;
  const shared = (options.sharedExamples ?? true) && seeds.every((seed) => seed.truth.length === size) && size > 1;
  const testSetVariance = shared
    ? Math.max(0, sharedExampleCovariance(seeds, differences, metric, random, replicates))
    : 0;
  const variance = seedVariance + testSetVariance;
  const df =
    variance === 0
      ? n - 1
      : variance ** 2 / (seedVariance ** 2 / (n - 1) + (testSetVariance === 0 ? 0 : testSetVariance ** 2 / (size - 1)));
  const standardError = Math.sqrt(variance);
  const halfWidth = standardError === 0 ? 0 : studentTQuantile((1 + level) / 2, df) * standardError;
  return {
    estimate,
    interval: [estimate - halfWidth, estimate + halfWidth],
    seedVariance,
    testSetVariance,
    standardError,
    df,
  };
}

/**
 * Ĉ of {@link twoLevelInterval}: the mean over pairs of different seeds of the bootstrap
 * covariance of their deviations Dₛ(drawn) − Dₛ, every replicate drawing one set of example
 * indices for all seeds and both variants. Can be negative by chance.
 *
 * @internal
 */
export function sharedExampleCovariance(
  seeds: readonly PairedExamples[],
  differences: readonly number[],
  metric: ConfusionMetric,
  random: Random,
  replicates = BOOTSTRAP_REPLICATES,
): number {
  const n = seeds.length;
  const size = seeds[0]?.truth.length ?? 0;
  const rows = new Int32Array(size);
  const deviations = new Float64Array(n);
  const sums = new Float64Array(n);
  const products = new Float64Array(n * n);
  for (let r = 0; r < replicates; r++) {
    for (let k = 0; k < size; k++) rows[k] = draw(random, size);
    for (let s = 0; s < n; s++) {
      const { a, b } = pairedConfusions(seeds[s]!, rows);
      deviations[s] = metric(a) - metric(b) - (differences[s] ?? 0);
      sums[s]! += deviations[s]!;
    }
    for (let s = 0; s < n; s++) for (let t = s + 1; t < n; t++) products[s * n + t]! += deviations[s]! * deviations[t]!;
  }
  let covariance = 0;
  for (let s = 0; s < n; s++)
    for (let t = s + 1; t < n; t++)
      covariance += (products[s * n + t]! - (sums[s]! * sums[t]!) / replicates) / (replicates - 1);
  return covariance / ((n * (n - 1)) / 2);
}

/**
 * The interquartile mean (trimming g = ⌊n/4⌋ values from each end) with a jackknife t interval:
 * θ₍ᵢ₎ the mean of the middle values after leaving value i out and trimming the same g from each
 * end, se² = (n − 1)/n · Σ (θ₍ᵢ₎ − θ̄₍·₎)², and x̄_t ± t_{(1+level)/2, n−2g−1} · se (the degrees of
 * freedom of Tukey and McLaughlin's trimmed t: the untrimmed values less one). With 5 seeds a
 * percentile bootstrap of the IQM is far too narrow, as the mean's, and Tukey–McLaughlin's
 * winsorized standard error covered 92–93 % in the simulation's model (STATISTICS.md).
 *
 * @example interquartileMeanInterval([0.81, 0.79, 0.84, 0.8, 0.86]).interval // [0.7378, 0.8955]
 */
export function interquartileMeanInterval(
  values: readonly number[],
  level = 0.95,
): { estimate: number; interval: readonly [number, number] } {
  const n = values.length;
  const g = Math.floor(n / 4);
  if (n - 2 * g < 2)
    throw new ReportError('INVALID_ARGUMENT', `values: expected at least 2 values after trimming, got ${n}`);
  const sorted = [...values].sort((x, y) => x - y);
  const leftOut = sorted.map((_, i) => mean(sorted.filter((__, j) => j !== i).slice(g, n - 1 - g)));
  const center = mean(leftOut);
  const variance = ((n - 1) / n) * leftOut.reduce((sum, value) => sum + (value - center) ** 2, 0);
  const estimate = interquartileMean(values);
  const standardError = Math.sqrt(variance);
  const halfWidth = standardError === 0 ? 0 : studentTQuantile((1 + level) / 2, n - 2 * g - 1) * standardError;
  return { estimate, interval: [estimate - halfWidth, estimate + halfWidth] };
}
