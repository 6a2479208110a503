import type { GroupAggregate } from './aggregate.js';
import type { ReportSearch } from './search.js';
import type { SequentialOutcome } from './sequential.js';
import {
  learningCurveChart,
  confusionChart,
  classCountsChart,
  overallConfusionChart,
  epochsToTargetChart,
  renderCharts,
  type ChartSpec,
  type SvgRenderer,
  type RenderedChart,
} from './charts.js';
import { DEFAULT_ALPHA, evaluateExperimentClaims, findComparison, type ClaimResult } from './claims.js';
import {
  adjustComparisons,
  comparePair,
  lossMix,
  unadjustedComparisons,
  uncomparedLosses,
  type MetricComparison,
} from './compare.js';
import { epochSummaries, type EpochSummary } from './epochs.js';
import {
  verdictComparisons,
  verdicts,
  type DeclaredPrimary,
  type MetricVerdict,
  type PrimaryChoice,
} from './verdict.js';
import {
  diffDefinitions,
  groupContext,
  likeWithLike,
  likeWithLikeByVariant,
  majorityFindings,
  type MajorityFinding,
  type DefinitionDifference,
  type GroupContext,
} from './context.js';
import { ReportError } from './errors.js';
import { commitState, type GroupBy } from './groups.js';
import type { SkippedRun } from './load.js';
import { overallConfusions, perClassResults, type PerClassResults } from './perclass.js';
import type { RunRecord } from '@losslab/schema';
import { crossGroupPredictions, referenceTable, type ReferenceTable } from './reference.js';
import { isLossKey, MAJORITY_CURVE } from './metrics.js';
import { trainingDataTables, type TrainingDataTable } from './training.js';
import { reportView, type ExperimentView, type ReportView } from './view.js';
import { forestChart } from './forest.js';
import type { RunPredictions } from './calibration.js';
import { groupCalibrations, reliabilityChart, type CalibrationResults } from './certainty.js';
import { comparisonCertainty, type ComparisonCertainty } from './comparison-certainty.js';
import { isStudyRun, varianceBySource, type VarianceBySource } from './variance-sources.js';

/** Options of {@link buildReport}. */
export interface BuildReportOptions {
  /** How runs become columns; default `variant` (seeds aggregated). */
  readonly groupBy?: GroupBy;
  /** Label of the group the others are compared with (default: see {@link buildReport}). */
  readonly baseline?: string;
  /** Heading of the report; default `losslab report: <experiments>`. */
  readonly title?: string;
  /** Run folders that were not used, shown in the report (from `loadRuns`): failed runs in their own section. */
  readonly skipped?: readonly SkippedRun[];
  /** Primary metrics as declared in the definition's `report.primary`; default: per evaluation kind, see {@link primaryMetrics}. */
  readonly primary?: readonly DeclaredPrimary[];
  /** Family-wise level of the verdict and of `beats` claims without their own; default 0.05. */
  readonly alpha?: number;
  /** Per-example predictions of the runs that kept them (from `loadPredictions`): calibration and example-level resampling. */
  readonly predictions?: RunPredictions;
  /** Why recorded predictions files were not used (from `loadPredictions`), shown as warnings. */
  readonly predictionProblems?: readonly string[];
  /** The searches that tuned the variants (search.ts), shown in their own section. */
  readonly searches?: readonly ReportSearch[];
  /** The study of `losslab run --until-decided` (sequential.ts), shown in its own section. */
  readonly sequential?: SequentialOutcome;
  /** Renders the charts (default: in this thread); `startChartThread` in `@losslab/report/node` gives one on a worker thread. */
  readonly renderSvg?: SvgRenderer;
}

/** One line per run in the context block. */
export interface RunRow {
  readonly runId: string;
  readonly label: string;
  readonly seed: number;
  readonly commit: string;
  readonly backend: string;
  readonly epochs: number;
  /** The epochs the definition asked for (`train.epochs`), when the record says. */
  readonly plannedEpochs: number | null;
  /** Where early stopping ended the run and which epoch's weights it kept. */
  readonly earlyStopping: NonNullable<RunRecord['earlyStopping']> | null;
  /** The epochs after which the run was resumed from a checkpoint. */
  readonly resumedAfter: readonly number[];
  readonly secondsPerEpoch: number | null;
  readonly samplesPerSecond: number | null;
  readonly startedAt: string;
}

