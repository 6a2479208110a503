import type { GroupAggregate } from './aggregate';
import { metricTitle } from './charts';
import { claimSymbol } from './claims';
import { sortMetrics } from './compare';
import { nearMajority } from './context';
import { formatSummary, formatValue, plural } from './format';
import type { SkippedRun } from './load';
import type { ReportModel } from './model';

/**
 * Shared, format-neutral pieces of the two renderings: tables as header + rows of plain text,
 * so HTML and Markdown show the same numbers.
 */
export interface TextTable {
  readonly header: readonly string[];
  readonly rows: readonly (readonly string[])[];
}

/** Metric order of the final-metrics table: the display order, with majorityAccuracy last. */
function finalMetricOrder(aggregates: readonly GroupAggregate[]): string[] {
  const all = sortMetrics([...new Set(aggregates.flatMap((aggregate) => Object.keys(aggregate.final)))]);
  return [...all.filter((key) => key !== 'majorityAccuracy'), ...all.filter((key) => key === 'majorityAccuracy')];
}

/** Final metrics per group: `mean ± sd [95% CI]` and n, with ⚠ where an accuracy is near the majority baseline. */
export function finalMetricsTable(model: ReportModel): TextTable {
  const aggregates = model.aggregates;
  const rows = finalMetricOrder(aggregates).map((metric) => [
    metricTitle(metric),
    ...aggregates.map((aggregate) => {
      const summary = aggregate.final[metric];
      if (summary === undefined) return '—';
      const warn =
        metric === 'accuracy' && nearMajority(summary.mean, aggregate.final.majorityAccuracy?.mean)
          ? ' ⚠ near majority baseline'
          : '';
      return `${formatSummary(summary)} (n=${summary.n})${warn}`;
    }),
  ]);
  return { header: ['metric', ...aggregates.map((aggregate) => aggregate.label)], rows };
}

/** Notes under the final-metrics table: that its loss row mixes definitions or reductions, when it does. */
export function finalMetricsNotes(model: ReportModel): string[] {
  return model.finalLossMix === null ? [] : [`The loss row is not comparable across columns: ${model.finalLossMix}.`];
}

/** The comparisons as a table: difference, CI, p, seeds. */
export function comparisonTable(model: ReportModel): TextTable {
  return {
    header: ['variant vs baseline', 'metric', 'difference of means', '95% CI (Welch)', 'p (two-sided)', 'seeds'],
    rows: model.comparisons.map((comparison) => {
      const { test } = comparison;
      return [
        `${comparison.label} vs ${comparison.baseline}`,
        metricTitle(comparison.metric),
        (test.difference > 0 ? '+' : '') + formatValue(test.difference),
        test.ci === null ? 'n/a' : `[${formatValue(test.ci[0])}, ${formatValue(test.ci[1])}]`,
        test.p === null ? 'n/a (no significance can be claimed)' : test.p < 0.001 ? '< 0.001' : test.p.toFixed(3),
        `${test.nA} vs ${test.nB}`,
      ];
    }),
  };
}

/** Reference tables: "metric | reference (source) | losslab". */
export function referenceTables(
  model: ReportModel,
): { title: string; split: string; notes: readonly string[]; table: TextTable }[] {
  return model.references.map((reference) => ({
    title: `${reference.experiment}: reference (${reference.source}) vs losslab`,
    split: reference.split,
    notes: reference.notes,
    table: {
      header: [
        'metric',
        `reference (${reference.source})`,
        ...(reference.labels.length === 1 ? ['losslab'] : reference.labels.map((label) => `losslab (${label})`)),
      ],
      rows: reference.rows.map((row) => [row.metric, row.reference, ...row.losslab]),
    },
  }));
}

