import type { RunGroup } from './groups.js';
import type { ClassEvaluation, RunRecord } from '@losslab/schema';
import { summarize, type Summary } from './stats.js';

/** The numbers a per-class entry of a run record carries (`evaluation.perClass[]`), claims may name them. */
export const CLASS_METRICS = ['precision', 'recall', 'f1', 'support', 'predicted'] as const;
export type ClassMetric = (typeof CLASS_METRICS)[number];

/** True for `precision`, `recall`, `f1`, `support`, `predicted`. */
export function isClassMetric(metric: string): metric is ClassMetric {
  return (CLASS_METRICS as readonly string[]).includes(metric);
}

/**
 * The per-class entry of a run's evaluation named `name` (classes are matched by name, never by
 * position), or undefined when the run has no per-class results or no such class.
 *
 * @example classEvaluation(record, '9')?.recall // 0.712
 */
export function classEvaluation(record: RunRecord, name: string): ClassEvaluation | undefined {
  return record.evaluation.perClass?.find((entry) => entry.name === name);
}

/** One class of one group (variant), summarized over the seeds whose run reports that class. */
export interface ClassSummary {
  /** Runs (seeds) that report the class. */
  readonly n: number;
  readonly precision: Summary;
  readonly recall: Summary;
  readonly f1: Summary;
  /** True count of the class (mean over seeds; equal in every seed when the split is fixed). */
  readonly support: Summary;
  /** How often the class was predicted (mean over seeds). */
  readonly predicted: Summary;
}

/** One row of classes: its summary in each group of {@link PerClassResults.labels}, null where no run has it. */
export interface ClassResults {
  readonly name: string;
  readonly byGroup: readonly (ClassSummary | null)[];
}

/** Per-class results of one experiment's evaluation split, every group side by side. */
export interface PerClassResults {
  readonly experiment: string;
  /** The evaluation split (`evaluation.split`) these numbers come from. */
  readonly split: string;
  /** Labels of the groups that report per-class results, in report order. */
  readonly labels: readonly string[];
  /** Runs per group (same order as labels) on this split, with or without per-class results. */
  readonly runs: readonly number[];
  /** Classes in class order (first seen), named as in the records. */
  readonly classes: readonly ClassResults[];
}

function summarizeClass(entries: readonly ClassEvaluation[], level: number): ClassSummary {
  const of = (pick: (entry: ClassEvaluation) => number): Summary => summarize(entries.map(pick), level);
  return {
    n: entries.length,
    precision: of((entry) => entry.precision),
    recall: of((entry) => entry.recall),
    f1: of((entry) => entry.f1),
    support: of((entry) => entry.support),
    predicted: of((entry) => entry.predicted),
  };
}

/**
 * Per-class precision, recall, F1, support and predicted count, summarized over seeds, one table
 * per (experiment, evaluation split) with every group that reports `evaluation.perClass` as a
 * column. Classes are matched by name across runs and kept in class order; a class that only
 * some seeds report is summarized over those (its `n` says how many). Runs without `perClass`
 * (older runs, detection runs) contribute nothing, and with none at all the result is empty.
 *
 * @example
 * perClassResults(groupRuns(records))[0]?.classes[9]
 * // { name: '9', byGroup: [{ n: 3, recall: { mean: 0.712, sd: 0.05, ... }, ... }, ...] }
 */
export function perClassResults(groups: readonly RunGroup[], level = 0.95): PerClassResults[] {
  const keys: { experiment: string; split: string }[] = [];
  for (const group of groups) {
    for (const record of group.records) {
      if (record.evaluation.perClass === undefined) continue;
      const { split } = record.evaluation;
      if (!keys.some((key) => key.experiment === group.experiment && key.split === split))
        keys.push({ experiment: group.experiment, split });
    }
  }
  return keys.map(({ experiment, split }) => {
    const own = groups
      .filter((group) => group.experiment === experiment)
      .map((group) => {
        const onSplit = group.records.filter((record) => record.evaluation.split === split);
        return {
          label: group.label,
          runs: onSplit.length,
          records: onSplit.filter((record) => record.evaluation.perClass !== undefined),
        };
      })
      .filter((group) => group.records.length > 0);
    const names = new Set(
      own.flatMap((group) =>
        group.records.flatMap((record) => (record.evaluation.perClass ?? []).map((entry) => entry.name)),
      ),
    );
    const classes = [...names].map((name) => ({
      name,
      byGroup: own.map((group) => {
        const entries = group.records.flatMap((record) => classEvaluation(record, name) ?? []);
        return entries.length === 0 ? null : summarizeClass(entries, level);
      }),
    }));
    return {
      experiment,
      split,
      labels: own.map((group) => group.label),
      runs: own.map((group) => group.runs),
      classes,
    };
  });
}

/** The overall confusion matrices of a group (one per run that has one) and the class names for its axes. */
export interface GroupConfusion {
  readonly label: string;
  readonly experiment: string;
  /** `evaluation.confusion` of each run that has one, `[true][predicted]`. */
  readonly matrices: readonly (readonly (readonly number[])[])[];
  /** `evaluation.classNames`, else the names in `perClass`, of the first such run; undefined when neither. */
  readonly classNames: readonly string[] | undefined;
}

/**
 * For each group whose runs carry the overall `evaluation.confusion`, its matrices and class
 * names: one confusion chart per group (variant), whatever the number of classes.
 *
 * @example overallConfusions(groupRuns(records)).length // number of variants with a confusion matrix
 */
export function overallConfusions(groups: readonly RunGroup[]): GroupConfusion[] {
  return groups.flatMap((group) => {
    const withMatrix = group.records.filter((record) => record.evaluation.confusion !== undefined);
    const first = withMatrix[0];
    if (first === undefined) return [];
    return [
      {
        label: group.label,
        experiment: group.experiment,
        matrices: withMatrix.map((record) => record.evaluation.confusion ?? []),
        classNames: first.evaluation.classNames ?? first.evaluation.perClass?.map((entry) => entry.name),
      },
    ];
  });
}