/** Definition differences between the groups of one experiment. */
export interface DefinitionDiff {
  readonly experiment: string;
  readonly labels: readonly string[];
  readonly differences: readonly DefinitionDifference[];
}

/**
 * Everything a report shows, computed once; {@link renderHtml} and {@link renderMarkdown} only
 * lay it out. Numbers are plain data; charts are already rendered to SVG strings.
 */
export interface ReportModel {
  readonly title: string;
  /** The searches that tuned the variants, as given (empty: the variants ran as declared). */
  readonly searches: readonly ReportSearch[];
  /** The sequential study that chose the seeds, as given (null: the seeds were declared). */
  readonly sequential: SequentialOutcome | null;
  readonly experiments: readonly string[];
  readonly groupBy: GroupBy;
  readonly aggregates: readonly GroupAggregate[];
  /**
   * Every comparison shown, once each: each variant against the baseline on every headline metric,
   * and the best variant of each primary metric against every other; Holm-adjusted per family.
   */
  readonly comparisons: readonly MetricComparison[];
  /** The primary metrics per experiment, in order. */
  readonly primary: ReadonlyMap<string, readonly PrimaryChoice[]>;
  /** The verdict on each primary metric: best variant, differences, adjusted p, seeds needed. */
  readonly verdicts: readonly MetricVerdict[];
  /** The family-wise level the verdict used. */
  readonly alpha: number;
  /** Like-with-like problems: variants compared although their data, epochs or code differ (see `likeWithLike`). */
  readonly mismatches: readonly string[];
  /** The accuracies near the majority baseline, one per variant and split (their warnings are among `warnings`). */
  readonly majority: readonly MajorityFinding[];
  /** Per variant of an experiment with a like-with-like problem, its own values of the differing settings. */
  readonly likeWithLikeByVariant: readonly { experiment: string; label: string; differing: readonly string[] }[];
  /** Best epoch and epochs to a shared target per curve and variant (see `epochSummaries`). */
  readonly epochSummaries: readonly EpochSummary[];
  /** Loss comparisons left out because the losses differ in definition or reduction, with the reason. */
  readonly lossNotes: readonly string[];
  /** How the losses in the final-metrics table differ (see `lossMix`), or null when they are comparable. */
  readonly finalLossMix: string | null;
  readonly claims: readonly ClaimResult[];
  /** Plain-language warnings: near the majority baseline, single seeds, skipped runs. */
  readonly warnings: readonly string[];
  readonly references: readonly ReferenceTable[];
  /**
   * Per-class precision, recall, F1, support and predicted count over seeds, one entry per
   * (experiment, split) whose runs carry `evaluation.perClass`; empty for runs without it.
   */
  readonly perClass: readonly PerClassResults[];
  /** Rows per class after the transforms and the class weights each loss computed, per label block (see `trainingDataTables`). */
  readonly trainingData: readonly TrainingDataTable[];
  /** "every even sample was predicted as an odd class" lines, see `crossGroupPredictions`. */
  readonly crossGroup: readonly string[];
  readonly contexts: readonly GroupContext[];
  readonly definitionDiffs: readonly DefinitionDiff[];
  readonly runs: readonly RunRow[];
  readonly charts: readonly RenderedChart[];
  /** The verdict of each primary metric as a forest plot (see `forestChart`), shown above its sentences. */
  readonly forest: readonly RenderedChart[];
  /** Calibration (ECE, Brier, NLL, reliability bins) per group whose runs kept predictions. */
  readonly calibration: CalibrationResults;
  /** Per tested primary comparison: P(A > B), bootstrap intervals, interquartile means and whether the methods agree. */
  readonly certainty: readonly ComparisonCertainty[];
  /** Per studied variant and primary metric: the variance each seed source contributes (variance-sources.ts); empty without a variance study. */
  readonly varianceBySource: readonly VarianceBySource[];
  readonly skipped: readonly SkippedRun[];
}

