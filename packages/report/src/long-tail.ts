import type { ClassGroups, RunRecord } from '@losslab/schema';

/**
 * Head, medium and tail classes of long-tailed training data, and the accuracy on each: the
 * numbers the long-tail literature reports beside overall and balanced accuracy (many-, medium-
 * and few-shot accuracy, Liu et al. 2019). Read from a record's training counts (`training`) and
 * its per-class evaluation; nothing else is needed, so a report can regroup old runs.
 */

/** The class groups, most frequent first, and the final metric of each. */
export const CLASS_GROUP_NAMES = ['head', 'medium', 'tail'] as const;
type ClassGroupName = (typeof CLASS_GROUP_NAMES)[number];

/** The final metric of a class group: `headAccuracy`, `mediumAccuracy`, `tailAccuracy`. */
const classGroupMetric = (group: ClassGroupName): string => `${group}Accuracy`;

/**
 * Training data whose most frequent class has at least this many times the rows of its rarest is
 * long-tailed: its report shows head / medium / tail accuracy (10 is the smallest imbalance ratio
 * of the usual long-tailed benchmarks, CIFAR-10-LT with ρ = 10).
 */
export const LONG_TAIL_RATIO = 10;

/** Class indices of each group, and the rule that made them (for the report's note). */
export interface ClassGrouping {
  readonly head: readonly number[];
  readonly medium: readonly number[];
  readonly tail: readonly number[];
  /** `terciles of the training counts` or `declared: head > 100 rows, tail < 20 rows`. */
  readonly rule: string;
}

/**
 * Splits classes by their training counts: by the declared bounds (head n > `headAbove`, tail
 * n < `tailBelow`, medium the rest), else by terciles: the classes sorted by count (most first,
 * ties by class index), round(C/3) of them head, as many tail, the rest medium.
 *
 * @example groupClasses([500, 300, 120, 60, 30, 10]) // head [0, 1], medium [2, 3], tail [4, 5]
 * @example groupClasses([500, 60, 10], { headAbove: 100, tailBelow: 20 }) // head [0], medium [1], tail [2]
 */
export function groupClasses(counts: readonly number[], declared?: ClassGroups): ClassGrouping {
  const indices = counts.map((_, index) => index);
  if (declared !== undefined) {
    const count = (index: number): number => counts[index] ?? 0;
    return {
      head: indices.filter((index) => count(index) > declared.headAbove),
      medium: indices.filter((index) => count(index) <= declared.headAbove && count(index) >= declared.tailBelow),
      tail: indices.filter((index) => count(index) < declared.tailBelow),
      rule: `declared: head > ${declared.headAbove} training rows, tail < ${declared.tailBelow}`,
    };
  }
  const sorted = [...indices].sort((a, b) => (counts[b] ?? 0) - (counts[a] ?? 0) || a - b);
  const third = Math.round(counts.length / 3);
  const ascending = (list: number[]): number[] => list.sort((a, b) => a - b);
  return {
    head: ascending(sorted.slice(0, third)),
    medium: ascending(sorted.slice(third, counts.length - third)),
    tail: ascending(sorted.slice(counts.length - third)),
    rule: 'terciles of the training counts',
  };
}

/**
 * The training counts of the block a classification run evaluated (`definition.evaluation.target`),
 * when the record has them and they match its per-class results class for class.
 */
function evaluatedTrainingCounts(record: RunRecord): readonly number[] | undefined {
  const target = record.definition.evaluation?.target;
  const counts = target === undefined ? undefined : record.training?.classCounts[target];
  return counts !== undefined && counts.length === record.evaluation.perClass?.length ? counts : undefined;
}

/** Whether a run's training data calls for head / medium / tail results: declared groups, or ≥ 3 classes with max ≥ {@link LONG_TAIL_RATIO} · min. */
function isLongTailed(counts: readonly number[], declared: ClassGroups | undefined): boolean {
  if (declared !== undefined) return true;
  return counts.length >= 3 && Math.max(...counts) >= LONG_TAIL_RATIO * Math.min(...counts);
}

/** A run's class groups, when its training data is long-tailed (see {@link isLongTailed}); else undefined. */
export function runClassGrouping(record: RunRecord): ClassGrouping | undefined {
  const counts = evaluatedTrainingCounts(record);
  const declared = record.report?.classGroups;
  return counts === undefined || !isLongTailed(counts, declared) ? undefined : groupClasses(counts, declared);
}

/**
 * Accuracy on the test samples of each class group: Σ correct / Σ samples over the group's
 * classes (correct from the confusion matrix's diagonal, else recall × support), as
 * `headAccuracy`, `mediumAccuracy`, `tailAccuracy`; a group without samples is left out; `{}`
 * unless the run's training data is long-tailed.
 *
 * @example classGroupAccuracies(record) // { headAccuracy: 0.991, mediumAccuracy: 0.95, tailAccuracy: 0.71 }
 */
export function classGroupAccuracies(record: RunRecord): Record<string, number> {
  const grouping = runClassGrouping(record);
  const perClass = record.evaluation.perClass;
  if (grouping === undefined || perClass === undefined) return {};
  const correct = (index: number): number =>
    record.evaluation.confusion?.[index]?.[index] ??
    Math.round((perClass[index]?.recall ?? 0) * (perClass[index]?.support ?? 0));
  const result: Record<string, number> = {};
  for (const group of CLASS_GROUP_NAMES) {
    const members = grouping[group];
    const samples = members.reduce((sum, index) => sum + (perClass[index]?.support ?? 0), 0);
    if (samples > 0)
      result[classGroupMetric(group)] = members.reduce((sum, index) => sum + correct(index), 0) / samples;
  }
  return result;
}
