import type { TopLevelSpec } from 'vega-lite';
import {
  calibrationOf,
  predictionsKey,
  CALIBRATION_BINS,
  notProbabilities,
  type RunPredictions,
} from './calibration.js';
import { slug, type ChartSpec } from './charts.js';
import type { RunGroup } from './groups.js';
import { formatSd, formatValue } from './format.js';
import { summarize, type Summary } from './stats.js';

/** Calibration of one group (variant) over its seeds, from the runs that kept their predictions. */
export interface GroupCalibration {
  readonly experiment: string;
  readonly label: string;
  /** The evaluation split the predictions came from. */
  readonly split: string;
  /** Runs whose calibration is included, of `runs` in the group. */
  readonly measured: number;
  readonly runs: number;
  /** Over seeds: each run's ECE, Brier score and NLL. */
  readonly ece: Summary;
  readonly brier: Summary;
  readonly nll: Summary;
  /** Each run's accuracy (share of examples whose top class is the true one), for reading beside the calibration. */
  readonly accuracy: Summary;
  /** The reliability bins with every seed's examples pooled: count, mean confidence and accuracy per bin. */
  readonly bins: readonly {
    lower: number;
    upper: number;
    count: number;
    confidence: number | null;
    accuracy: number | null;
  }[];
}

/** Why calibration is missing for some runs (outputs that are not probabilities), one line per group. */
export interface CalibrationResults {
  readonly groups: readonly GroupCalibration[];
  readonly notes: readonly string[];
}

/** Share of examples whose top class (first on ties) is the true one. */
function topClassAccuracy(predictions: { truth: Int32Array; probabilities: Float32Array; classes: number }): number {
  const { truth, probabilities, classes } = predictions;
  let correct = 0;
  for (let i = 0; i < truth.length; i++) {
    let top = 0;
    for (let k = 1; k < classes; k++)
      if ((probabilities[i * classes + k] ?? 0) > (probabilities[i * classes + top] ?? 0)) top = k;
    if (top === truth[i]) correct++;
  }
  return correct / Math.max(truth.length, 1);
}

/**
 * The calibration of each group whose runs kept predictions: per-run ECE (15 bins), Brier score,
 * NLL and accuracy summarised over seeds, and the reliability bins pooled over seeds.
 *
 * @example groupCalibrations(groups, predictions).groups[0]?.ece.mean
 */
export function groupCalibrations(groups: readonly RunGroup[], predictions: RunPredictions): CalibrationResults {
  const results: GroupCalibration[] = [];
  const notes: string[] = [];
  for (const group of groups) {
    const runs = group.records.flatMap((record) => {
      const own = predictions.get(predictionsKey(record));
      return own === undefined ? [] : [{ record, own }];
    });
    if (runs.length === 0) continue;
    const measured = runs.flatMap(({ record, own }) => {
      const calibration = calibrationOf(own);
      if (calibration === null) {
        notes.push(
          `${group.label}: no calibration for run ${record.runId}: ${notProbabilities(own) ?? 'no examples'}.`,
        );
        return [];
      }
      return [{ record, own, calibration }];
    });
    if (measured.length === 0) continue;
    const bins = Array.from({ length: CALIBRATION_BINS }, (_, b) => {
      let count = 0;
      let confidence = 0;
      let accuracy = 0;
      for (const { calibration } of measured) {
        const bin = calibration.bins[b];
        if (bin === undefined || bin.count === 0) continue;
        count += bin.count;
        confidence += bin.count * (bin.confidence ?? 0);
        accuracy += bin.count * (bin.accuracy ?? 0);
      }
      return {
        lower: b / CALIBRATION_BINS,
        upper: (b + 1) / CALIBRATION_BINS,
        count,
        confidence: count === 0 ? null : confidence / count,
        accuracy: count === 0 ? null : accuracy / count,
      };
    });
    results.push({
      experiment: group.experiment,
      label: group.label,
      split: measured[0]?.record.predictions?.split ?? '',
      measured: measured.length,
      runs: group.records.length,
      ece: summarize(measured.map(({ calibration }) => calibration.ece)),
      brier: summarize(measured.map(({ calibration }) => calibration.brier)),
      nll: summarize(measured.map(({ calibration }) => calibration.nll)),
      accuracy: summarize(measured.map(({ own }) => topClassAccuracy(own))),
      bins,
    });
  }
  return { groups: results, notes };
}

