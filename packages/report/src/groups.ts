import { ReportError } from './errors.js';
import type { RunRecord } from '@losslab/schema';

/**
 * How runs are put side by side:
 * - `variant`: one group per (experiment, variant); seeds are aggregated.
 * - `commit`: one group per (variant, git commit + dirty flag), for "before vs after".
 * - `run`: one group per run id.
 * - `auto`: `commit` when the runs span more than one commit state, else `run`.
 */
export type GroupBy = 'variant' | 'commit' | 'run' | 'auto';

/** The runs shown as one column of the report, e.g. variant `unweighted` over three seeds. */
export interface RunGroup {
  /** Display label, unique within a report: `unweighted`, `masked @ 1a2b3c4`, `masked @ run-7`. */
  readonly label: string;
  readonly experiment: string;
  /** The variant name in the records (what claims refer to). */
  readonly variant: string;
  /** The commit state or run id that distinguishes groups of the same variant; null when grouping by variant. */
  readonly cohort: string | null;
  readonly records: readonly RunRecord[];
}

/** The short commit with `*` when the tree was dirty, or `unknown`; names a code state. */
export function commitState(record: RunRecord): string {
  const { commit, dirty } = record.environment.git;
  const short = commit === null ? 'unknown-commit' : commit.slice(0, 7);
  return dirty === true ? `${short}*` : short;
}

/**
 * Splits records into {@link RunGroup}s, in order of first appearance, each group's records in
 * seed order. Labels carry the experiment name only when records of several experiments are mixed.
 *
 * @example
 * groupRuns(records).map((group) => group.label) // ['unweighted', 'class-weighted']
 * groupRuns(records, 'commit').map((group) => group.label) // ['masked @ 1a2b3c4', 'masked @ 9f8e7d6*']
 */
export function groupRuns(records: readonly RunRecord[], by: GroupBy = 'variant'): RunGroup[] {
  if (!['variant', 'commit', 'run', 'auto'].includes(by)) {
    throw new ReportError('INVALID_ARGUMENT', `by: expected one of variant, commit, run, auto, got ${by}`);
  }
  const resolved = by === 'auto' ? (new Set(records.map(commitState)).size > 1 ? 'commit' : 'run') : by;
  const severalExperiments = new Set(records.map((record) => record.experiment)).size > 1;
  const groups = new Map<
    string,
    { experiment: string; variant: string; cohort: string | null; records: RunRecord[] }
  >();
  for (const record of records) {
    const cohort = resolved === 'commit' ? commitState(record) : resolved === 'run' ? record.runId : null;
    const key = JSON.stringify([record.experiment, record.variant, cohort]);
    const existing = groups.get(key);
    if (existing) existing.records.push(record);
    else groups.set(key, { experiment: record.experiment, variant: record.variant, cohort, records: [record] });
  }
  return [...groups.values()].map((group) => {
    const name = severalExperiments ? `${group.experiment}/${group.variant}` : group.variant;
    // By seed (then run id), not by arrival: runs finish in any order with --jobs, and the
    // resampled intervals must not depend on it.
    const records = group.records.sort(
      (a, b) => a.seed - b.seed || (a.runId < b.runId ? -1 : a.runId > b.runId ? 1 : 0),
    );
    return { ...group, records, label: group.cohort === null ? name : `${name} @ ${group.cohort}` };
  });
}
