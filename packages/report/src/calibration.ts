import type { ExamplePredictions } from '@losslab/schema';

/**
 * Calibration of one run's per-example predictions: expected calibration error over 15
 * equal-width confidence bins, the Brier score and the negative log-likelihood. The formulas
 * are stated in STATISTICS.md; {@link calibrationOf} is the one place they are computed.
 */

/** Number of equal-width confidence bins of the expected calibration error (Guo et al. 2017 use 15). */
export const CALIBRATION_BINS = 15;

/** Probabilities are clipped to at least this before the logarithm of the NLL (Keras' epsilon). */
export const NLL_EPSILON = 1e-7;

/** How far a probability may stray outside [0, 1], and a row's sum from 1, and still count as a probability (float32 rounding). */
const PROBABILITY_SLACK = 1e-3;

/** One confidence bin of a reliability diagram. */
interface ReliabilityBin {
  /** The bin is (lower, upper]; the first also holds confidence 0. */
  readonly lower: number;
  readonly upper: number;
  readonly count: number;
  /** Mean top-class probability of the bin's examples (null when empty). */
  readonly confidence: number | null;
  /** Share of the bin's examples whose top class is the true one (null when empty). */
  readonly accuracy: number | null;
}

/** The calibration of one set of predictions. */
export interface Calibration {
  /** Σ_b (n_b / N) |accuracy_b − confidence_b| over the 15 bins. */
  readonly ece: number;
  /** Two classes: mean (p₁ − y)²; more: mean Σ_k (p_k − 1[y = k])². */
  readonly brier: number;
  /** −mean ln max(p_true, 1e-7). */
  readonly nll: number;
  readonly bins: readonly ReliabilityBin[];
  readonly size: number;
}

/** The bin of a confidence: ⌈15·c⌉ − 1, so bins are (lower, upper] and 0 falls into the first.
 * @internal
 */
export const confidenceBin = (confidence: number): number =>
  Math.min(CALIBRATION_BINS - 1, Math.max(0, Math.ceil(confidence * CALIBRATION_BINS) - 1));

/** Why the rows are not probabilities (the first row that is not), or null when they are. */
export function notProbabilities(predictions: ExamplePredictions): string | null {
  const { probabilities, classes } = predictions;
  for (let i = 0; i < predictions.truth.length; i++) {
    let sum = 0;
    for (let k = 0; k < classes; k++) {
      const p = probabilities[i * classes + k] ?? Number.NaN;
      if (!(p >= -PROBABILITY_SLACK && p <= 1 + PROBABILITY_SLACK))
        return `example ${i}: output ${p} of class ${k} is not a probability`;
      sum += p;
    }
    if (Math.abs(sum - 1) > PROBABILITY_SLACK)
      return `example ${i}: the outputs sum to ${sum}, not 1 (the model's outputs are not class probabilities)`;
  }
  return null;
}

/** Top class (the first on ties) and its probability, of example `i`. */
function topClass(predictions: ExamplePredictions, i: number): { top: number; confidence: number } {
  const { probabilities, classes } = predictions;
  let top = 0;
  let confidence = probabilities[i * classes] ?? Number.NaN;
  for (let k = 1; k < classes; k++) {
    const p = probabilities[i * classes + k] ?? Number.NaN;
    if (p > confidence) {
      top = k;
      confidence = p;
    }
  }
  return { top, confidence: Math.min(1, Math.max(0, confidence)) };
}

/**
 * ECE, Brier score, NLL and the reliability bins of `predictions` (only the examples at
 * `rows`, in that order and with repeats, when given: a bootstrap resample); null when the
 * outputs are not probabilities (see {@link notProbabilities}) or there are no examples.
 *
 * @example calibrationOf(predictions)?.ece
 */
export function calibrationOf(predictions: ExamplePredictions, rows?: ArrayLike<number>): Calibration | null {
  const { probabilities, classes, truth } = predictions;
  const size = rows?.length ?? truth.length;
  if (size === 0 || notProbabilities(predictions) !== null) return null;
  const count = new Array<number>(CALIBRATION_BINS).fill(0);
  const confidenceSum = new Array<number>(CALIBRATION_BINS).fill(0);
  const correctSum = new Array<number>(CALIBRATION_BINS).fill(0);
  let brier = 0;
  let nll = 0;
  for (let r = 0; r < size; r++) {
    const i = rows === undefined ? r : (rows[r] ?? 0);
    const label = truth[i] ?? 0;
    const { top, confidence } = topClass(predictions, i);
    const bin = confidenceBin(confidence);
    count[bin] = (count[bin] ?? 0) + 1;
    confidenceSum[bin] = (confidenceSum[bin] ?? 0) + confidence;
    correctSum[bin] = (correctSum[bin] ?? 0) + (top === label ? 1 : 0);
    if (classes === 2) brier += ((probabilities[i * 2 + 1] ?? 0) - (label === 1 ? 1 : 0)) ** 2;
    else
      for (let k = 0; k < classes; k++) brier += ((probabilities[i * classes + k] ?? 0) - (k === label ? 1 : 0)) ** 2;
    nll -= Math.log(Math.max(probabilities[i * classes + label] ?? 0, NLL_EPSILON));
  }
  let ece = 0;
  const bins = count.map((n, b) => {
    const confidence = n === 0 ? null : (confidenceSum[b] ?? 0) / n;
    const accuracy = n === 0 ? null : (correctSum[b] ?? 0) / n;
    if (confidence !== null && accuracy !== null) ece += (n / size) * Math.abs(accuracy - confidence);
    return { lower: b / CALIBRATION_BINS, upper: (b + 1) / CALIBRATION_BINS, count: n, confidence, accuracy };
  });
  return { ece, brier: brier / size, nll: nll / size, bins, size };
}

/** Per-example predictions of runs, by {@link predictionsKey}: what the report reads beside the records. */
export type RunPredictions = ReadonlyMap<string, ExamplePredictions>;

/** The key of a run's predictions: its run folder, `[experiment, runId]`. */
export const predictionsKey = (record: { readonly experiment: string; readonly runId: string }): string =>
  JSON.stringify([record.experiment, record.runId]);
