import { calibrationVerdicts } from './certainty.js';
import { verdictAsTable, verdictTable } from './glance.js';
import { certaintyLine } from './comparison-certainty.js';
import type { GroupAggregate } from './aggregate.js';
import type { RenderedChart } from './charts.js';
import { claimSymbol } from './claims.js';
import { formatEffect } from './compare.js';
import { nearMajority } from './context.js';
import { formatSd, formatSigned, formatSummary, formatValue, plural } from './format.js';
import { DATA_METRICS, defaultDirection, MAJORITY_ACCURACY, metricRange, metricTitle, sortMetrics } from './metrics.js';
import type { SkippedRun } from './load.js';
import type { ReportModel } from './model.js';
import type { ClassSummary } from './perclass.js';
import { clipInterval, MAX_SEEDS, type Summary } from './stats.js';
import type { TableCell, TextTable } from './table.js';

export type { TableCell, TextTable } from './table.js';

/** `text`, emphasised when `strong`. */
const emphasised = (text: string, strong: boolean): TableCell => (strong ? { text, strong: true } : text);

/** The text of a cell, emphasised or not. */
export const cellText = (cell: TableCell): string => (typeof cell === 'string' ? cell : cell.text);

/** Metric order of the final-metrics table: the display order, with majorityAccuracy last. */
function finalMetricOrder(aggregates: readonly GroupAggregate[]): string[] {
  const all = sortMetrics([...new Set(aggregates.flatMap((aggregate) => Object.keys(aggregate.final)))]);
  return [...all.filter((key) => key !== MAJORITY_ACCURACY), ...all.filter((key) => key === MAJORITY_ACCURACY)];
}

/**
 * Final metrics per group: `mean ± sd [95% CI]` and n, with ⚠ where an accuracy is near the
 * majority baseline. In each row the best mean among the variants (highest; lowest for a loss)
 * is bold, unless the values are all equal as shown, the metric describes the data, or the
 * losses are on different scales.
 */
export function finalMetricsTable(model: ReportModel): TextTable {
  const aggregates = model.aggregates;
  const rows = finalMetricOrder(aggregates).map((metric) => {
    const means = aggregates.map((aggregate) => aggregate.final[metric]?.mean ?? null);
    const direction = defaultDirection(metric);
    const ranked = !DATA_METRICS.has(metric) && !(metric === 'loss' && model.finalLossMix !== null);
    const best = ranked
      ? bestOf(direction === 'higher' ? means : means.map((mean) => (mean === null ? null : -mean)))
      : means.map(() => false);
    return [
      metricTitle(metric),
      ...aggregates.map((aggregate, index) => {
        const summary = aggregate.final[metric];
        if (summary === undefined) return emphasised('—', best[index] ?? false);
        const warn =
          metric === 'accuracy' && nearMajority(summary.mean, aggregate.final.majorityAccuracy?.mean)
            ? ' ⚠ near majority baseline'
            : '';
        return emphasised(`${formatSummary(summary)} (n=${summary.n})${warn}`, best[index] ?? false);
      }),
    ];
  });
  return { header: ['metric', ...aggregates.map((aggregate) => aggregate.label)], rows };
}

/** Notes under the final-metrics table: what is bold, and that its loss row mixes definitions or reductions, when it does. */
export function finalMetricsNotes(model: ReportModel): string[] {
  return [
    ...(model.aggregates.length > 1
      ? ['Bold: the best mean of each metric among the variants (highest; lowest for a loss).']
      : []),
    ...(model.finalLossMix === null
      ? []
      : [`The loss row is not comparable across columns, and none of it is bold: ${model.finalLossMix}.`]),
  ];
}

/** A difference's interval, clipped to what a difference of the metric can be (±1 for a rate). */
function differenceInterval(metric: string, ci: readonly [number, number]): readonly [number, number] {
  const [low, high] = metricRange(metric);
  return clipInterval(ci, [low - high, high - low]);
}

/** `< 0.001` or `0.042`. */
function formatPValue(p: number): string {
  return p < 0.001 ? '< 0.001' : p.toFixed(3);
}

/**
 * The one comparison table: each test once — every variant against the baseline on every
 * headline metric, and the best variant of each primary metric against the others — with the
 * difference of means, its 95% CI, Hedges' g, the test used (paired t-test on per-seed
 * differences when both variants ran the same seeds, else Welch), raw and Holm-adjusted p, the
 * family it was adjusted in, and for an undecided difference the seeds that would decide it.
 */