/**
 * A reliability diagram of one group: per confidence bin a bar at the accuracy of its examples
 * (pooled over seeds), the bins' mean confidence as dots, and the diagonal of perfect calibration.
 */
export function reliabilityChart(calibration: GroupCalibration): ChartSpec {
  const { label } = calibration;
  const bins = calibration.bins
    .filter((bin) => bin.count > 0)
    .map((bin) => ({ ...bin, middle: (bin.lower + bin.upper) / 2 }));
  const scale = { domain: [0, 1] };
  const spec: TopLevelSpec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: `Reliability: ${label}`,
    width: 260,
    height: 220,
    config: { font: 'sans-serif', background: 'white', view: { stroke: null } },
    layer: [
      {
        data: { values: bins },
        mark: { type: 'bar', color: '#4c78a8', opacity: 0.8 },
        encoding: {
          x: { field: 'lower', type: 'quantitative', scale, title: 'confidence (top-class probability)' },
          x2: { field: 'upper' },
          y: { field: 'accuracy', type: 'quantitative', scale, title: 'accuracy' },
          tooltip: [{ field: 'count', type: 'quantitative' }],
        },
      },
      {
        data: { values: bins },
        mark: { type: 'point', color: '#e45756', filled: true },
        encoding: {
          x: { field: 'confidence', type: 'quantitative', scale },
          y: { field: 'confidence', type: 'quantitative', scale },
        },
      },
      {
        data: {
          values: [
            { x: 0, y: 0 },
            { x: 1, y: 1 },
          ],
        },
        mark: { type: 'line', color: '#888888', strokeDash: [4, 4] },
        encoding: { x: { field: 'x', type: 'quantitative', scale }, y: { field: 'y', type: 'quantitative', scale } },
      },
    ],
  };
  return {
    id: `reliability-${slug(label)}`,
    kind: 'reliability',
    title: `Reliability diagram: ${label}`,
    description: `Reliability diagram of ${label} on the ${calibration.split} split (${calibration.measured} run(s), examples pooled): per ${CALIBRATION_BINS} equal-width confidence bins, bars are the accuracy of the bin's examples, red dots their mean confidence; a calibrated model's bars reach the dashed diagonal.`,
    spec,
  };
}

/** `mean ± sd`, or the mean alone for one run. */
const meanSd = (summary: Summary): string =>
  summary.sd === null ? formatValue(summary.mean) : `${formatValue(summary.mean)} ± ${formatSd(summary.sd)}`;

/**
 * Calibration beside accuracy for the verdict, one block per experiment whose runs kept
 * predictions: the best calibrated variant (lowest mean ECE), then each variant's accuracy, ECE,
 * Brier score and NLL (mean ± sd over seeds).
 */
export function calibrationVerdicts(
  calibration: CalibrationResults,
  several: boolean,
): { headline: string; lines: string[]; outcomes: string[] }[] {
  const experiments = [...new Set(calibration.groups.map((group) => group.experiment))];
  return experiments.map((experiment) => {
    const own = calibration.groups.filter((group) => group.experiment === experiment);
    const best = own.reduce((a, b) => (b.ece.mean < a.ece.mean ? b : a));
    const worst = own.reduce((a, b) => (b.ece.mean > a.ece.mean ? b : a));
    const spread = own.length > 1 ? `; ${worst.label} is worst calibrated (ECE ${formatValue(worst.ece.mean)})` : '';
    return {
      headline: `${several ? `${experiment}: ` : ''}calibration beside accuracy (ECE over ${CALIBRATION_BINS} bins, lower is better): ${best.label} is best calibrated (ECE ${formatValue(best.ece.mean)})${spread}.`,
      lines: own.map(
        (group) =>
          `${group.label}: accuracy ${meanSd(group.accuracy)}, ECE ${meanSd(group.ece)}, Brier ${meanSd(group.brier)}, NLL ${meanSd(group.nll)} (${group.measured} run(s), ${group.split} split)`,
      ),
      outcomes: own.map(() => 'note'),
    };
  });
}