/** One row per group: seeds, definition hash, code state, speed. */
export function contextTable(model: ReportModel): TextTable {
  return {
    header: [
      'variant',
      'runs (seeds)',
      'definition hash',
      'git commit',
      'backend',
      'epochs',
      'time per epoch',
      'samples per second',
    ],
    rows: model.contexts.map((context) => [
      context.label,
      `${context.runs} (${context.seeds.join(', ')})`,
      context.definitionHashes.map((hash) => hash.slice(0, 16)).join(', '),
      context.commits,
      context.backend,
      context.epochs,
      context.secondsPerEpoch === null ? '—' : `${formatValue(context.secondsPerEpoch)} s`,
      context.samplesPerSecond === null ? '—' : `${formatValue(context.samplesPerSecond)} samples/s`,
    ]),
  };
}

/** Node, platform, package versions and data fingerprints per group. */
export function environmentTable(model: ReportModel): TextTable {
  return {
    header: ['variant', 'node', 'platform', 'packages', 'data fingerprint'],
    rows: model.contexts.map((context) => [
      context.label,
      context.node,
      context.platform,
      context.packages,
      context.dataFingerprint,
    ]),
  };
}

/** Definition differences per experiment: path | value per group. */
export function definitionDiffTables(model: ReportModel): { experiment: string; table: TextTable | null }[] {
  return model.definitionDiffs
    .filter((diff) => diff.labels.length > 1)
    .map((diff) => ({
      experiment: diff.experiment,
      table:
        diff.differences.length === 0
          ? null
          : {
              header: ['definition path', ...diff.labels],
              rows: diff.differences.map((difference) => [
                difference.path,
                ...difference.values.map((value) => value ?? '(absent)'),
              ]),
            },
    }));
}

/** Every run. */
export function runsTable(model: ReportModel): TextTable {
  return {
    header: ['run id', 'variant', 'seed', 'commit', 'backend', 'epochs', 's/epoch', 'samples/s', 'started'],
    rows: model.runs.map((run) => [
      run.runId,
      run.label,
      String(run.seed),
      run.commit,
      run.backend,
      String(run.epochs),
      run.secondsPerEpoch === null ? '—' : formatValue(run.secondsPerEpoch),
      run.samplesPerSecond === null ? '—' : formatValue(run.samplesPerSecond),
      run.startedAt,
    ]),
  };
}

/** `3 runs: unweighted (3 seeds), class-weighted (3 seeds); grouped by variant`. */
export function leadSentence(model: ReportModel): string {
  const groups = model.aggregates
    .map((aggregate) => `${aggregate.label} (${plural(aggregate.seeds.length, 'seed')})`)
    .join(', ');
  return `${plural(model.runs.length, 'run')}: ${groups}; grouped by ${model.groupBy}. Means over seeds with sample standard deviation and 95% Student-t confidence intervals.`;
}

/** `✓ statement` for a claim. */
export function claimHeadline(result: ReportModel['claims'][number]): string {
  return `${claimSymbol(result.status)} ${result.statement}`;
}

/** The runs that failed (their folder has a `failed.json`), apart from the other skipped folders. */
export function failedRuns(model: ReportModel): Extract<SkippedRun, { reason: 'failed' }>[] {
  return model.skipped.flatMap((skip) => (skip.reason === 'failed' ? [skip] : []));
}

/** Failed runs: the run folder (relative to the runs folder), variant, seed, the step that failed and why. */
export function failedRunsTable(model: ReportModel): TextTable {
  return {
    header: ['run', 'variant', 'seed', 'failed step', 'message', 'failed at'],
    rows: failedRuns(model).map((skip) => [
      skip.runPath ?? skip.folder,
      skip.failure.variant,
      String(skip.failure.seed),
      skip.phase,
      skip.message,
      skip.failure.failedAt,
    ]),
  };
}

/**
 * Skipped folders other than failed runs (did not finish, invalid, not found), one line each,
 * relative to the runs folder.
 */
export function skippedLines(model: ReportModel): string[] {
  return model.skipped
    .filter((skip) => skip.reason !== 'failed')
    .map((skip) => `${skip.runPath ?? skip.folder}: ${skip.reason}: ${skip.errors.join('; ')}`);
}
