import type { GroupAggregate } from './aggregate.js';
import { ReportError } from './errors.js';
import { formatP, formatSigned, plural } from './format.js';
import { DATA_METRICS, metricRange, sortMetrics } from './metrics.js';
import {
  hedgesG,
  holmAdjust,
  MAX_SEEDS,
  mean,
  pairedTTest,
  sampleVariance,
  seedsNeeded,
  welchTest,
  type DifferenceTest,
  type WelchResult,
} from './stats.js';

/** Which family a comparison's p-value is adjusted in: the primary metrics and claims, or the rest. */
export type ComparisonFamily = 'primary' | 'secondary';

/**
 * What it would take to decide a difference that was not significant: `seeds` per variant for
 * 80 % power at the family's α (null: more than {@link MAX_SEEDS}), or `negligible` when the
 * observed difference is below {@link NEGLIGIBLE_RATE_DIFFERENCE} of a rate and not worth seeds.
 */
export type SeedsAdvice =
  | {
      readonly kind: 'seeds';
      readonly seeds: number | null;
      /** The family-wise level and the family's size: the test is powered at α / m (Bonferroni, which Holm never needs below). */
      readonly alpha: number;
      readonly family: number;
    }
  | { readonly kind: 'negligible' };

/** One metric of one variant compared with another (the baseline, or the best of a verdict). */
export interface MetricComparison {
  readonly experiment: string;
  /** The variant being compared (its label). */
  readonly label: string;
  /** The variant it is compared with (its label). */
  readonly baseline: string;
  readonly metric: string;
  /** Per-seed values of the variant and of the baseline (in seed order when paired). */
  readonly values: readonly number[];
  readonly baselineValues: readonly number[];
  /** mean(values) − mean(baselineValues): paired t-test when both have the same seeds, else Welch. */
  readonly test: DifferenceTest;
  /** Hedges' g of the difference (pooled sd), or null without spread or with a single seed. */
  readonly effectSize: number | null;
  readonly family: ComparisonFamily;
  /** Holm-adjusted p within {@link family}; null when untested (or before {@link adjustComparisons}). */
  readonly pAdjusted: number | null;
  /** For a tested difference whose adjusted p is not below α: what would decide it. */
  readonly advice: SeedsAdvice | null;
  /** The comparison in one plain sentence, see {@link describeComparison}. */
  readonly sentence: string;
}

/** Options of {@link compareGroups}. */
export interface CompareOptions {
  /** Label of the group everything is compared with; default: the first group. */
  readonly baseline?: string;
  /** Metrics to compare; default: {@link headlineMetrics}. */
  readonly metrics?: readonly string[];
  readonly level?: number;
  /** Metrics whose comparisons form the primary family (adjusted together); default none. */
  readonly primary?: readonly string[];
  /** Family-wise level: comparisons with adjusted p at or above it get seeds advice; default 0.05. */
  readonly alpha?: number;
}

/**
 * Never compared between variants: properties of the data ({@link DATA_METRICS}), and
 * `weightedRecall`, which equals `accuracy` by definition (Σ support_c · recall_c / n = trace / n),
 * so its comparison would repeat accuracy's.
 */
const NOT_COMPARED: ReadonlySet<string> = new Set([...DATA_METRICS, 'weightedRecall']);

/**
 * The final metrics two groups share, in a stable order: accuracy, balancedAccuracy, macroF1, f1,
 * precision, recall, the other macro and weighted averages, prAuc, loss first, then the rest
 * alphabetically (group accuracies such as `even.accuracy` included; `majorityAccuracy` left out
 * since it describes the data, `weightedRecall` since it equals accuracy).
 *
 * @example headlineMetrics([a, b]) // ['accuracy', 'f1', 'even.accuracy']
 */
export function headlineMetrics(aggregates: readonly GroupAggregate[]): string[] {
  const shared = aggregates.reduce<string[] | null>((common, aggregate) => {
    const keys = Object.keys(aggregate.final);
    return common === null ? keys : common.filter((key) => keys.includes(key));
  }, null);
  return sortMetrics((shared ?? []).filter((metric) => !NOT_COMPARED.has(metric)));
}