export function comparisonTable(model: ReportModel): TextTable {
  // Primary family first: the tests the verdict and the claims rest on.
  const ordered = [
    ...model.comparisons.filter((comparison) => comparison.family === 'primary'),
    ...model.comparisons.filter((comparison) => comparison.family !== 'primary'),
  ];
  const rows = ordered.map((comparison) => {
    const { test } = comparison;
    const decided = comparison.pAdjusted !== null && comparison.pAdjusted < model.alpha;
    const ci = test.ci === null ? null : differenceInterval(comparison.metric, test.ci);
    return [
      `${comparison.label} vs ${comparison.baseline}`,
      metricTitle(comparison.metric),
      emphasised(formatSigned(test.difference), decided),
      ci === null ? 'n/a' : `[${formatSigned(ci[0])}, ${formatSigned(ci[1])}]`,
      comparison.effectSize === null ? 'n/a' : formatEffect(comparison.effectSize),
      test.method === 'paired' ? 'paired t' : 'Welch',
      test.p === null ? 'n/a (no significance can be claimed)' : formatPValue(test.p),
      emphasised(comparison.pAdjusted === null ? 'n/a' : formatPValue(comparison.pAdjusted), decided),
      `${comparison.family}; ${test.nA === test.nB ? `${test.nA} each` : `${test.nA} vs ${test.nB}`}`,
      comparison.advice === null
        ? ''
        : comparison.advice.kind === 'negligible'
          ? 'too small to matter'
          : comparison.advice.seeds === null
            ? `> ${MAX_SEEDS.toLocaleString('en-US')}`
            : String(comparison.advice.seeds),
    ];
  });
  return {
    header: [
      'comparison',
      'metric',
      'difference of means',
      '95% CI',
      "Hedges' g",
      'test',
      'p',
      'p (Holm)',
      'family; seeds',
      'seeds per variant for 80% power',
    ],
    rows,
  };
}

/** One line saying what a folded comparison table holds: `46 tests: 22 on primary metrics and claims (9 decided), 24 others (3 decided)`. */
export function comparisonSummary(model: ReportModel): string {
  const count = (family: 'primary' | 'secondary'): string => {
    const members = model.comparisons.filter((comparison) => comparison.family === family);
    const decided = members.filter(
      (comparison) => comparison.pAdjusted !== null && comparison.pAdjusted < model.alpha,
    ).length;
    return `${members.length} ${family === 'primary' ? 'on primary metrics and claims' : 'others'} (${decided} decided)`;
  };
  return `${plural(model.comparisons.length, 'test')}: ${count('primary')}, ${count('secondary')}`;
}

/** What the comparison table shows, said once above it. */
export function comparisonNote(model: ReportModel): string {
  const primary = model.comparisons.filter((comparison) => comparison.family === 'primary').length;
  const secondary = model.comparisons.length - primary;
  return `Each test once. Paired t-test on per-seed differences when both variants ran the same seeds (same initial weights and batch order), Welch's t-test otherwise. Hedges' g: the difference in pooled standard deviations. p-values are Holm–Bonferroni adjusted within their family: the ${plural(primary, 'comparison')} on primary metrics and claims, and separately the ${plural(secondary, 'other comparison')}. Bold: adjusted p < ${model.alpha}. For the others, the last column gives the seeds per variant that would detect a difference of the observed size with 80% power (two-sided t-test at α/m, m the tests in its family: Bonferroni, the level Holm never needs to go below), or says when a rate differs by less than 0.005. Confidence intervals are 95% and not adjusted.`;
}

/** The verdict section: one block per primary metric, a headline and one line per other variant. */
export function verdictBlocks(model: ReportModel): {
  headline: string;
  lines: readonly string[];
  outcomes: readonly string[];
  /** The comparisons as a table, instead of their sentences, when there are more than three variants. */
  table?: TextTable;
}[] {
  const several = model.experiments.length > 1;
  return [
    ...model.verdicts.map((verdict) => {
      // whether the t-test, the bootstrap interval and P(A > B) agree, or on what they disagree
      const certainty = certaintyLine(model.certainty, {
        experiment: verdict.experiment,
        metric: verdict.metric,
        best: verdict.best ?? '',
        others: verdict.lines.map((line) => line.other),
      });
      const asTable = verdictAsTable(verdict);
      const sentences = asTable ? [] : verdict.lines;
      return {
        headline: several ? `${verdict.experiment}: ${verdict.headline}` : verdict.headline,
        lines: [...sentences.map((line) => line.sentence), ...(certainty === null ? [] : [certainty])],
        outcomes: [...sentences.map((line) => line.outcome), ...(certainty === null ? [] : ['note'])],
        ...(asTable ? { table: verdictTable(verdict) } : {}),
      };
    }),
    ...calibrationVerdicts(model.calibration, several),
  ];
}

