import { sha256Hex } from '@losslab/schema';

/**
 * Resampling statistics for comparing two variants over a handful of seeds (Agarwal et al.,
 * NeurIPS 2021, "rliable"): the probability of improvement P(A > B), the interquartile mean, and
 * percentile bootstrap intervals — stratified over seeds (each variant's seeds resampled
 * separately), paired over seeds (the same seeds drawn for both), and two-level (seeds, then test
 * examples within each drawn seed, the same examples for both variants). Every draw comes from
 * {@link seededRandom}, seeded from the data compared, so a report is the same each time it is built.
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

/** The percentile interval at `level` of bootstrap replicates: their (1 − level)/2 and (1 + level)/2 quantiles.
 * @internal
 */
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

/**
 * The mean over seeds of metric(A) − metric(B) and its two-level paired bootstrap: each replicate
 * draws seeds with replacement (the same seed for both variants), then, within each drawn seed,
 * as many test examples with replacement (the same examples for both variants), and recomputes
 * both metrics on the drawn examples. It carries the spread between seeds and the sampling of the
 * test set.
 */
export function twoLevelBootstrap(
  seeds: readonly PairedExamples[],
  metric: ConfusionMetric,
  random: Random,
  replicates = BOOTSTRAP_REPLICATES,
  level = 0.95,
): BootstrapEstimate {
  const differenceOf = (seed: PairedExamples): number => {
    const { a, b } = pairedConfusions(seed);
    return metric(a) - metric(b);
  };
  const estimate = seeds.reduce((sum, seed) => sum + differenceOf(seed), 0) / seeds.length;
  // one pair of matrices, refilled for every drawn seed: the replicates allocate nothing
  const classes = Math.max(...seeds.map((seed) => seed.classes));
  const a = Array.from({ length: classes }, () => new Float64Array(classes));
  const b = Array.from({ length: classes }, () => new Float64Array(classes));
  const values: number[] = [];
  for (let r = 0; r < replicates; r++) {
    let sum = 0;
    for (const _ of seeds) {
      const seed = seeds[draw(random, seeds.length)];
      if (seed === undefined) continue;
      for (const row of a) row.fill(0);
      for (const row of b) row.fill(0);
      const { truth, predictedA, predictedB } = seed;
      const size = truth.length;
      for (let k = 0; k < size; k++) {
        const i = draw(random, size);
        const label = truth[i] ?? 0;
        const rowA = a[label]!;
        const rowB = b[label]!;
        rowA[predictedA[i] ?? 0]! += 1;
        rowB[predictedB[i] ?? 0]! += 1;
      }
      const square = (matrix: Float64Array[]): Float64Array[] =>
        seed.classes === classes ? matrix : matrix.slice(0, seed.classes).map((row) => row.subarray(0, seed.classes));
      sum += metric(square(a)) - metric(square(b));
    }
    values.push(sum / seeds.length);
  }
  return estimateOf(estimate, values, level);
}