/** Curves shown first, in this order; other validation metrics follow alphabetically. */
const CURVE_ORDER = [
  'validation.loss',
  'validation.balancedAccuracy',
  'validation.f1',
  'validation.accuracy',
  'training.loss',
];

function curveKeys(aggregates: readonly GroupAggregate[]): string[] {
  const keys = [...new Set(aggregates.flatMap((aggregate) => Object.keys(aggregate.curves)))].filter(
    (key) => key !== MAJORITY_CURVE,
  );
  const rank = (key: string): number => (CURVE_ORDER.includes(key) ? CURVE_ORDER.indexOf(key) : CURVE_ORDER.length);
  return keys.sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
}

function lastMajority(aggregates: readonly GroupAggregate[]): number | undefined {
  for (const aggregate of aggregates) {
    const curve = aggregate.curves[MAJORITY_CURVE];
    const last = curve?.[curve.length - 1];
    if (last !== undefined) return last.summary.mean;
  }
  return undefined;
}

/** The baseline of one experiment's groups: given, else the `slower` of a fasterToTarget claim, else the first. */
function chooseBaseline(view: ExperimentView, requested: string | undefined): string | undefined {
  const groups = view.groups.map(({ group }) => group);
  if (requested !== undefined && groups.some((group) => group.label === requested)) return requested;
  const slower = view.claims.flatMap((claim) => (claim.kind === 'fasterToTarget' ? [claim.slower] : []))[0];
  return groups.find((group) => group.variant === slower)?.label ?? groups[0]?.label;
}

const aggregatesOf = (view: ExperimentView): GroupAggregate[] => view.groups.map(({ aggregate }) => aggregate);
const primaryMetricNames = (view: ExperimentView): string[] => view.primary.map((choice) => choice.metric);

function buildComparisons(
  views: readonly ExperimentView[],
  baseline: string | undefined,
): { comparisons: MetricComparison[]; lossNotes: string[] } {
  const comparisons: MetricComparison[] = [];
  const lossNotes: string[] = [];
  for (const view of views) {
    const ownAggregates = aggregatesOf(view);
    const primary = primaryMetricNames(view);
    if (view.groups.some(({ group }) => group.cohort !== null)) {
      // Before vs after: each variant's later code states against its first one.
      const variants = [...new Set(ownAggregates.map((aggregate) => aggregate.variant))];
      const pairs = variants.filter(
        (variant) => ownAggregates.filter((aggregate) => aggregate.variant === variant).length > 1,
      );
      if (pairs.length > 0) {
        for (const variant of pairs) {
          const subset = ownAggregates.filter((aggregate) => aggregate.variant === variant);
          comparisons.push(...unadjustedComparisons(subset, { baseline: subset[0]?.label, primary }));
          lossNotes.push(...uncomparedLosses(subset, { baseline: subset[0]?.label }));
        }
        continue;
      }
    }
    const chosen = chooseBaseline(view, baseline);
    comparisons.push(
      ...unadjustedComparisons(ownAggregates, { primary, ...(chosen === undefined ? {} : { baseline: chosen }) }),
    );
    lossNotes.push(...uncomparedLosses(ownAggregates, chosen === undefined ? {} : { baseline: chosen }));
  }
  return { comparisons, lossNotes };
}

/** The comparisons `beats` claims need that are not among `comparisons` (primary family, unadjusted). */
function claimComparisons(
  views: readonly ExperimentView[],
  comparisons: readonly MetricComparison[],
): MetricComparison[] {
  const added: MetricComparison[] = [];
  for (const view of views) {
    for (const winner of view.groups) {
      for (const claim of view.claims) {
        if (claim.kind !== 'beats' || winner.group.variant !== claim.variant) continue;
        const loser = view.groups.find(
          ({ group }) => group.cohort === winner.group.cohort && group.variant === claim.than,
        )?.aggregate;
        if (loser === undefined) continue;
        const known = [...comparisons, ...added];
        if (findComparison(known, view.experiment, winner.aggregate.label, loser.label, claim.metric) !== undefined)
          continue;
        const comparison = comparePair(winner.aggregate, loser, claim.metric, [claim.metric]);
        if (comparison !== null) added.push(comparison);
      }
    }
  }
  return added;
}