/** Where the primary metrics came from, said under the verdict. */
export function verdictNote(model: ReportModel): string {
  const sources = [...model.primary.values()].flat();
  const declared = sources.some((choice) => choice.source === 'declared');
  const from = declared
    ? "declared (the definition's report.primary, or --primary)"
    : 'the defaults of the evaluation kind (macro F1 and accuracy for classification, led by balanced accuracy when the training data is long-tailed; F1 and balanced accuracy for detection)';
  const claims = sources.some((choice) => choice.source === 'claim') ? ', plus the metrics of beats claims' : '';
  return `Primary metrics: ${from}${claims}. A variant beats another when the difference goes the right way and its Holm-adjusted p is below ${model.alpha}. Intervals are unadjusted 95% confidence intervals; details in "Variant comparison".`;
}

/** Best epoch and epochs to a shared target, one row per curve and variant. */
export function epochSummaryTable(model: ReportModel): TextTable {
  const several = model.experiments.length > 1;
  const rows = model.epochSummaries.flatMap((summary) => {
    const soonest = Math.min(...summary.variants.map((variant) => variant.epochToTarget ?? Number.POSITIVE_INFINITY));
    return summary.variants.map((variant) => {
      return [
        `${several ? `${summary.experiment}: ` : ''}${metricTitle(summary.key)} (${summary.direction} is better)`,
        variant.label,
        `${formatValue(variant.best)} (epoch ${variant.bestEpoch} of ${variant.epochs})`,
        formatValue(variant.final),
        emphasised(
          summary.target === null
            ? 'no shared target: the losses are on different scales'
            : `${variant.epochToTarget ?? 'never'} (${summary.direction === 'higher' ? '≥' : '≤'} ${formatValue(summary.target)})`,
          summary.variants.length > 1 && variant.epochToTarget === soonest,
        ),
      ];
    });
  });
  return {
    header: ['curve', 'variant', 'best (epoch)', 'final', 'first epoch reaching the shared target'],
    rows,
  };
}

/** What the epochs table shows. */
export const EPOCHS_NOTE =
  "From the mean-over-seeds curves. Best: the best mean at any epoch. Shared target: the worst of the variants' best values, a level every variant reaches, so the epochs to it compare speed fairly. Bold: the soonest.";

/** A rate over seeds: `0.712 ± 0.050`, or `0.712` for one seed. */
function formatRateCell(summary: Summary): string {
  return summary.sd === null ? formatValue(summary.mean) : `${formatValue(summary.mean)} ± ${formatSd(summary.sd)}`;
}

/** A count over seeds: `1,000` when every seed has the same, else `49.3 ± 1.5`. */
function formatCountCell(summary: Summary): string {
  if (summary.sd === null || summary.min === summary.max) return Math.round(summary.mean).toLocaleString('en-US');
  return `${summary.mean.toFixed(1)} ± ${summary.sd.toFixed(1)}`;
}

/** Columns of the per-class table whose best value (highest mean) among the variants is bold. */
const PER_CLASS_RATES = ['recall', 'precision', 'f1'] as const;

/** Which of `means` (one per variant, null where absent) are the best: the highest as shown, when they differ. */
function bestOf(means: readonly (number | null)[]): boolean[] {
  const shown = means.map((mean) => (mean === null ? null : formatValue(mean)));
  const present = means.filter((mean): mean is number => mean !== null);
  const distinct = new Set(shown.filter((text) => text !== null));
  if (present.length < 2 || distinct.size < 2) return means.map(() => false);
  const best = formatValue(Math.max(...present));
  return shown.map((text) => text === best);
}

/**
 * The per-class table of one evaluation: one row per class × variant (class order, then variant
 * order), with recall, precision and F1 as mean ± sample sd over seeds, support and predicted as
 * counts, and the number of seeds that report the class. In each class the highest mean of
 * recall, precision and F1 among the variants is bold (nothing when they are all equal as shown).
 *
 * Rows per class × variant rather than variants side by side: with 10 classes and 4 variants the
 * wide form needs 12 value columns headed by variant names, too wide for a Markdown page once a
 * cell carries its sd; the long form keeps 8 columns whatever the number of variants, keeps
 * each variant's name whole, and puts the variants of one class in adjacent rows to compare.
 */