/** Extra numbers of a sentence, see {@link describeComparison}. */
export interface SentenceExtras {
  readonly effectSize?: number | null;
  readonly pAdjusted?: number | null;
  readonly advice?: SeedsAdvice | null;
}

/** `paired t-test, 3 seeds each` / `Welch, 3 vs 2 seeds`. */
export function testText(test: DifferenceTest | WelchResult): string {
  const seeds = test.nA === test.nB ? `${plural(test.nA, 'seed')} each` : `${test.nA} vs ${plural(test.nB, 'seed')}`;
  const method = 'method' in test && test.method === 'paired' ? 'paired t-test, ' : 'method' in test ? 'Welch, ' : '';
  return `${method}${seeds}`;
}

/** `about 14 seeds per variant would detect a difference of this size with 80% power (α = 0.05)`, or why not. */
export function adviceText(advice: SeedsAdvice): string {
  if (advice.kind === 'negligible') return 'the difference is too small to matter (under 0.005)';
  if (advice.seeds === null)
    return `even ${MAX_SEEDS.toLocaleString('en-US')} seeds per variant would not detect a difference of this size with 80% power`;
  const level =
    advice.family === 1 ? `α = ${advice.alpha}` : `α = ${advice.alpha}/${advice.family}, Bonferroni over the family`;
  return `${plural(advice.seeds, 'seed')} per variant would detect a difference of this size with 80% power (${level})`;
}

/**
 * One plain sentence for a comparison, e.g.
 * `class-weighted vs unweighted: f1 +0.210 [+0.150, +0.270], g = +2.10, p = 0.003, p_adj = 0.009, paired t-test, 3 seeds each`,
 * followed, when not significant, by the seeds that would decide it; with one seed per variant or
 * no spread, the difference followed by "no significance can be claimed".
 */
export function describeComparison(
  label: string,
  baseline: string,
  metric: string,
  test: DifferenceTest | WelchResult,
  extras: SentenceExtras = {},
): string {
  const seeds = testText(test);
  const head = `${label} vs ${baseline}: ${metric} ${formatSigned(test.difference)}`;
  if (test.untestable === 'too-few-values') {
    return `${head}, ${seeds}: no significance can be claimed (a test needs at least 2 seeds per variant)`;
  }
  if (test.untestable === 'zero-variance' || test.ci === null || test.p === null) {
    const what =
      'method' in test && test.method === 'paired'
        ? 'identical differences across seeds'
        : 'identical values across seeds';
    return `${head}, ${seeds}, ${what}: no significance can be claimed`;
  }
  const [low, high] = test.ci;
  const g =
    extras.effectSize === undefined || extras.effectSize === null ? '' : `, g = ${formatEffect(extras.effectSize)}`;
  const adjusted =
    extras.pAdjusted === undefined || extras.pAdjusted === null
      ? ''
      : `, ${formatP(extras.pAdjusted).replace('p', 'p_adj')}`;
  const advice = extras.advice === undefined || extras.advice === null ? '' : `; ${adviceText(extras.advice)}`;
  return `${head} [${formatSigned(low)}, ${formatSigned(high)}]${g}, ${formatP(test.p)}${adjusted}, ${seeds}${advice}`;
}

/** Hedges' g with sign and two decimals: `+1.08`. */
export function formatEffect(g: number): string {
  const text = g.toFixed(2);
  return g > 0 && text !== '0.00' ? `+${text}` : text === '-0.00' ? '0.00' : text;
}

/** A rate difference below this (half a percentage point) is too small to be worth more seeds. */
export const NEGLIGIBLE_RATE_DIFFERENCE = 0.005;

/**
 * Tests mean(a) − mean(b) of one metric: the paired t-test when both groups have exactly the
 * same seeds (each once) for it — same seed, same initial weights and batch order — else Welch.
 * Values are aligned by seed for the paired test.
 *
 * @example testDifference(cbCe, ce, 'macroF1').test.method // 'paired'
 */
