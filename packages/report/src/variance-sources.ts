import { SEED_SOURCES, type RunRecord } from '@losslab/schema';
import { aggregateGroup, type GroupAggregate } from './aggregate.js';
import { ReportError } from './errors.js';
import { logGamma, regularizedIncompleteBeta, sampleVariance } from './stats.js';

/**
 * Variance by source (issue 27 item 4, Bouthillier et al. 2021): how much of a variant's
 * seed-to-seed variance each source of randomness (`init`, `order`, `data`) contributes, from a
 * variance study's runs (each source varied alone, the others at a base seed; their records carry
 * `seeding.studyOf`) against the variant's ordinary runs, in which every source varies. Formulas:
 * STATISTICS.md, "Variance by source".
 */

/**
 * Regularized lower incomplete gamma P(a, x) = γ(a, x) / Γ(a): its series below a + 1, its
 * continued fraction (Lentz) above.
 *
 * @example lowerGammaRegularized(1, 2) // 1 − e⁻² = 0.864664…
 */
function lowerGammaRegularized(a: number, x: number): number {
  if (x <= 0) return 0;
  const logFront = a * Math.log(x) - x - logGamma(a);
  if (x < a + 1) {
    let term = 1 / a;
    let sum = term;
    for (let n = 1; n < 1000; n++) {
      term *= x / (a + n);
      sum += term;
      if (Math.abs(term) < Math.abs(sum) * 1e-15) break;
    }
    return sum * Math.exp(logFront);
  }
  const tiny = 1e-300;
  let b = x + 1 - a;
  let c = 1 / tiny;
  let d = 1 / b;
  let fraction = d;
  for (let i = 1; i < 1000; i++) {
    const an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < tiny) d = tiny;
    c = b + an / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const delta = d * c;
    fraction *= delta;
    if (Math.abs(delta - 1) < 1e-15) break;
  }
  return 1 - Math.exp(logFront) * fraction;
}

/** The p-quantile of an increasing CDF on (0, ∞), by bisection on a bracket that doubles until it holds p. */
function quantileOf(cdf: (x: number) => number, p: number): number {
  if (!(p > 0 && p < 1)) throw new ReportError('INVALID_ARGUMENT', `p: expected a number in (0, 1), got ${p}`);
  let high = 1;
  while (cdf(high) < p && high < 1e12) high *= 2;
  let low = 0;
  for (let i = 0; i < 200 && high - low > 1e-14 * high; i++) {
    const middle = (low + high) / 2;
    if (cdf(middle) < p) low = middle;
    else high = middle;
  }
  return (low + high) / 2;
}

/**
 * The p-quantile of the chi-square distribution with `df` degrees of freedom.
 *
 * @example chiSquareQuantile(0.975, 2) // −2 ln 0.025 = 7.3778…
 *
 * @internal
 */
export function chiSquareQuantile(p: number, df: number): number {
  return quantileOf((x) => lowerGammaRegularized(df / 2, x / 2), p);
}

/**
 * The p-quantile of the F distribution with (d1, d2) degrees of freedom, from its CDF
 * I_{d1 x / (d1 x + d2)}(d1 / 2, d2 / 2).
 *
 * @example fQuantile(0.975, 2, 2) // 39 (F(2, 2) has CDF x / (1 + x))
 *
 * @internal
 */
export function fQuantile(p: number, d1: number, d2: number): number {
  return quantileOf((x) => regularizedIncompleteBeta((d1 * x) / (d1 * x + d2), d1 / 2, d2 / 2), p);
}

/** A sample variance with its chi-square interval. */
export interface VarianceEstimate {
  /** Runs (seeds) it is computed from. */
  readonly n: number;
  /** s² = Σ (xᵢ − x̄)² / (n − 1). */
  readonly variance: number;
  /** [(n − 1) s² / χ²_{1−α/2, n−1}, (n − 1) s² / χ²_{α/2, n−1}]: the interval of σ² for normal values. */
  readonly interval: readonly [number, number];
}

