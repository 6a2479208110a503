import { CALIBRATION_BINS, NLL_EPSILON } from './calibration.js';
import type { RenderedChart } from './charts.js';
import { BOOTSTRAP_REPLICATES } from './bootstrap.js';
import { IQM_MIN_SEEDS } from './comparison-certainty.js';
import { formatP, formatSd, formatSigned, formatValue } from './format.js';
import type { TextTable } from './layout.js';
import type { ReportModel } from './model.js';
import type { Summary } from './stats.js';

/** A section of the report about how sure it is: paragraphs, tables and charts, rendered alike in HTML and Markdown. */
export interface CertaintySection {
  readonly id: string;
  readonly title: string;
  readonly paragraphs: readonly string[];
  readonly tables: readonly TextTable[];
  readonly charts: readonly RenderedChart[];
}

/** `mean ± sd` (n), or the mean alone for one run. */
const meanSd = (summary: Summary): string =>
  summary.sd === null ? formatValue(summary.mean) : `${formatValue(summary.mean)} ± ${formatSd(summary.sd)}`;

const CALIBRATION_NOTE = `mean ± sample sd over seeds, from each run's per-example predictions. ECE: expected calibration error over ${CALIBRATION_BINS} equal-width bins of the top-class probability (lower is better); Brier: mean squared error of the probabilities (two classes: of the positive class's); NLL: mean −ln p(true class), p clipped at ${NLL_EPSILON}. Accuracy here is the share of examples whose most probable class is the true one. Formulas: STATISTICS.md.`;

/** Calibration per group beside its accuracy. */
function calibrationTable(model: ReportModel): TextTable {
  return {
    header: ['variant', 'split', 'runs', 'accuracy', `ECE (${CALIBRATION_BINS} bins)`, 'Brier', 'NLL'],
    rows: model.calibration.groups.map((group) => [
      group.label,
      group.split,
      group.measured === group.runs ? String(group.runs) : `${group.measured} of ${group.runs}`,
      meanSd(group.accuracy),
      meanSd(group.ece),
      meanSd(group.brier),
      meanSd(group.nll),
    ]),
  };
}

const bracket = ([low, high]: readonly [number, number], signed = false): string =>
  signed ? `[${formatSigned(low)}, ${formatSigned(high)}]` : `[${formatValue(low)}, ${formatValue(high)}]`;

const CERTAINTY_NOTE = `Each tested comparison on a primary metric, A against B. P(A > B): the probability that a run of A beats a run of B (every pair of seeds, ties half; for a metric where lower is better, "beats" means lower), with a 95% stratified bootstrap interval (rliable's: each variant's seeds resampled on their own; with 5 seeds it is not a calibrated 95% interval — cautious near 1/2, too narrow far from it; STATISTICS.md). Difference: mean(A) − mean(B) with a 95% interval; the "interval" column says which. Two-level, where both variants kept predictions for the same seeds: Student's t over the paired seeds plus the variance the shared test set adds, from resampling its examples (the same examples for every seed and both variants). Paired t, where the runs kept no predictions: the t-test's own interval (a percentile bootstrap over 5 seeds would cover only 86%). Welch, where the variants ran different seeds. IQM: interquartile mean (mean of the middle half of the seeds) with a jackknife t interval, shown from ${IQM_MIN_SEEDS} seeds per variant. The last column says whether the t-test (unadjusted p < α), the difference's interval (excluding 0) and P(A > B) (interval excluding 1/2) find the same. ${BOOTSTRAP_REPLICATES} bootstrap replicates each, drawn by xoshiro128** seeded with the sha256 of the compared run ids (and their predictions' sha256s), so the same runs give the same intervals. Formulas and simulated coverage: STATISTICS.md.`;

/** One row per primary comparison: P(A > B), the difference's interval, IQMs and agreement. */
function certaintyTable(model: ReportModel): TextTable {
  const several = model.experiments.length > 1;
  return {
    header: [
      'A vs B',
      'metric',
      'P(A > B) [95%]',
      'difference [95%]',
      'interval',
      't-test p',
      'IQM A | IQM B',
      'methods',
    ],
    rows: model.certainty.map((entry) => {
      const comparison = model.comparisons.find(
        (c) =>
          c.experiment === entry.experiment &&
          c.label === entry.label &&
          c.baseline === entry.baseline &&
          c.metric === entry.metric,
      );
      const p = comparison?.test.p;
      return [
        `${several ? `${entry.experiment}: ` : ''}${entry.label} vs ${entry.baseline}`,
        entry.metric,
        `${formatValue(entry.probability)} ${bracket(entry.probabilityInterval)}`,
        `${formatSigned(entry.difference)} ${bracket(entry.differenceInterval, true)}`,
        entry.examplesNote === null ? entry.resampled : `${entry.resampled} (${entry.examplesNote})`,
        p === null || p === undefined ? '—' : formatP(p),
        entry.iqm === null
          ? `— (fewer than ${IQM_MIN_SEEDS} seeds)`
          : `${formatValue(entry.iqm.label)} ${bracket(entry.iqm.labelInterval)} | ${formatValue(entry.iqm.baseline)} ${bracket(entry.iqm.baselineInterval)}`,
        entry.agree ? 'agree' : { text: 'disagree', strong: true },
      ];
    }),
  };
}

/** The sections on calibration (and, when computed, on the certainty of comparisons); empty when no run kept predictions. */
export function certaintySections(model: ReportModel): CertaintySection[] {
  const sections: CertaintySection[] = [];
  if (model.calibration.groups.length > 0 || model.calibration.notes.length > 0) {
    sections.push({
      id: 'calibration',
      title: 'Calibration',
      paragraphs: [CALIBRATION_NOTE, ...model.calibration.notes],
      tables: model.calibration.groups.length > 0 ? [calibrationTable(model)] : [],
      charts: model.charts.filter((chart) => chart.kind === 'reliability'),
    });
  }
  if (model.certainty.length > 0) {
    sections.push({
      id: 'certainty',
      title: 'How sure the comparisons are',
      paragraphs: [CERTAINTY_NOTE],
      tables: [certaintyTable(model)],
      charts: [],
    });
  }
  return sections;
}
