import { LosslabError } from '@losslab/runtime';
import { requireNonEmpty, requireSameLength } from './guards.js';
import { perClassUnchecked } from './per-class.js';

/** Whole-epoch detection metrics of a binary classifier; see {@link binaryMetrics}. */
export interface BinaryMetrics {
  /** (TP + TN) / n */
  readonly accuracy: number;
  /** Mean recall over the classes present in the labels: (TPR + TNR) / 2 when both are. */
  readonly balancedAccuracy: number;
  /** TP / (TP + FP); 0 when nothing is predicted positive. */
  readonly precision: number;
  /** TP / (TP + FN); 0 when there are no positives. */
  readonly recall: number;
  /** 2·P·R / (P + R) = 2·TP / (2·TP + FP + FN); 0 when TP = 0. */
  readonly f1: number;
  /** Average precision (area under the precision–recall curve, step-wise); 0 with no positives. */
  readonly prAuc: number;
  /** Accuracy of always predicting the more frequent true class: max(n0, n1) / n. */
  readonly majorityAccuracy: number;
  /** Fraction of samples whose true label is 1 (prevalence): n1 / n. */
  readonly positiveRate: number;
  /** Fraction of samples predicted positive: (TP + FP) / n. */
  readonly predictedPositiveRate: number;
  readonly truePositives: number;
  readonly falsePositives: number;
  readonly trueNegatives: number;
  readonly falseNegatives: number;
}

function requireBinaryLabels(name: string, labels: ArrayLike<number>): void {
  for (let i = 0; i < labels.length; i++) {
    const v = labels[i]!;
    if (v !== 0 && v !== 1)
      throw new LosslabError('INVALID_ARGUMENT', `${name}[${i}]: expected 0 or 1, got ${String(v)}`);
  }
}

function requireFiniteScores(name: string, scores: ArrayLike<number>): void {
  for (let i = 0; i < scores.length; i++) {
    const v = scores[i]!;
    if (!Number.isFinite(v))
      throw new LosslabError('INVALID_ARGUMENT', `${name}[${i}]: expected a finite number, got ${String(v)}`);
  }
}

/** Guards shared by the binary metrics: same non-zero length, 0/1 labels, finite scores. */
function checkBinaryInputs(trueLabels: ArrayLike<number>, positiveScores: ArrayLike<number>): void {
  requireNonEmpty('trueLabels', trueLabels);
  requireSameLength('trueLabels', trueLabels, 'positiveScores', positiveScores);
  requireBinaryLabels('trueLabels', trueLabels);
  requireFiniteScores('positiveScores', positiveScores);
}

/** Step-wise average precision; inputs already checked. */
function averagePrecisionUnchecked(trueLabels: ArrayLike<number>, scores: ArrayLike<number>): number {
  let positives = 0;
  // ArrayLike is not iterable, so no for-of here.
  // eslint-disable-next-line @typescript-eslint/prefer-for-of
  for (let i = 0; i < trueLabels.length; i++) positives += trueLabels[i]!;
  if (positives === 0) return 0;
  const order = Array.from({ length: scores.length }, (_, i) => i).sort((a, b) => scores[b]! - scores[a]!);
  let tp = 0;
  let fp = 0;
  let previousRecall = 0;
  let sum = 0;
  for (let k = 0; k < order.length;) {
    // Samples with the same score form one threshold: count them all before taking a point.
    const score = scores[order[k]!]!;
    while (k < order.length && scores[order[k]!] === score) {
      if (trueLabels[order[k]!] === 1) tp++;
      else fp++;
      k++;
    }
    const recall = tp / positives;
    sum += (recall - previousRecall) * (tp / (tp + fp));
    previousRecall = recall;
  }
  return sum;
}

/**
 * Average precision (PR-AUC) of `positiveScores` for the 0/1 `trueLabels`, like scikit-learn's
 * `average_precision_score`: AP = Σₖ (Rₖ − Rₖ₋₁) · Pₖ over the distinct scores taken as
 * thresholds from high to low (tied scores form one threshold), with R₀ = 0. No positive labels
 * → 0 (documented choice; scikit-learn warns and returns a meaningless value).
 *
 * @example
 * averagePrecision([1, 0, 1, 0], [0.9, 0.8, 0.7, 0.1]); // (1/2)·1 + (1/2)·(2/3) = 0.8333…
 */
export function averagePrecision(trueLabels: ArrayLike<number>, positiveScores: ArrayLike<number>): number {
  checkBinaryInputs(trueLabels, positiveScores);
  return averagePrecisionUnchecked(trueLabels, positiveScores);
}