/**
 * The sample variance of `values` and its chi-square interval at `level` (needs n ≥ 2).
 *
 * @example varianceEstimate([1, 2, 3]) // { n: 3, variance: 1, interval: [2 / 7.3778, 2 / 0.050636] }
 *
 * @internal
 */
export function varianceEstimate(values: readonly number[], level = 0.95): VarianceEstimate {
  const n = values.length;
  if (n < 2) throw new ReportError('INVALID_ARGUMENT', `values: expected at least 2 values, got ${n}`);
  const variance = sampleVariance(values);
  const alpha = 1 - level;
  const sum = (n - 1) * variance;
  return {
    n,
    variance,
    interval: [sum / chiSquareQuantile(1 - alpha / 2, n - 1), sum / chiSquareQuantile(alpha / 2, n - 1)],
  };
}

/**
 * The share of `all`'s variance that `part`'s is, r = s²_part / s²_all, with the F interval of a
 * ratio of two independent normal variances: [r / F_{1−α/2}(n_p − 1, n_a − 1), r / F_{α/2}(n_p − 1, n_a − 1)].
 * Null when the all-vary variance is 0.
 *
 * @example varianceShare(varianceEstimate([1, 2, 3]), varianceEstimate([0, 2, 4])) // { share: 0.25, interval: [0.25 / 39, 0.25 · 39] }
 *
 * @internal
 */
export function varianceShare(
  part: VarianceEstimate,
  all: VarianceEstimate,
  level = 0.95,
): { readonly share: number; readonly interval: readonly [number, number] } | null {
  if (all.variance === 0) return null;
  const share = part.variance / all.variance;
  const alpha = 1 - level;
  return {
    share,
    interval: [
      share / fQuantile(1 - alpha / 2, part.n - 1, all.n - 1),
      share / fQuantile(alpha / 2, part.n - 1, all.n - 1),
    ],
  };
}

/** One source of one variant's study on one metric. */
interface SourceVariance {
  readonly source: string;
  /** Null with fewer than 2 runs. */
  readonly estimate: VarianceEstimate | null;
  readonly share: ReturnType<typeof varianceShare>;
  readonly seeds: readonly number[];
}

/** A variant's variance by source on one metric: the all-vary variance, each source's, and what to vary. */
export interface VarianceBySource {
  readonly experiment: string;
  readonly variant: string;
  readonly metric: string;
  /** The variant's ordinary runs (every source varies); null with fewer than 2. */
  readonly all: VarianceEstimate | null;
  readonly sources: readonly SourceVariance[];
  /** Which source to vary to learn most, and how clearly (one sentence). */
  readonly advice: string;
  /** Set when the study's runs do not share the variant's settings (other than the seeding), so the shares compare unlike runs. */
  readonly mismatch: string | null;
}

/** True for a variance-study run: it names the variant it studies. */
export const isStudyRun = (record: RunRecord): boolean => record.seeding?.studyOf !== undefined;

const percent = (value: number): string => `${(100 * value).toFixed(value < 0.1 ? 1 : 0)} %`;

/** The settings of a record without its seeding, to compare a study run with the runs it is set against. */
const settingsOf = (record: RunRecord | undefined): string => {
  if (record === undefined) return '';
  const { seeding: _seeding, ...settings } = record.definition as Record<string, unknown>;
  return JSON.stringify(settings);
};

