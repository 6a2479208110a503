import type { GroupAggregate } from './aggregate.js';
import { DEFAULT_ALPHA, findComparison } from './claims.js';
import { adviceText, comparePair, formatEffect, lossMix, type MetricComparison } from './compare.js';
import { formatP, formatSigned, formatValue, plural } from './format.js';
import { runClassGrouping } from './long-tail.js';
import { defaultDirection } from './metrics.js';
import type { Direction, PrimaryMetric, RunRecord } from '@losslab/schema';

export type { Direction };

/** A primary metric as declared in a definition's `report.primary`: the schema's {@link PrimaryMetric}. */
export type DeclaredPrimary = PrimaryMetric;

/** A metric the verdict decides on, and where that choice came from. */
export interface PrimaryChoice {
  readonly metric: string;
  readonly direction: Direction;
  /** `declared` in the definition's `report.primary`, named by a `beats` claim, or the `default` of the evaluation kind. */
  readonly source: 'declared' | 'claim' | 'default';
}

/**
 * Primary metrics when the definition declares none, per evaluation kind: what its users decide
 * on. Class-imbalanced data is the point of losslab, so macro F1 (every class counts the same)
 * leads for classification, blink F1 for detection; accuracy and balanced accuracy follow.
 */
export const DEFAULT_PRIMARY: Readonly<Record<string, readonly string[]>> = {
  classification: ['macroF1', 'accuracy'],
  binaryDetection: ['f1', 'balancedAccuracy'],
};

/**
 * The default primary metric of a classification on long-tailed training data (see
 * `runClassGrouping`), before its kind's: the mean of the per-class recalls, the metric the
 * long-tail literature ranks losses by (Menon et al. 2021, Cao et al. 2019).
 */
const LONG_TAILED_PRIMARY: readonly string[] = ['balancedAccuracy'];

/**
 * The primary metrics of one experiment: the declared ones (`report.primary` of the definition)
 * if any, else the defaults of its evaluation kind ({@link DEFAULT_PRIMARY}; `accuracy` for
 * other kinds), led by balanced accuracy when the training data is long-tailed; then the metric of every `beats` claim not already listed. Defaults and claim
 * metrics no variant reports are left out; declared ones stay (the verdict says nobody reports them).
 *
 * @example primaryMetrics(records, [{ metric: 'macroF1' }]) // [{ metric: 'macroF1', direction: 'higher', source: 'declared' }]
 */
export function primaryMetrics(
  records: readonly RunRecord[],
  aggregates: readonly GroupAggregate[],
  declared: readonly DeclaredPrimary[] = [],
): PrimaryChoice[] {
  const present = new Set(aggregates.flatMap((aggregate) => Object.keys(aggregate.final)));
  const choices: PrimaryChoice[] = [];
  const add = (metric: string, direction: Direction | undefined, source: PrimaryChoice['source']): void => {
    // A declared metric no run reports stays, so the verdict can say so (a typo is not silently dropped).
    if ((source !== 'declared' && !present.has(metric)) || choices.some((choice) => choice.metric === metric)) return;
    choices.push({ metric, direction: direction ?? defaultDirection(metric), source });
  };
  if (declared.length > 0) {
    for (const primary of declared) add(primary.metric, primary.direction, 'declared');
  } else {
    const kinds = [...new Set(records.flatMap((record) => record.definition.evaluation?.kind ?? []))];
    // Long-tailed training data: balanced accuracy (every class counts the same) leads.
    if (records.some((record) => runClassGrouping(record) !== undefined))
      for (const metric of LONG_TAILED_PRIMARY) add(metric, undefined, 'default');
    for (const kind of kinds)
      for (const metric of DEFAULT_PRIMARY[kind] ?? ['accuracy']) add(metric, undefined, 'default');
    if (kinds.length === 0) add('accuracy', undefined, 'default');
  }
  for (const record of records) {
    for (const claim of record.claims) if (claim.kind === 'beats') add(claim.metric, claim.direction, 'claim');
  }
  return choices;
}

/** One other variant against the best, on one primary metric. */
export interface VerdictLine {
  readonly other: string;
  /** best − other, oriented so a positive difference favours `best` when higher is better. */
  readonly comparison: MetricComparison | null;
  /** `beats`: adjusted p < α in the right direction; `tie`: not distinguishable; `untestable`: no test possible. */
  readonly outcome: 'beats' | 'tie' | 'untestable';
  readonly sentence: string;
}