/**
 * Binary detection metrics over a WHOLE epoch of predictions (ratios of totals, never means of
 * per-batch values). A sample is predicted positive when `score > threshold` (strict, like Keras'
 * `binary_accuracy`, and like argMax of a two-unit softmax, where a 0.5/0.5 tie picks class 0).
 *
 * Edge cases, chosen so every value is a finite number (JSON-safe in run records): precision = 0
 * when nothing is predicted positive; recall = 0 and prAuc = 0 when there are no positive labels;
 * f1 = 0 when TP = 0; balancedAccuracy averages recall over the classes present only. Empty input,
 * labels other than 0/1 and non-finite scores are errors naming the index.
 *
 * @example
 * const m = binaryMetrics([1, 0, 1, 0], [0.9, 0.8, 0.3, 0.1]);
 * // TP 1, FP 1, TN 1, FN 1 → precision 0.5, recall 0.5, f1 0.5, accuracy 0.5
 */
export function binaryMetrics(
  trueLabels: ArrayLike<number>,
  positiveScores: ArrayLike<number>,
  threshold = 0.5,
): BinaryMetrics {
  checkBinaryInputs(trueLabels, positiveScores);
  if (!Number.isFinite(threshold))
    throw new LosslabError('INVALID_ARGUMENT', `threshold: expected a finite number, got ${threshold}`);
  let tp = 0;
  let fp = 0;
  let tn = 0;
  let fn = 0;
  for (let i = 0; i < trueLabels.length; i++) {
    const predictedPositive = positiveScores[i]! > threshold;
    if (trueLabels[i] === 1) {
      if (predictedPositive) tp++;
      else fn++;
    } else if (predictedPositive) fp++;
    else tn++;
  }
  const n = trueLabels.length;
  const positives = tp + fn;
  const negatives = tn + fp;
  // The 2×2 confusion matrix (rows = true 0/1, columns = predicted 0/1): precision, recall, F1
  // and balanced accuracy follow the same rules as perClassMetrics, computed there.
  const summary = perClassUnchecked([
    [tn, fp],
    [fn, tp],
  ]);
  const positive = summary.classes[1]!;
  return {
    accuracy: summary.accuracy,
    balancedAccuracy: summary.balancedAccuracy,
    precision: positive.precision,
    recall: positive.recall,
    f1: positive.f1,
    prAuc: averagePrecisionUnchecked(trueLabels, positiveScores),
    majorityAccuracy: Math.max(positives, negatives) / n,
    positiveRate: positives / n,
    predictedPositiveRate: (tp + fp) / n,
    truePositives: tp,
    falsePositives: fp,
    trueNegatives: tn,
    falseNegatives: fn,
  };
}

/**
 * Collects labels and positive-class scores batch by batch and computes {@link binaryMetrics}
 * over everything collected, so F1, precision and PR-AUC are whole-epoch values.
 *
 * @example
 * const epoch = new StreamingBinary();
 * epoch.update([1, 0], [0.9, 0.2]).update([1], [0.4]);
 * epoch.evaluate().recall; // 0.5
 */
export class StreamingBinary {
  private labels = new Uint8Array(64);
  private scores = new Float64Array(64);
  private seen = 0;

  /** Adds one batch; checks it like {@link binaryMetrics} does. Returns `this`. */
  update(trueLabels: ArrayLike<number>, positiveScores: ArrayLike<number>): this {
    requireSameLength('trueLabels', trueLabels, 'positiveScores', positiveScores);
    requireBinaryLabels('trueLabels', trueLabels);
    requireFiniteScores('positiveScores', positiveScores);
    const needed = this.seen + trueLabels.length;
    if (needed > this.labels.length) {
      const capacity = Math.max(needed, 2 * this.labels.length);
      const labels = new Uint8Array(capacity);
      labels.set(this.labels.subarray(0, this.seen));
      const scores = new Float64Array(capacity);
      scores.set(this.scores.subarray(0, this.seen));
      this.labels = labels;
      this.scores = scores;
    }
    for (let i = 0; i < trueLabels.length; i++) {
      this.labels[this.seen + i] = trueLabels[i]!;
      this.scores[this.seen + i] = positiveScores[i]!;
    }
    this.seen = needed;
    return this;
  }

  /** Number of samples collected. */
  get count(): number {
    return this.seen;
  }

  /** {@link binaryMetrics} over everything collected; throws if nothing was. */
  evaluate(threshold = 0.5): BinaryMetrics {
    return binaryMetrics(this.labels.subarray(0, this.seen), this.scores.subarray(0, this.seen), threshold);
  }

  /** Forgets everything collected. */
  reset(): void {
    this.seen = 0;
  }
}
