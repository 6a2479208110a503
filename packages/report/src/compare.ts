import type { GroupAggregate } from './aggregate';
import { ReportError } from './errors';
import { formatP, formatSigned, plural } from './format';
import { welchTest, type WelchResult } from './stats';

/** One headline metric of one variant compared with the baseline. */
export interface MetricComparison {
  /** The variant being compared (its label). */
  readonly label: string;
  /** The baseline it is compared with (its label). */
  readonly baseline: string;
  readonly metric: string;
  /** Per-seed values of the variant and of the baseline. */
  readonly values: readonly number[];
  readonly baselineValues: readonly number[];
  /** Welch's test of mean(values) − mean(baselineValues). */
  readonly test: WelchResult;
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
}

/** Metrics listed first when present, in this order; the rest follow alphabetically. */
const PREFERRED_ORDER = [
  'accuracy',
  'balancedAccuracy',
  'macroF1',
  'f1',
  'precision',
  'recall',
  'macroPrecision',
  'macroRecall',
  'weightedF1',
  'weightedPrecision',
  'weightedRecall',
  'prAuc',
  'loss',
];

/**
 * Never compared between variants: properties of the data, not of the model, and
 * `weightedRecall`, which equals `accuracy` by definition (Σ support_c · recall_c / n = trace / n),
 * so its comparison would repeat accuracy's.
 */
const DATA_PROPERTIES = new Set(['majorityAccuracy', 'positiveRate', 'weightedRecall']);

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
  return sortMetrics((shared ?? []).filter((metric) => !DATA_PROPERTIES.has(metric)));
}

/**
 * Sorts metric names for display: accuracy, balancedAccuracy, macroF1, f1, precision, recall,
 * macroPrecision, macroRecall, weightedF1, weightedPrecision, weightedRecall, prAuc, loss first,
 * then the rest alphabetically.
 *
 * @example sortMetrics(['loss', 'even.accuracy', 'accuracy']) // ['accuracy', 'loss', 'even.accuracy']
 */
export function sortMetrics(metrics: readonly string[]): string[] {
  const rank = (metric: string): number => {
    const index = PREFERRED_ORDER.indexOf(metric);
    return index === -1 ? PREFERRED_ORDER.length : index;
  };
  return [...metrics].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
}

/**
 * One plain sentence for a comparison, e.g.
 * `class-weighted vs unweighted: f1 +0.210 [0.150, 0.270], p = 0.003, 3 seeds each`, or, with
 * one seed per variant or no spread, the difference followed by "no significance can be claimed".
 */
export function describeComparison(label: string, baseline: string, metric: string, test: WelchResult): string {
  const seeds = test.nA === test.nB ? `${plural(test.nA, 'seed')} each` : `${test.nA} vs ${plural(test.nB, 'seed')}`;
  const head = `${label} vs ${baseline}: ${metric} ${formatSigned(test.difference)}`;
  if (test.untestable === 'too-few-values') {
    return `${head}, ${seeds}: no significance can be claimed (a test needs at least 2 seeds per variant)`;
  }
  if (test.untestable === 'zero-variance' || test.ci === null || test.p === null) {
    return `${head}, ${seeds}, identical values across seeds: no significance can be claimed`;
  }
  const [low, high] = test.ci;
  return `${head} [${formatSigned(low)}, ${formatSigned(high)}], ${formatP(test.p)}, ${seeds}`;
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
 * Welch confidence interval (Welch–Satterthwaite df) and a two-sided p-value, from each group's
 * per-seed `finalValues`. `loss` is compared only between groups of the same loss definition and
 * reduction ({@link lossMismatch}); {@link uncomparedLosses} says which were left out.
 *
 * @example
 * compareGroups(aggregates, { baseline: 'unweighted' })[0].sentence
 * // 'class-weighted vs unweighted: f1 +0.210 [0.150, 0.270], p = 0.003, 3 seeds each'
 */
export function compareGroups(aggregates: readonly GroupAggregate[], options: CompareOptions = {}): MetricComparison[] {
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
      const values = aggregate.finalValues[metric] ?? [];
      const baselineValues = baseline.finalValues[metric] ?? [];
      if (values.length === 0 || baselineValues.length === 0) continue;
      const test = welchTest(values, baselineValues, options.level);
      comparisons.push({
        label: aggregate.label,
        baseline: baseline.label,
        metric,
        values,
        baselineValues,
        test,
        sentence: describeComparison(aggregate.label, baseline.label, metric, test),
      });
    }
  }
  return comparisons;
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
