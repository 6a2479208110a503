import { aggregateGroup, type GroupAggregate } from './aggregate.js';
import { claimsOf } from './claims.js';
import { groupRuns, type GroupBy, type RunGroup } from './groups.js';
import { primaryMetrics, type DeclaredPrimary, type PrimaryChoice } from './verdict.js';
import type { Claim, Reference, ReportSettings, RunRecord } from '@losslab/schema';

/** One column of the report: its runs and their aggregate over seeds. */
interface GroupView {
  readonly group: RunGroup;
  readonly aggregate: GroupAggregate;
}

/** Everything the report reads about one experiment, gathered once. */
export interface ExperimentView {
  readonly experiment: string;
  readonly records: readonly RunRecord[];
  /** The experiment's groups, in the report's order. */
  readonly groups: readonly GroupView[];
  /** The definition's claims, read once (see `claimsOf`). */
  readonly claims: readonly Claim[];
  /** The definition's report settings, as the first run that recorded them did. */
  readonly settings: ReportSettings | undefined;
  /** The published numbers the experiment reproduces, as the first run that recorded them did. */
  readonly reference: Reference | undefined;
  /** The primary metrics of the verdict, in order. */
  readonly primary: readonly PrimaryChoice[];
}

/** The records grouped once: every group in order of first appearance, and the same groups per experiment. */
export interface ReportView {
  readonly groups: readonly GroupView[];
  readonly experiments: readonly ExperimentView[];
}

/**
 * Groups the records (as {@link groupRuns}), aggregates each group once and gathers each
 * experiment's claims, settings, reference and primary metrics (`declared` wins over the recorded
 * `report.primary`).
 *
 * @example reportView(records, 'variant').experiments.map((view) => view.experiment) // ['blink']
 */
export function reportView(
  records: readonly RunRecord[],
  groupBy: GroupBy,
  declared?: readonly DeclaredPrimary[],
): ReportView {
  const groups = groupRuns(records, groupBy).map((group) => ({ group, aggregate: aggregateGroup(group) }));
  const names = [...new Set(records.map((record) => record.experiment))];
  const experiments = names.map((experiment) => {
    const own = records.filter((record) => record.experiment === experiment);
    const ownGroups = groups.filter(({ group }) => group.experiment === experiment);
    const settings = own.find((record) => record.report !== undefined)?.report;
    const reference = own.find((record) => record.reference !== undefined)?.reference;
    return {
      experiment,
      records: own,
      groups: ownGroups,
      claims: claimsOf(ownGroups.map(({ group }) => group)),
      settings,
      reference,
      primary: primaryMetrics(
        own,
        ownGroups.map(({ aggregate }) => aggregate),
        declared ?? settings?.primary,
      ),
    };
  });
  return { groups, experiments };
}
