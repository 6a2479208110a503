import { formatValue } from './format.js';
import type { RunGroup } from './groups.js';
import type { GroupEvaluation, Reference, RunRecord } from '@losslab/schema';

/** One row of the side-by-side table: the reference's value and losslab's per group label. */
export interface ReferenceRow {
  readonly metric: string;
  readonly reference: string;
  /** losslab's value for each entry of {@link ReferenceTable.labels}. */
  readonly losslab: readonly string[];
}

/** "metric | reference (Keras) | losslab" for one experiment that declares a reference. */
export interface ReferenceTable {
  readonly experiment: string;
  readonly source: string;
  /** Group labels, one losslab column each. */
  readonly labels: readonly string[];
  /** Evaluation split(s) losslab's numbers come from. */
  readonly split: string;
  readonly rows: readonly ReferenceRow[];
  readonly notes: readonly string[];
}

function groupsNamed(records: readonly RunRecord[], name: string): GroupEvaluation[] {
  return records.flatMap((record) => record.evaluation.groups?.filter((group) => group.name === name) ?? []);
}

function meanOf(values: readonly number[]): number | undefined {
  return values.length === 0 ? undefined : values.reduce((sum, value) => sum + value, 0) / values.length;
}

/** Element-wise mean of count vectors (one per seed), or undefined when there are none. */
export function meanCounts(vectors: readonly (readonly number[])[]): number[] | undefined {
  if (vectors.length === 0) return undefined;
  const length = Math.max(...vectors.map((vector) => vector.length));
  return Array.from(
    { length },
    (_, index) => vectors.reduce((sum, vector) => sum + (vector[index] ?? 0), 0) / vectors.length,
  );
}

/** `[5923, 0, 5958]`; non-integer means keep one decimal. */
export function formatCounts(counts: readonly number[] | undefined): string {
  if (counts === undefined) return '—';
  return `[${counts.map((count) => (Number.isInteger(count) ? String(count) : count.toFixed(1))).join(', ')}]`;
}

function formatMaybe(value: number | undefined): string {
  return value === undefined ? '—' : formatValue(value);
}

/**
 * Builds the side-by-side table of an experiment's reference (e.g. Keras' numbers for mnist-odd)
 * and losslab's results: per reference group its accuracy, true counts and predicted counts, then
 * the reference's flat metrics. losslab's values are means over seeds.
 *
 * @example referenceTable('mnist-odd', reference, groupRuns(records))?.rows[0]
 * // { metric: 'even accuracy', reference: '0.000', losslab: ['0.000'] }
 */
export function referenceTable(experiment: string, reference: Reference, groups: readonly RunGroup[]): ReferenceTable {
  const own = groups.filter((group) => group.experiment === experiment);
  const rows: ReferenceRow[] = [];
  for (const referenceGroup of reference.groups ?? []) {
    const perLabel = own.map((group) => groupsNamed(group.records, referenceGroup.name));
    rows.push({
      metric: `${referenceGroup.name} accuracy`,
      reference: formatMaybe(referenceGroup.accuracy),
      losslab: perLabel.map((evaluations) => formatMaybe(meanOf(evaluations.map((evaluation) => evaluation.accuracy)))),
    });
    // Count rows only where the reference has something to set beside them.
    if (referenceGroup.trueCounts !== undefined) {
      rows.push({
        metric: `${referenceGroup.name} true counts`,
        reference: formatCounts(referenceGroup.trueCounts),
        losslab: perLabel.map((evaluations) =>
          formatCounts(meanCounts(evaluations.map((evaluation) => evaluation.trueCounts))),
        ),
      });
    }
    if (referenceGroup.predictedCounts !== undefined || referenceGroup.note !== undefined) {
      rows.push({
        metric: `${referenceGroup.name} predicted counts`,
        reference:
          referenceGroup.predictedCounts === undefined
            ? (referenceGroup.note ?? '—')
            : formatCounts(referenceGroup.predictedCounts),
        losslab: perLabel.map((evaluations) =>
          formatCounts(meanCounts(evaluations.map((evaluation) => evaluation.predictedCounts))),
        ),
      });
    }
  }
  for (const [metric, value] of Object.entries(reference.metrics ?? {})) {
    rows.push({
      metric,
      reference: formatValue(value),
      losslab: own.map((group) =>
        formatMaybe(meanOf(group.records.flatMap((record) => record.evaluation.metrics[metric] ?? []))),
      ),
    });
  }
  const splits = [
    ...new Set(
      own.flatMap((group) =>
        group.records.map((record) => `${record.evaluation.split} (${record.evaluation.size} samples)`),
      ),
    ),
  ];
  return {
    experiment,
    source: reference.source,
    labels: own.map((group) => group.label),
    split: splits.join(', '),
    rows,
    notes: reference.notes ?? [],
  };
}

/** The classes that occur (true count > 0) in an evaluation group. */
function classesOf(group: GroupEvaluation): Set<number> {
  return new Set(group.trueCounts.flatMap((count, index) => (count > 0 ? [index] : [])));
}

/**
 * For evaluation groups whose true classes are disjoint (mnist-odd: even and odd digits), says
 * per group whether every sample was predicted as a class of the other group(s), with counts
 * summed over seeds, e.g.
 * `masked: every "even" sample was predicted as an "odd" class: yes, 4,926 of 4,926 (100.0%), 1 seed`.
 */
export function crossGroupPredictions(groups: readonly RunGroup[]): string[] {
  const lines: string[] = [];
  for (const group of groups) {
    const first = group.records[0]?.evaluation.groups ?? [];
    if (first.length < 2) continue;
    const classes = new Map(first.map((evaluation) => [evaluation.name, classesOf(evaluation)]));
    for (const evaluation of first) {
      const own = classes.get(evaluation.name) ?? new Set<number>();
      const others = first.filter((other) => other.name !== evaluation.name);
      const otherClasses = new Set(
        others.flatMap((other) => [...(classes.get(other.name) ?? [])]).filter((index) => !own.has(index)),
      );
      const disjoint = others.every((other) => [...(classes.get(other.name) ?? [])].every((index) => !own.has(index)));
      if (!disjoint || otherClasses.size === 0 || own.size === 0) continue;
      const evaluations = groupsNamed(group.records, evaluation.name);
      let total = 0;
      let crossed = 0;
      for (const seedEvaluation of evaluations) {
        seedEvaluation.predictedCounts.forEach((count, index) => {
          total += count;
          if (otherClasses.has(index)) crossed += count;
        });
      }
      const target =
        others.length === 1
          ? `${/^[aeiou]/i.test(others[0]?.name ?? '') ? 'an' : 'a'} "${others[0]?.name ?? ''}" class`
          : 'a class of another group';
      const share = total === 0 ? 0 : (100 * crossed) / total;
      const verdict = total > 0 && crossed === total ? 'yes' : 'no';
      const seeds = evaluations.length === 1 ? '1 seed' : `summed over ${evaluations.length} seeds`;
      lines.push(
        `${group.label}: every "${evaluation.name}" sample was predicted as ${target}: ${verdict}, ${crossed.toLocaleString('en-US')} of ${total.toLocaleString('en-US')} (${share.toFixed(1)}%), ${seeds}`,
      );
    }
  }
  return lines;
}