export function testDifference(
  a: GroupAggregate,
  b: GroupAggregate,
  metric: string,
  level = 0.95,
): { values: number[]; baselineValues: number[]; test: DifferenceTest; effectSize: number | null } | null {
  const values = [...(a.finalValues[metric] ?? [])];
  const baselineValues = [...(b.finalValues[metric] ?? [])];
  if (values.length === 0 || baselineValues.length === 0) return null;
  const seedsA = a.finalSeeds[metric] ?? [];
  const seedsB = b.finalSeeds[metric] ?? [];
  const distinct = new Set(seedsA);
  // Exactly the same seeds, each once on both sides (two runs of one seed in a group are not a pair).
  const sameSeeds =
    seedsA.length === seedsB.length &&
    distinct.size === seedsA.length &&
    new Set(seedsB).size === seedsB.length &&
    seedsB.every((seed) => distinct.has(seed));
  if (sameSeeds && seedsA.length >= 2) {
    const order = [...seedsA].sort((x, y) => x - y);
    const bySeed = (seeds: readonly number[], list: readonly number[]): number[] =>
      order.map((seed) => list[seeds.indexOf(seed)] ?? Number.NaN);
    const pairedA = bySeed(seedsA, values);
    const pairedB = bySeed(seedsB, baselineValues);
    return {
      values: pairedA,
      baselineValues: pairedB,
      test: pairedTTest(pairedA, pairedB, level),
      effectSize: hedgesG(pairedA, pairedB),
    };
  }
  return {
    values,
    baselineValues,
    test: { ...welchTest(values, baselineValues, level), method: 'welch' },
    effectSize: hedgesG(values, baselineValues),
  };
}

/** The standardized effect that drives the power of `test`: d_z for paired, d (pooled sd) for Welch. */
function powerEffect(
  values: readonly number[],
  baselineValues: readonly number[],
  test: DifferenceTest,
): number | null {
  if (test.untestable !== null) return null;
  if (test.method === 'paired') {
    const differences = values.map((value, index) => value - (baselineValues[index] ?? 0));
    const variance = sampleVariance(differences);
    return variance === 0 ? null : mean(differences) / Math.sqrt(variance);
  }
  const pooled =
    ((values.length - 1) * sampleVariance(values) + (baselineValues.length - 1) * sampleVariance(baselineValues)) /
    (values.length + baselineValues.length - 2);
  return pooled === 0 ? null : test.difference / Math.sqrt(pooled);
}

/**
 * Holm-adjusts the p-values of each family (primary metrics and claims; the rest) separately,
 * adds the seeds advice (powered at α/m, m the family's tests) to every tested comparison whose
 * adjusted p is not below `alpha`, and
 * rewrites the sentences with g, p and p_adj.
 *
 * @example adjustComparisons(comparisons, 0.05).map((comparison) => comparison.pAdjusted)
 */
export function adjustComparisons(comparisons: readonly MetricComparison[], alpha = 0.05): MetricComparison[] {
  const adjusted = new Map<MetricComparison, number | null>();
  const familySize = new Map<ComparisonFamily, number>();
  for (const family of ['primary', 'secondary'] as const) {
    const members = comparisons.filter((comparison) => comparison.family === family);
    const ps = holmAdjust(members.map((comparison) => comparison.test.p));
    members.forEach((comparison, index) => adjusted.set(comparison, ps[index] ?? null));
    familySize.set(family, ps.filter((p) => p !== null).length);
  }
  return comparisons.map((comparison) => {
    const pAdjusted = adjusted.get(comparison) ?? null;
    let advice: SeedsAdvice | null = null;
    if (pAdjusted !== null && pAdjusted >= alpha) {
      const [low, high] = metricRange(comparison.metric);
      const isRate = low === 0 && high === 1;
      const effect = powerEffect(comparison.values, comparison.baselineValues, comparison.test);
      if (isRate && Math.abs(comparison.test.difference) < NEGLIGIBLE_RATE_DIFFERENCE) advice = { kind: 'negligible' };
      else if (effect !== null) {
        // Powered at α/m: the level Holm's smallest p must beat, so the advice holds whatever the others do.
        const family = familySize.get(comparison.family) ?? 1;
        advice = { kind: 'seeds', seeds: seedsNeeded(effect, comparison.test.method, alpha / family), alpha, family };
      }
    }
    return {
      ...comparison,
      pAdjusted,
      advice,
      sentence: describeComparison(comparison.label, comparison.baseline, comparison.metric, comparison.test, {
        effectSize: comparison.effectSize,
        pAdjusted,
        advice,
      }),
    };
  });
}