function advise(sources: readonly SourceVariance[], all: VarianceEstimate | null): string {
  const measured = sources.filter((source) => source.estimate !== null);
  if (measured.length === 0) return 'No source has two runs yet: no advice.';
  const ranked = [...measured].sort((a, b) => b.estimate!.variance - a.estimate!.variance);
  const [top, next] = ranked as [SourceVariance, ...SourceVariance[]];
  if (top.estimate!.variance === 0)
    return 'No source changes this metric between seeds: any seed gives the same value.';
  const shareText =
    top.share === null || all === null ? '' : ` (alone ${percent(top.share.share)} of the variance when all vary)`;
  const zero = measured.filter((source) => source.estimate!.variance === 0).map((source) => source.source);
  const zeroText = zero.length === 0 ? '' : ` ${zero.join(' and ')} did not change this metric between seeds.`;
  const clearly =
    next === undefined || next.estimate === null
      ? ''
      : top.estimate!.interval[0] > next.estimate.interval[1]
        ? `; its variance is clearly larger than ${next.source}'s (the 95% intervals do not overlap)`
        : `; with these seeds its variance is not clearly larger than ${next.source}'s (the 95% intervals overlap)`;
  return `Vary ${top.source} to learn most: it moves this metric most from seed to seed${shareText}${clearly}.${zeroText}`;
}

/**
 * The variance by source of every studied variant on each of its experiment's primary metrics.
 * `study` are the variance-study runs (see {@link isStudyRun}); `aggregates` the report's groups,
 * whose group of the studied variant holds its all-vary runs.
 *
 * @example varianceBySource(studyRecords, aggregates, new Map([['blink', ['f1']]]))[0].advice
 */
export function varianceBySource(
  study: readonly RunRecord[],
  aggregates: readonly GroupAggregate[],
  primary: ReadonlyMap<string, readonly string[]>,
  ordinary: readonly RunRecord[],
  level = 0.95,
): VarianceBySource[] {
  const studied = new Map<string, RunRecord[]>();
  for (const record of study) {
    const key = JSON.stringify([record.experiment, record.seeding?.studyOf]);
    studied.set(key, [...(studied.get(key) ?? []), record]);
  }
  const results: VarianceBySource[] = [];
  for (const [key, records] of studied) {
    const [experiment, variant] = JSON.parse(key) as [string, string];
    const allGroup = aggregates.find(
      (aggregate) => aggregate.experiment === experiment && aggregate.variant === variant,
    );
    const rank = (name: string): number => {
      const index = (SEED_SOURCES as readonly string[]).indexOf(name);
      return index === -1 ? SEED_SOURCES.length : index;
    };
    const sourceNames = [...new Set(records.map((record) => record.seeding?.vary.join('+') ?? ''))].sort(
      (a, b) => rank(a) - rank(b) || a.localeCompare(b),
    );
    const bySource = sourceNames.map((source) => {
      const own = records.filter((record) => record.seeding?.vary.join('+') === source);
      const name = `${variant} (only ${source} varies)`;
      return {
        source,
        records: own,
        aggregate: aggregateGroup({ label: name, experiment, variant: name, cohort: null, records: own }),
      };
    });
    const reference = ordinary.find((record) => record.experiment === experiment && record.variant === variant);
    const unlike = records.find((record) => settingsOf(record) !== settingsOf(reference));
    const mismatch =
      reference === undefined
        ? `${variant} has no runs in which every source varies: no shares.`
        : unlike === undefined
          ? null
          : `${unlike.runId} does not share ${variant}'s settings (beyond which sources vary): the shares compare unlike runs.`;
    for (const metric of primary.get(experiment) ?? []) {
      const allValues = allGroup?.finalValues[metric] ?? [];
      const all = allValues.length >= 2 ? varianceEstimate(allValues, level) : null;
      const sources = bySource.map(({ source, aggregate }) => {
        const values = aggregate.finalValues[metric] ?? [];
        const estimate = values.length >= 2 ? varianceEstimate(values, level) : null;
        return {
          source,
          estimate,
          share: estimate === null || all === null ? null : varianceShare(estimate, all, level),
          seeds: aggregate.finalSeeds[metric] ?? [],
        };
      });
      if (sources.every((source) => source.seeds.length === 0)) continue;
      results.push({ experiment, variant, metric, all, sources, advice: advise(sources, all), mismatch });
    }
  }
  return results;
}