/** The verdict on one primary metric of one experiment. */
export interface MetricVerdict {
  readonly experiment: string;
  readonly metric: string;
  readonly direction: Direction;
  readonly source: PrimaryChoice['source'];
  /** The variant with the best mean (null: nothing to rank). */
  readonly best: string | null;
  readonly bestMean: number | null;
  readonly lines: readonly VerdictLine[];
  /** The first sentence: the metric, its direction and the best variant, e.g. `macroF1 (higher is better): cb-ce is best (0.912) and beats every other variant.` */
  readonly headline: string;
  /** The whole verdict in plain sentences: the headline, then one clause per other variant. */
  readonly sentence: string;
}

/**
 * The variant with the best mean of `metric` among `aggregates`, or undefined when none has it.
 * Variants with a single run are ranked only when no variant has two: a best that no test can
 * confirm would leave the verdict with nothing to say.
 */
export function bestAggregate(
  aggregates: readonly GroupAggregate[],
  metric: string,
  direction: Direction,
): GroupAggregate | undefined {
  const tested = aggregates.filter((aggregate) => (aggregate.final[metric]?.n ?? 0) >= 2);
  const candidates = tested.length > 0 ? tested : aggregates;
  let best: GroupAggregate | undefined;
  for (const aggregate of candidates) {
    const value = aggregate.final[metric]?.mean;
    if (value === undefined) continue;
    const current = best?.final[metric]?.mean;
    if (current === undefined || (direction === 'higher' ? value > current : value < current)) best = aggregate;
  }
  return best;
}

/**
 * The comparisons a verdict needs that are not among `comparisons` yet: the best variant of each
 * primary metric against every other variant of its experiment (primary family, unadjusted).
 */
export function verdictComparisons(
  aggregates: readonly GroupAggregate[],
  primary: ReadonlyMap<string, readonly PrimaryChoice[]>,
  comparisons: readonly MetricComparison[],
  level?: number,
): MetricComparison[] {
  const added: MetricComparison[] = [];
  for (const [experiment, choices] of primary) {
    const own = aggregates.filter((aggregate) => aggregate.experiment === experiment);
    for (const choice of choices) {
      if (choice.metric === 'loss' && lossMix(own) !== null) continue;
      const best = bestAggregate(own, choice.metric, choice.direction);
      if (best === undefined) continue;
      for (const other of own) {
        if (other === best) continue;
        const known = [...comparisons, ...added];
        if (findComparison(known, experiment, best.label, other.label, choice.metric) !== undefined) continue;
        const comparison = comparePair(best, other, choice.metric, [choice.metric], level);
        if (comparison !== null) added.push(comparison);
      }
    }
  }
  return added;
}

/** `metric (higher is better)`. */
const metricWithDirection = (metric: string, direction: Direction): string => `${metric} (${direction} is better)`;

/** `+0.021 [+0.012, +0.030], g = +2.10, p_adj = 0.012, paired t-test, 3 seeds each`. */
function evidence(comparison: MetricComparison): string {
  const { test } = comparison;
  const seeds = test.nA === test.nB ? `${plural(test.nA, 'seed')} each` : `${test.nA} vs ${plural(test.nB, 'seed')}`;
  const method = test.method === 'paired' ? 'paired t-test' : 'Welch';
  if (test.ci === null || comparison.pAdjusted === null) {
    const why =
      test.untestable === 'too-few-values'
        ? 'a test needs at least 2 seeds per variant'
        : test.method === 'paired'
          ? 'the same difference on every seed, so no spread to test'
          : 'identical values on every seed, so no spread to test';
    return `${formatSigned(test.difference)}, ${seeds}; ${why}`;
  }
  const g = comparison.effectSize === null ? '' : `, g = ${formatEffect(comparison.effectSize)}`;
  return `${formatSigned(test.difference)} [${formatSigned(test.ci[0])}, ${formatSigned(test.ci[1])}]${g}, ${formatP(comparison.pAdjusted).replace('p', 'p_adj')}, ${method}, ${seeds}`;
}

/**
 * The verdict on each primary metric: the variant with the best mean, and against every other
 * variant the difference (best − other) with its CI, Hedges' g and Holm-adjusted p; "beats" when
 * the adjusted p is below `alpha`, "not distinguishable" otherwise, with the seeds per variant
 * that would decide it. `comparisons` must already be adjusted and include
 * {@link verdictComparisons}.
 *
 * @example
 * verdicts(aggregates, primary, comparisons)[0].sentence
 * // 'macroF1 (higher is better): cb-ce is best (0.912). cb-ce beats ce by +0.021 [+0.012, +0.030], …'
 */