function chartSpecs(view: ReportView, claims: readonly ClaimResult[]): ChartSpec[] {
  const charts: ChartSpec[] = [];
  const groups = view.groups.map(({ group }) => group);
  const several = view.experiments.length > 1;
  const withExperiment = (chart: ChartSpec, experiment: string): ChartSpec =>
    several ? { ...chart, id: `${experiment}-${chart.id}`, title: `${experiment}: ${chart.title}` } : chart;
  for (const experimentView of view.experiments) {
    const { experiment } = experimentView;
    const ownAggregates = aggregatesOf(experimentView);
    for (const key of curveKeys(ownAggregates)) {
      const baseline = key === 'validation.accuracy' ? lastMajority(ownAggregates) : undefined;
      // Loss curves of different definitions or reductions share an axis but not a scale: say so.
      const mix = isLossKey(key)
        ? lossMix(ownAggregates.filter((aggregate) => aggregate.curves[key] !== undefined))
        : null;
      const caveat = mix === null ? undefined : `Not comparable across variants: ${mix}.`;
      charts.push(withExperiment(learningCurveChart(key, ownAggregates, baseline, caveat), experiment));
    }
  }
  for (const group of groups) {
    const first = group.records[0];
    const reference = group.records.find((record) => record.reference !== undefined)?.reference;
    for (const name of (first?.evaluation.groups ?? []).map((evaluation) => evaluation.name)) {
      const evaluations = group.records.flatMap(
        (record) => record.evaluation.groups?.filter((evaluation) => evaluation.name === name) ?? [],
      );
      const classNames = first?.evaluation.classNames;
      const referenceGroup = reference?.groups?.find((candidate) => candidate.name === name);
      charts.push(withExperiment(confusionChart(group.label, name, evaluations, classNames), group.experiment));
      charts.push(
        withExperiment(
          classCountsChart(
            group.label,
            name,
            evaluations,
            classNames,
            reference && referenceGroup
              ? {
                  source: reference.source,
                  ...(referenceGroup.trueCounts ? { trueCounts: referenceGroup.trueCounts } : {}),
                  ...(referenceGroup.predictedCounts ? { predictedCounts: referenceGroup.predictedCounts } : {}),
                }
              : undefined,
          ),
          group.experiment,
        ),
      );
    }
  }
  // One overall confusion matrix per variant (not per class, not per group of a class).
  for (const confusion of overallConfusions(groups)) {
    charts.push(
      withExperiment(
        overallConfusionChart(confusion.label, confusion.matrices, confusion.classNames),
        confusion.experiment,
      ),
    );
  }
  for (const result of claims) {
    if (
      result.claim.kind !== 'fasterToTarget' ||
      result.epochsToTarget === undefined ||
      result.epochsToTarget.length === 0
    )
      continue;
    const own = view.experiments.find((experimentView) => experimentView.experiment === result.experiment);
    const labels = (own === undefined ? [] : aggregatesOf(own)).map((aggregate) => aggregate.label);
    charts.push(
      withExperiment(
        epochsToTargetChart(result.claim.metric, result.claim.target, result.epochsToTarget, labels),
        result.experiment,
      ),
    );
  }
  // Ids become file names: make repeated ones unique.
  const seen = new Map<string, number>();
  return charts.map((chart) => {
    const count = (seen.get(chart.id) ?? 0) + 1;
    seen.set(chart.id, count);
    return count === 1 ? chart : { ...chart, id: `${chart.id}-${count}` };
  });
}

/**
 * The records with each run folder (`<experiment>/<runId>`) once, at its first place: a run
 * given twice (two variants that resolved to the same run, a run id listed twice) is one run,
 * never two seeds.
 */
function onePerRunFolder(records: readonly RunRecord[]): RunRecord[] {
  const folders = new Set<string>();
  return records.filter((record) => {
    const folder = JSON.stringify([record.experiment, record.runId]);
    if (folders.has(folder)) return false;
    folders.add(folder);
    return true;
  });
}

