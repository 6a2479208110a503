import { CALIBRATION_BINS, NLL_EPSILON } from './calibration.js';
import type { RenderedChart } from './charts.js';
import { formatSd, formatValue } from './format.js';
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

export const CALIBRATION_NOTE = `mean ± sample sd over seeds, from each run's per-example predictions. ECE: expected calibration error over ${CALIBRATION_BINS} equal-width bins of the top-class probability (lower is better); Brier: mean squared error of the probabilities (two classes: of the positive class's); NLL: mean −ln p(true class), p clipped at ${NLL_EPSILON}. Accuracy here is the share of examples whose most probable class is the true one. Formulas: STATISTICS.md.`;

/** Calibration per group beside its accuracy. */
export function calibrationTable(model: ReportModel): TextTable {
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
  return sections;
}
