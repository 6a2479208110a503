import type { RunGroup } from './groups.js';
import { DEFAULT_REDUCTION, type RunRecord } from '@losslab/schema';
import { classGroupAccuracies } from './long-tail.js';
import { LEARNING_RATE_CURVE, metricRange } from './metrics.js';
import { clipInterval, summarize, type Summary } from './stats.js';

/** One point of an aggregated learning curve: epoch (1-based) and the summary over seeds. */
export interface CurvePoint {
  readonly epoch: number;
  readonly summary: Summary;
}

/** Everything the report shows about one {@link RunGroup}, aggregated over its seeds. */
export interface GroupAggregate {
  readonly label: string;
  readonly experiment: string;
  readonly variant: string;
  readonly cohort: string | null;
  readonly runIds: readonly string[];
  readonly seeds: readonly number[];
  /** JSON of the loss definition all runs share, or null if they differ or have none: losses of different definitions are on different scales. */
  readonly lossDefinition: string | null;
  /**
   * The reduction all runs trained (and evaluated) their loss with, `definition.train.reduction`,
   * `sumOverBatchSize` where absent; null if the runs differ. Losses reduced differently are on
   * different scales too.
   */
  readonly lossReduction: string | null;
  /**
   * Final metrics: every `evaluation.metrics` key, plus `<group>.accuracy` for each evaluation
   * group smaller than the whole split, plus head / medium / tail accuracy for long-tailed
   * training data (`classGroupAccuracies`). A metric missing from some runs is summarized over the runs that have it.
   */
  readonly final: Readonly<Record<string, Summary>>;
  /** The per-run values behind `final`, in run order: what comparisons test. */
  readonly finalValues: Readonly<Record<string, readonly number[]>>;
  /** The seed of each value of `finalValues` (same order), so comparisons can pair runs by seed. */
  readonly finalSeeds: Readonly<Record<string, readonly number[]>>;
  /** `secondsPerEpoch`, `samplesPerSecond` (means over each run's epochs), `totalSeconds`, `epochs`. */
  readonly timing: Readonly<Record<string, Summary>>;
  /**
   * Per-epoch curves: `training.loss` and `validation.<metric>` for every validation metric.
   * Point e summarizes the seeds whose history has epoch e.
   */
  readonly curves: Readonly<Record<string, readonly CurvePoint[]>>;
}

function collect<K>(target: Map<K, number[]>, key: K, value: number | undefined): void {
  if (value === undefined || !Number.isFinite(value)) return;
  const values = target.get(key);
  if (values) values.push(value);
  else target.set(key, [value]);
}

/** {@link summarize} with the confidence interval clipped to the range of metric `key` (a rate stays in [0, 1]). */
function summarizeMetric(key: string, values: readonly number[], level: number): Summary {
  const summary = summarize(values, level);
  return summary.ci === null ? summary : { ...summary, ci: clipInterval(summary.ci, metricRange(key)) };
}

function summarizeAll(values: Map<string, number[]>, level: number): Record<string, Summary> {
  const result: Record<string, Summary> = {};
  for (const [key, list] of values) result[key] = summarizeMetric(key, list, level);
  return result;
}

function averageOf(values: readonly number[]): number | undefined {
  return values.length === 0 ? undefined : values.reduce((sum, value) => sum + value, 0) / values.length;
}

/**
 * Per-epoch curves of one run: `training.loss`, `training.learningRate` (when a schedule set it)
 * and `validation.<metric>`, index = epoch − 1.
 */
export function runCurves(record: RunRecord): Map<string, (number | undefined)[]> {
  const curves = new Map<string, (number | undefined)[]>();
  record.history.forEach((epoch, index) => {
    const put = (key: string, value: number | undefined): void => {
      const curve = curves.get(key) ?? [];
      curve[index] = value;
      curves.set(key, curve);
    };
    put('training.loss', epoch.loss);
    if (epoch.learningRate !== undefined) put(LEARNING_RATE_CURVE, epoch.learningRate);
    for (const [metric, value] of Object.entries(epoch.validation ?? {})) put(`validation.${metric}`, value);
  });
  return curves;
}