export function verdicts(
  aggregates: readonly GroupAggregate[],
  primary: ReadonlyMap<string, readonly PrimaryChoice[]>,
  comparisons: readonly MetricComparison[],
  alpha = DEFAULT_ALPHA,
): MetricVerdict[] {
  const results: MetricVerdict[] = [];
  for (const [experiment, choices] of primary) {
    const own = aggregates.filter((aggregate) => aggregate.experiment === experiment);
    for (const { metric, direction, source } of choices) {
      const head = metricWithDirection(metric, direction);
      const base = { experiment, metric, direction, source };
      const mix = metric === 'loss' ? lossMix(own) : null;
      if (mix !== null) {
        results.push({
          ...base,
          best: null,
          bestMean: null,
          lines: [],
          headline: `${head}: not ranked, the losses are on different scales (${mix}).`,
          sentence: `${head}: not ranked, the losses are on different scales (${mix}).`,
        });
        continue;
      }
      const best = bestAggregate(own, metric, direction);
      const bestMean = best?.final[metric]?.mean;
      if (best === undefined || bestMean === undefined) {
        const missing = `${head}: no run reports this metric; check the name in report.primary (final metrics: ${[
          ...new Set(own.flatMap((aggregate) => Object.keys(aggregate.final))),
        ].join(', ')}).`;
        results.push({ ...base, best: null, bestMean: null, lines: [], headline: missing, sentence: missing });
        continue;
      }
      const others = own.filter((aggregate) => aggregate !== best && aggregate.final[metric] !== undefined);
      if (others.length === 0) {
        results.push({
          ...base,
          best: best.label,
          bestMean,
          lines: [],
          headline: `${head}: ${best.label} ${formatValue(bestMean)}; only one variant, nothing to compare.`,
          sentence: `${head}: ${best.label} ${formatValue(bestMean)}; only one variant, nothing to compare.`,
        });
        continue;
      }
      const lines: VerdictLine[] = others.map((other) => {
        const comparison = findComparison(comparisons, experiment, best.label, other.label, metric) ?? null;
        const pAdjusted = comparison?.pAdjusted ?? null;
        if (comparison === null || pAdjusted === null) {
          const detail = comparison === null ? 'not compared' : evidence(comparison);
          return {
            other: other.label,
            comparison,
            outcome: 'untestable',
            sentence: `${best.label} vs ${other.label}: ${detail}; no significance can be claimed`,
          };
        }
        const rightWay = direction === 'higher' ? comparison.test.difference > 0 : comparison.test.difference < 0;
        if (rightWay && pAdjusted < alpha) {
          return {
            other: other.label,
            comparison,
            outcome: 'beats',
            sentence: `${best.label} beats ${other.label} by ${evidence(comparison)}`,
          };
        }
        const advice = comparison.advice === null ? '' : `; ${adviceText(comparison.advice)}`;
        return {
          other: other.label,
          comparison,
          outcome: 'tie',
          sentence: `${best.label} is not distinguishable from ${other.label} (${evidence(comparison)})${advice}`,
        };
      });
      const beaten = lines.filter((line) => line.outcome === 'beats').length;
      const single = others.filter((other) => other.final[metric]?.n === 1 && (best.final[metric]?.n ?? 0) >= 2);
      const unranked =
        single.length === 0
          ? ''
          : `; not ranked, with a single run: ${single.map((other) => `${other.label} (${formatValue(other.final[metric]?.mean ?? Number.NaN)})`).join(', ')}`;
      const summary =
        beaten === lines.length
          ? `${best.label} is best (${formatValue(bestMean)}) and beats every other variant`
          : beaten === 0
            ? `${best.label} has the best mean (${formatValue(bestMean)}) but beats no other variant with confidence`
            : `${best.label} has the best mean (${formatValue(bestMean)}) and beats ${beaten} of ${lines.length} other variants`;
      results.push({
        ...base,
        best: best.label,
        bestMean,
        lines,
        headline: `${head}: ${summary}${unranked}.`,
        sentence: `${head}: ${summary}${unranked}. ${lines.map((line) => line.sentence).join('; ')}.`,
      });
    }
  }
  return results;
}
