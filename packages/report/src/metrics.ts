import { isRateMetric, type Direction } from '@losslab/schema';

/**
 * The metric vocabulary of the report, in one place: a metric's name inside a key
 * (`validation.f1` → `f1`), its title, unit, range and direction, and the order metrics are shown in.
 */

/** The majority-class accuracy: what always predicting the most frequent class scores. */
export const MAJORITY_ACCURACY = 'majorityAccuracy';

/** Its validation curve: drawn as the baseline under the accuracy curve, not as a curve of its own. */
export const MAJORITY_CURVE = `validation.${MAJORITY_ACCURACY}`;

/** The curve of the learning rate a schedule set: a setting drawn per epoch, not an outcome to compare. */
export const LEARNING_RATE_CURVE = 'training.learningRate';

/** The τ a post-hoc logit adjustment used (`evaluation.adjust`): a setting, shown beside its metrics. */
const POSTHOC_TAU = 'adjusted.tau';

/**
 * Metrics that describe the data (or, for the post-hoc τ, a setting), not a model: never ranked or
 * compared between variants.
 */
export const DATA_METRICS: ReadonlySet<string> = new Set([MAJORITY_ACCURACY, 'positiveRate', POSTHOC_TAU]);

/** The metric part of a key: `validation.f1` → `f1`. */
export function metricName(key: string): string {
  return key.includes('.') ? key.slice(key.lastIndexOf('.') + 1) : key;
}

/** `validation F1`-like readable name of a curve key such as `validation.f1`. */
export function metricTitle(key: string): string {
  const [scope, metric] = key.includes('.')
    ? [key.slice(0, key.indexOf('.')), key.slice(key.indexOf('.') + 1)]
    : ['', key];
  const names: Record<string, string> = {
    loss: 'loss',
    accuracy: 'accuracy',
    balancedAccuracy: 'balanced accuracy',
    headAccuracy: 'head-class accuracy',
    mediumAccuracy: 'medium-class accuracy',
    tailAccuracy: 'tail-class accuracy',
    f1: 'F1',
    prAuc: 'PR-AUC',
    precision: 'precision',
    recall: 'recall',
    majorityAccuracy: 'majority-class accuracy',
    tau: 'τ',
    learningRate: 'learning rate',
    macroF1: 'macro F1',
    macroPrecision: 'macro precision',
    macroRecall: 'macro recall',
    weightedF1: 'weighted F1',
    weightedPrecision: 'weighted precision',
    weightedRecall: 'weighted recall',
  };
  const name = names[metric] ?? metric;
  return scope === '' ? name : `${scope} ${name}`;
}

/** The unit shown in an axis title for a metric: fractions, loss, seconds, counts. */
export function metricUnit(key: string): string {
  const metric = metricName(key);
  // Fractions are the metrics the run record requires in [0, 1]: one rule for both.
  if (isRateMetric(metric)) return 'fraction, 0–1';
  if (metric === 'loss') return 'mean loss per sample';
  if (/seconds$/i.test(metric)) return 's';
  if (metric === 'samplesPerSecond') return 'samples/s';
  if (metric === 'learningRate') return 'step size';
  return 'value';
}

/**
 * The values a metric can take: fractions lie in [0, 1], losses and times are never negative;
 * confidence intervals are clipped to it.
 *
 * @example metricRange('even.accuracy') // [0, 1]
 */
export function metricRange(key: string): readonly [number, number] {
  const metric = metricName(key);
  if (isRateMetric(metric)) return [0, 1];
  if (
    metric === 'loss' ||
    /seconds$/i.test(metric) ||
    metric === 'samplesPerSecond' ||
    metric === 'learningRate' ||
    key === POSTHOC_TAU
  )
    return [0, Number.POSITIVE_INFINITY];
  return [Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY];
}

/**
 * Which way a metric improves when its definition does not say: `lower` for losses and errors
 * (`loss`, `validation.loss`, `meanAbsoluteError`), `higher` for everything else.
 *
 * @example defaultDirection('training.loss') // 'lower'
 */
export function defaultDirection(metric: string): Direction {
  return /loss$|error$/i.test(metricName(metric)) ? 'lower' : 'higher';
}

/** Metrics listed first when present, in this order; the rest follow alphabetically. */
const PREFERRED_ORDER = [
  'accuracy',
  'balancedAccuracy',
  'headAccuracy',
  'mediumAccuracy',
  'tailAccuracy',
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
 * Sorts metric names for display: accuracy, balancedAccuracy, head/medium/tail accuracy, macroF1, f1, precision, recall,
 * macroPrecision, macroRecall, weightedF1, weightedPrecision, weightedRecall, prAuc, loss first,
 * then the rest alphabetically. A post-hoc adjusted metric (`adjusted.<metric>`) follows its
 * unadjusted one; the τ it used (`adjusted.tau`) is one of the rest.
 *
 * @example sortMetrics(['loss', 'even.accuracy', 'accuracy']) // ['accuracy', 'loss', 'even.accuracy']
 * @example sortMetrics(['adjusted.accuracy', 'balancedAccuracy', 'accuracy']) // ['accuracy', 'adjusted.accuracy', 'balancedAccuracy']
 */
export function sortMetrics(metrics: readonly string[]): string[] {
  const rank = (metric: string): number => {
    const adjusted = metric.startsWith('adjusted.') ? PREFERRED_ORDER.indexOf(metric.slice('adjusted.'.length)) : -1;
    if (adjusted !== -1) return adjusted + 0.5;
    const index = PREFERRED_ORDER.indexOf(metric);
    return index === -1 ? PREFERRED_ORDER.length : index;
  };
  return [...metrics].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
}

/** True for curve keys whose metric is a loss (`training.loss`, `validation.loss`). */
export const isLossKey = (key: string): boolean => key === 'loss' || key.endsWith('.loss');