function sharedLossDefinition(records: readonly RunRecord[]): string | null {
  const texts = new Set(records.map((record) => JSON.stringify(record.definition.loss ?? null)));
  const [only] = texts;
  return texts.size === 1 && only !== undefined && only !== 'null' ? only : null;
}

/** The reduction a run's loss was reduced with; the runner's default where the definition has none. */
function reductionOf(record: RunRecord): string {
  return record.definition.train?.reduction ?? DEFAULT_REDUCTION;
}

function sharedLossReduction(records: readonly RunRecord[]): string | null {
  const reductions = new Set(records.map(reductionOf));
  const [only] = reductions;
  return reductions.size === 1 && only !== undefined ? only : null;
}

/**
 * Aggregates one group's runs over seeds: final metrics, timing and per-epoch curves, each as a
 * {@link Summary} (n, mean, sample sd, min, max, Student-t CI at `level`).
 *
 * @example
 * aggregateGroup(groupRuns(records)[0]).final['f1'] // { n: 3, mean: 0.81, sd: 0.02, ci: [0.76, 0.86], ... }
 */
export function aggregateGroup(group: RunGroup, level = 0.95): GroupAggregate {
  const final = new Map<string, number[]>();
  const finalSeeds = new Map<string, number[]>();
  const timing = new Map<string, number[]>();
  const perEpoch = new Map<string, Map<number, number[]>>();
  for (const record of group.records) {
    const keep = (metric: string, value: number | undefined): void => {
      if (value === undefined || !Number.isFinite(value)) return;
      collect(final, metric, value);
      collect(finalSeeds, metric, record.seed);
    };
    for (const [metric, value] of Object.entries(record.evaluation.metrics)) keep(metric, value);
    // Head / medium / tail accuracy of long-tailed training data, from the record's counts.
    for (const [metric, value] of Object.entries(classGroupAccuracies(record))) keep(metric, value);
    for (const evaluationGroup of record.evaluation.groups ?? []) {
      // A group holding the whole split only repeats the overall accuracy.
      if (evaluationGroup.size === record.evaluation.size && record.evaluation.metrics.accuracy !== undefined) continue;
      keep(`${evaluationGroup.name}.accuracy`, evaluationGroup.accuracy);
    }
    collect(timing, 'secondsPerEpoch', averageOf(record.history.map((epoch) => epoch.seconds)));
    collect(timing, 'samplesPerSecond', averageOf(record.history.map((epoch) => epoch.samplesPerSecond)));
    collect(timing, 'totalSeconds', record.timing.totalSeconds);
    collect(timing, 'epochs', record.history.length);
    for (const [key, curve] of runCurves(record)) {
      const byEpoch = perEpoch.get(key) ?? new Map<number, number[]>();
      curve.forEach((value, index) => collect(byEpoch, index + 1, value));
      perEpoch.set(key, byEpoch);
    }
  }
  const curves: Record<string, CurvePoint[]> = {};
  for (const [key, byEpoch] of perEpoch) {
    curves[key] = [...byEpoch.entries()]
      .sort(([a], [b]) => a - b)
      .map(([epoch, values]) => ({ epoch, summary: summarizeMetric(key, values, level) }));
  }
  return {
    label: group.label,
    experiment: group.experiment,
    variant: group.variant,
    cohort: group.cohort,
    runIds: group.records.map((record) => record.runId),
    seeds: group.records.map((record) => record.seed),
    lossDefinition: sharedLossDefinition(group.records),
    lossReduction: sharedLossReduction(group.records),
    final: summarizeAll(final, level),
    finalValues: Object.fromEntries(final),
    finalSeeds: Object.fromEntries(finalSeeds),
    timing: summarizeAll(timing, level),
    curves,
  };
}