/**
 * The same comparison seen from the other side: `baseline` vs `label`, the difference, its
 * interval, t and g negated (p unchanged).
 */
export function reverseComparison(comparison: MetricComparison): MetricComparison {
  const { test } = comparison;
  const reversed: DifferenceTest = {
    ...test,
    difference: -test.difference,
    nA: test.nB,
    nB: test.nA,
    t: test.t === null ? null : -test.t,
    ci: test.ci === null ? null : [-test.ci[1], -test.ci[0]],
  };
  return {
    ...comparison,
    label: comparison.baseline,
    baseline: comparison.label,
    values: comparison.baselineValues,
    baselineValues: comparison.values,
    test: reversed,
    effectSize: comparison.effectSize === null ? null : -comparison.effectSize,
    sentence: describeComparison(comparison.baseline, comparison.label, comparison.metric, reversed, {
      effectSize: comparison.effectSize === null ? null : -comparison.effectSize,
      pAdjusted: comparison.pAdjusted,
      advice: comparison.advice,
    }),
  };
}

/**
 * Why the losses of `group` and `baseline` cannot be compared, or null when they can: only losses
 * of the same definition reduced the same way are on one scale.
 *
 * @example lossMismatch(classWeighted, unweighted) // 'the loss definitions differ, so the losses are on different scales'
 */
export function lossMismatch(group: GroupAggregate, baseline: GroupAggregate): string | null {
  if (group.lossDefinition === null || baseline.lossDefinition === null)
    return 'the loss definition is unknown or mixed for a variant';
  if (group.lossDefinition !== baseline.lossDefinition)
    return 'the loss definitions differ, so the losses are on different scales';
  if (group.lossReduction === null || baseline.lossReduction === null) return 'the reduction is mixed for a variant';
  if (group.lossReduction !== baseline.lossReduction) {
    return `the losses are reduced differently (${group.lossReduction} vs ${baseline.lossReduction}), so they are on different scales`;
  }
  return null;
}

/**
 * What a row or chart that sets the losses of `aggregates` side by side must say, or null when
 * they share one loss definition and reduction, e.g. `reductions differ (a: sumOverBatchSize; b: sumOverWeights)`.
 */
export function lossMix(aggregates: readonly GroupAggregate[]): string | null {
  if (aggregates.length < 2) return null;
  const parts: string[] = [];
  const definitions = new Set(aggregates.map((aggregate) => aggregate.lossDefinition));
  if (definitions.has(null)) parts.push('the loss definition is unknown or mixed for some variant');
  else if (definitions.size > 1) parts.push('loss definitions differ');
  const reductions = new Set(aggregates.map((aggregate) => aggregate.lossReduction));
  if (reductions.has(null)) parts.push('the reduction is mixed for some variant');
  else if (reductions.size > 1)
    parts.push(
      `reductions differ (${aggregates.map((aggregate) => `${aggregate.label}: ${aggregate.lossReduction ?? '?'}`).join('; ')})`,
    );
  return parts.length === 0 ? null : parts.join('; ');
}