export function perClassTables(model: ReportModel): { title: string; notes: readonly string[]; table: TextTable }[] {
  return model.perClass.map((results) => {
    const rows: TableCell[][] = [];
    for (const entry of results.classes) {
      const best = Object.fromEntries(
        PER_CLASS_RATES.map((metric) => [
          metric,
          bestOf(entry.byGroup.map((summary) => summary?.[metric].mean ?? null)),
        ]),
      ) as Record<(typeof PER_CLASS_RATES)[number], boolean[]>;
      results.labels.forEach((label, index) => {
        const summary: ClassSummary | null = entry.byGroup[index] ?? null;
        const runs = results.runs[index] ?? 0;
        if (summary === null) {
          rows.push([entry.name, label, '—', '—', '—', '—', '—', `0 of ${runs}`]);
          return;
        }
        rows.push([
          entry.name,
          label,
          emphasised(formatRateCell(summary.recall), best.recall[index] ?? false),
          emphasised(formatRateCell(summary.precision), best.precision[index] ?? false),
          emphasised(formatRateCell(summary.f1), best.f1[index] ?? false),
          formatCountCell(summary.support),
          formatCountCell(summary.predicted),
          summary.n === runs ? String(summary.n) : `${summary.n} of ${runs}`,
        ]);
      });
    }
    return {
      title: `Per class: ${results.experiment}, split ${results.split}`,
      notes: [
        'One row per class and variant. Recall, precision and F1: mean ± sample sd over seeds (one seed: its value). Support: samples of the class; predicted: samples predicted as the class (counts, mean ± sd when the seeds differ). Seeds: runs that report the class.',
        ...(results.labels.length > 1
          ? [
              'Bold: the highest mean of recall, precision or F1 of that class among the variants (all of them when tied).',
            ]
          : []),
      ],
      table: {
        header: ['class', 'variant', 'recall', 'precision', 'F1', 'support', 'predicted', 'seeds'],
        rows,
      },
    };
  });
}

/** What the per-variant confusion matrices show, said once above them. */
export const CONFUSION_NOTE =
  'One matrix per variant over every class of the evaluation: rows are true classes, columns predicted classes; each cell is the mean count over the seeds (not the sum), so a row adds up to the class support.';

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

/** Each group's model (layers, output shapes, parameters), or null when no record has a summary (older runs). */
export function modelTable(model: ReportModel): TextTable | null {
  const rows = model.contexts.flatMap((context) => context.models.map((line) => [context.label, line]));
  return rows.length === 0 ? null : { header: ['variant', 'model: layer [output shape] (parameters)'], rows };
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

/**
 * The epochs a run trained and where it stopped: `20`, `11 of 20: stopped early, kept epoch 6`,
 * `4, resumed after epoch 2`.
 */
function epochsCell(run: ReportModel['runs'][number]): string {
  const stopping = run.earlyStopping;
  const planned = run.plannedEpochs === null || run.plannedEpochs === run.epochs ? '' : ` of ${run.plannedEpochs}`;
  const parts = [`${run.epochs}${planned}`];
  if (stopping !== null) {
    const kept = stopping.restoredBest
      ? `kept epoch ${stopping.bestEpoch}`
      : `best epoch ${stopping.bestEpoch}, kept the last`;
    parts[0] = `${parts[0]}: ${stopping.stoppedAt < (run.plannedEpochs ?? Infinity) ? 'stopped early' : 'ran to the end'}, ${kept}`;
  }
  if (run.resumedAfter.length > 0) parts.push(`resumed after epoch ${run.resumedAfter.join(', ')}`);
  return parts.join('; ');
}

/** Every run. */
export function runsTable(model: ReportModel): TextTable {
  return {
    header: [
      'run id',
      'variant',
      'seed',
      'commit',
      'backend',
      'epochs (where it stopped)',
      's/epoch',
      'samples/s',
      'started',
    ],
    rows: model.runs.map((run) => [
      run.runId,
      run.label,
      String(run.seed),
      run.commit,
      run.backend,
      epochsCell(run),
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

/** The evaluation-group charts as a grid: one row per group, one column per variant, each cell its charts. */
export interface ChartGrid {
  readonly groups: readonly string[];
  readonly variants: readonly string[];
  /** `cells[row][column]`: the charts of that group and variant, confusion matrix first. */
  readonly cells: readonly (readonly (readonly RenderedChart[])[])[];
}

/**
 * Lays out the confusion and class-count charts of evaluation groups as a group × variant grid,
 * so every row compares the variants on one group and nothing sits beside another group's chart.
 */
export function evaluationGrid(model: ReportModel): ChartGrid | null {
  const charts = model.charts.filter((chart) => chart.cell !== undefined);
  if (charts.length === 0) return null;
  const groups = [...new Set(charts.map((chart) => chart.cell?.group ?? ''))];
  const variants = [...new Set(charts.map((chart) => chart.cell?.variant ?? ''))];
  const order = (chart: RenderedChart): number => (chart.kind === 'confusion' ? 0 : 1);
  return {
    groups,
    variants,
    cells: groups.map((group) =>
      variants.map((variant) =>
        charts
          .filter((chart) => chart.cell?.group === group && chart.cell.variant === variant)
          .sort((a, b) => order(a) - order(b)),
      ),
    ),
  };
}

/** The warnings other than the like-with-like and majority-baseline ones, which the verdict shows first as one table. */
export function otherWarnings(model: ReportModel): string[] {
  const tabled = new Set([...model.mismatches, ...model.majority.map((finding) => finding.warning)]);
  return model.warnings.filter((warning) => !tabled.has(warning));
}