/**
 * Builds the report model from run records (each run folder counted once): groups them (by variant unless told otherwise),
 * aggregates seeds, compares groups, evaluates claims, summarizes per-class results (runs with
 * `evaluation.perClass`), collects context and warnings, and renders the charts to SVG (one
 * overall confusion matrix per variant whose runs carry `evaluation.confusion`). The baseline of comparisons is `options.baseline`, else the `slower` variant
 * of a `fasterToTarget` claim, else the first group; when grouping by commit or run, each variant
 * is compared with its own first code state ("before vs after").
 *
 * @example
 * const { records, skipped } = await loadRuns('runs', { experiment: 'blink' });
 * const model = await buildReport(records, { skipped });
 * model.comparisons.map((comparison) => comparison.sentence);
 */
export async function buildReport(given: readonly RunRecord[], options: BuildReportOptions = {}): Promise<ReportModel> {
  if (given.length === 0)
    throw new ReportError('INVALID_ARGUMENT', 'records: expected at least one run record, got none');
  const all = onePerRunFolder(given);
  // A variance study's runs are set apart: they are no variant of their own (variance-sources.ts).
  const studyRecords = all.filter(isStudyRun);
  const records = studyRecords.length === all.length ? all : all.filter((record) => !isStudyRun(record));
  const groupBy = options.groupBy ?? 'variant';
  // Settings given here win; otherwise the definition's, as its runs recorded them.
  const view = reportView(records, groupBy, options.primary);
  const alpha =
    options.alpha ??
    view.experiments.map((experiment) => experiment.settings?.alpha).find((level) => level !== undefined) ??
    DEFAULT_ALPHA;
  const groups = view.groups.map(({ group }) => group);
  const aggregates = view.groups.map(({ aggregate }) => aggregate);
  const primary = new Map(view.experiments.map((experiment) => [experiment.experiment, experiment.primary]));
  const baselineComparisons = buildComparisons(view.experiments, options.baseline);
  const { lossNotes } = baselineComparisons;
  // One family of primary comparisons: against the baseline, best against the rest, and the pairs
  // `beats` claims name; each test appears once (from either side) and is adjusted once.
  const unadjusted = [...baselineComparisons.comparisons];
  unadjusted.push(...verdictComparisons(aggregates, primary, unadjusted));
  unadjusted.push(...claimComparisons(view.experiments, unadjusted));
  const comparisons = adjustComparisons(unadjusted, alpha);
  const claims = view.experiments.flatMap((experiment) =>
    evaluateExperimentClaims(
      experiment.experiment,
      experiment.claims,
      experiment.groups.map(({ group }) => group),
      comparisons,
    ),
  );
  const experiments = view.experiments.map((experiment) => experiment.experiment);
  const skipped = options.skipped ?? [];
  // With a renderer of its own (a worker thread), the charts known by now are drawn while the rest
  // is computed; they are asked for first, so they are drawn in the same order as in this thread.
  const firstCharts = chartSpecs(view, claims);
  const drawingFirst = options.renderSvg === undefined ? undefined : renderCharts(firstCharts, options.renderSvg);
  drawingFirst?.catch(() => undefined);

  // Grouped by commit or run, differing code is the point of the comparison: check variants only.
  const mismatches =
    groupBy === 'variant'
      ? view.experiments.flatMap((experiment) => likeWithLike(experiment.groups.map(({ group }) => group)))
      : [];
  const likeByVariant =
    groupBy === 'variant'
      ? view.experiments.flatMap(({ experiment, groups: own }) =>
          likeWithLikeByVariant(own.map(({ group }) => group)).map((row) => ({ experiment, ...row })),
        )
      : [];
  const majority = majorityFindings(aggregates);
  const warnings = [...mismatches, ...majority.map((finding) => finding.warning)];
  for (const aggregate of aggregates) {
    if (aggregate.seeds.length === 1) {
      warnings.push(
        `${aggregate.label} has a single run: no spread or confidence interval, and no significance can be claimed for its differences.`,
      );
    }
  }
  const failed = skipped.filter((skip) => skip.reason === 'failed').length;
  if (failed > 0) warnings.push(`${failed} run(s) failed; see "Failed runs".`);
  if (skipped.length > failed) {
    warnings.push(
      `${skipped.length - failed} run folder(s) skipped (did not finish, invalid or not found); see "Skipped runs".`,
    );
  }

  const references: ReferenceTable[] = view.experiments.flatMap(({ experiment, reference }) =>
    reference === undefined ? [] : [referenceTable(experiment, reference, groups)],
  );

  const definitionDiffs = view.experiments.map((experiment) => ({
    experiment: experiment.experiment,
    labels: experiment.groups.map(({ group }) => group.label),
    differences: diffDefinitions(experiment.groups.map(({ group }) => group.records[0]?.definition)),
  }));

  const runs = groups.flatMap((group) =>
    group.records.map((record) => {
      const average = (values: readonly number[]): number | null =>
        values.length === 0 ? null : values.reduce((sum, value) => sum + value, 0) / values.length;
      return {
        runId: record.runId,
        label: group.label,
        seed: record.seed,
        commit: commitState(record),
        backend: `${record.environment.backend} ${record.environment.backendVersion}`,
        epochs: record.history.length,
        plannedEpochs: record.definition.train?.epochs ?? null,
        earlyStopping: record.earlyStopping ?? null,
        resumedAfter: (record.resumes ?? []).map((resume) => resume.afterEpoch),
        secondsPerEpoch: average(record.history.map((epoch) => epoch.seconds)),
        samplesPerSecond: average(record.history.map((epoch) => epoch.samplesPerSecond)),
        startedAt: record.timing.startedAt,
      };
    }),
  );

  const calibration = groupCalibrations(groups, options.predictions ?? new Map());
  const directions = new Map(
    view.experiments.flatMap((experiment) =>
      experiment.primary.map(
        (choice) => [JSON.stringify([experiment.experiment, choice.metric]), choice.direction] as const,
      ),
    ),
  );
  const certainty = comparisonCertainty(comparisons, groups, directions, options.predictions ?? new Map(), alpha);
  warnings.push(...(options.predictionProblems ?? []));
  const verdictList = verdicts(aggregates, primary, comparisons, alpha);
  const reliability = calibration.groups.map(reliabilityChart);
  const forestList = verdictList.flatMap(
    (verdict) => forestChart(verdict, experiments.length > 1 ? verdict.experiment : '') ?? [],
  );
  const rendered =
    drawingFirst === undefined
      ? await renderCharts([...firstCharts, ...reliability, ...forestList])
      : (await Promise.all([drawingFirst, renderCharts([...reliability, ...forestList], options.renderSvg)])).flat();
  const charts = rendered.slice(0, firstCharts.length + reliability.length);
  const forest = rendered.slice(firstCharts.length + reliability.length);

  return {
    title: options.title ?? `losslab report: ${experiments.join(', ')}`,
    searches: options.searches ?? [],
    sequential: options.sequential ?? null,
    experiments,
    groupBy,
    aggregates,
    comparisons,
    primary,
    verdicts: verdictList,
    alpha,
    mismatches,
    majority,
    likeWithLikeByVariant: likeByVariant,
    epochSummaries: epochSummaries(aggregates),
    lossNotes,
    finalLossMix: lossMix(aggregates.filter((aggregate) => aggregate.final.loss !== undefined)),
    claims,
    warnings,
    references,
    perClass: perClassResults(groups),
    trainingData: view.experiments.flatMap(trainingDataTables),
    crossGroup: crossGroupPredictions(groups),
    contexts: view.groups.map(({ group, aggregate }) => groupContext(group, aggregate)),
    definitionDiffs,
    runs,
    charts,
    forest,
    skipped,
    calibration,
    certainty,
    varianceBySource: varianceBySource(
      studyRecords,
      aggregates,
      new Map([...primary].map(([experiment, choices]) => [experiment, choices.map((choice) => choice.metric)])),
      records,
    ),
  };
}