/** The baseline of {@link compareGroups} and the groups compared with it (same experiment). */
function pairs(
  aggregates: readonly GroupAggregate[],
  options: CompareOptions,
): { baseline: GroupAggregate; others: GroupAggregate[] } | null {
  if (aggregates.length < 2) return null;
  const baselineLabel = options.baseline ?? aggregates[0]?.label;
  const baseline = aggregates.find((aggregate) => aggregate.label === baselineLabel);
  if (baseline === undefined) {
    const labels = aggregates.map((aggregate) => aggregate.label).join(', ');
    throw new ReportError('INVALID_ARGUMENT', `baseline: expected one of ${labels}, got ${String(baselineLabel)}`);
  }
  // Different experiments measure different things: only compare within the baseline's.
  return {
    baseline,
    others: aggregates.filter((aggregate) => aggregate !== baseline && aggregate.experiment === baseline.experiment),
  };
}

/**
 * Compares every group with the baseline on each headline metric: difference of means, its
 * confidence interval and a two-sided p-value — the paired t-test on per-seed differences when
 * both groups have the same seeds, Welch's test (Welch–Satterthwaite df) otherwise — and Hedges' g.
 * `loss` is compared only between groups of the same loss definition and reduction
 * ({@link lossMismatch}); {@link uncomparedLosses} says which were left out. Metrics in
 * `options.primary` form the primary family; p-values are Holm-adjusted per family.
 *
 * @example
 * compareGroups(aggregates, { baseline: 'unweighted' })[0].sentence
 * // 'class-weighted vs unweighted: f1 +0.210 [+0.150, +0.270], g = +2.10, p = 0.003, p_adj = 0.003, paired t-test, 3 seeds each'
 */
export function compareGroups(aggregates: readonly GroupAggregate[], options: CompareOptions = {}): MetricComparison[] {
  return adjustComparisons(unadjustedComparisons(aggregates, options), options.alpha);
}

/** {@link compareGroups} before the Holm adjustment, so a report can adjust one family across experiments. */
export function unadjustedComparisons(
  aggregates: readonly GroupAggregate[],
  options: CompareOptions = {},
): MetricComparison[] {
  const compared = pairs(aggregates, options);
  if (compared === null) return [];
  const { baseline } = compared;
  const comparisons: MetricComparison[] = [];
  for (const aggregate of compared.others) {
    const comparableLoss = lossMismatch(aggregate, baseline) === null;
    const metrics = (options.metrics ?? headlineMetrics([aggregate, baseline])).filter(
      (metric) => metric !== 'loss' || comparableLoss,
    );
    for (const metric of metrics) {
      const compared = comparePair(aggregate, baseline, metric, options.primary ?? [], options.level);
      if (compared !== null) comparisons.push(compared);
    }
  }
  return comparisons;
}

/** One unadjusted comparison of `a` with `b` on `metric`, or null when either lacks it. */
export function comparePair(
  a: GroupAggregate,
  b: GroupAggregate,
  metric: string,
  primary: readonly string[],
  level?: number,
): MetricComparison | null {
  const tested = testDifference(a, b, metric, level);
  if (tested === null) return null;
  return {
    experiment: a.experiment,
    label: a.label,
    baseline: b.label,
    metric,
    ...tested,
    family: primary.includes(metric) ? 'primary' : 'secondary',
    pAdjusted: null,
    advice: null,
    sentence: describeComparison(a.label, b.label, metric, tested.test, { effectSize: tested.effectSize }),
  };
}

/**
 * The loss comparisons {@link compareGroups} leaves out, one sentence each, e.g.
 * `class-weighted vs unweighted: loss not compared: the loss definitions differ, so the losses are on different scales`.
 */
export function uncomparedLosses(aggregates: readonly GroupAggregate[], options: CompareOptions = {}): string[] {
  const compared = pairs(aggregates, options);
  if (compared === null) return [];
  const { baseline } = compared;
  return compared.others.flatMap((aggregate) => {
    const mismatch = lossMismatch(aggregate, baseline);
    const wanted = (options.metrics ?? headlineMetrics([aggregate, baseline])).includes('loss');
    return mismatch !== null && wanted
      ? [`${aggregate.label} vs ${baseline.label}: loss not compared: ${mismatch}`]
      : [];
  });
}
