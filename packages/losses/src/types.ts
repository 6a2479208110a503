import * as tf from '@tensorflow/tfjs-core';

/**
 * A per-sample loss: `yTrue` `[batch, labelWidth]`, `yPred` `[batch, outputWidth]` → `[batch]`,
 * one value per sample (Keras' and optax's convention). Reduction to a scalar is a separate,
 * named step ({@link reduceLoss}).
 *
 * Two optional properties travel with the function:
 * - `lossName`: a stable, human-readable description such as
 *   `masked(categoricalCrossentropy, target=digit, mask=isOdd)`, for logs and report keys.
 * - `sampleWeights`: the per-sample weights (`[batch]`) this loss has already multiplied into
 *   its values, so reductions such as `sumOverWeights` can divide by their sum. A loss without
 *   it is unweighted (every weight is 1).
 *
 * @example
 * const loss: Loss = categoricalCrossentropy();
 * const perSample = loss(tf.tensor2d([[0, 1]]), tf.tensor2d([[0.2, 0.8]])); // [0.2231]
 */
export interface Loss {
  (yTrue: tf.Tensor2D, yPred: tf.Tensor2D): tf.Tensor1D;
  readonly lossName?: string;
  readonly sampleWeights?: (yTrue: tf.Tensor2D) => tf.Tensor1D;
  /**
   * Set on categorical cross-entropy and on `sliced`, `masked` and `sampleWeighted` around it:
   * what the loss computes, as data, so that a fused training step can compute it and its
   * gradient without tensor ops ({@link CrossentropyTerms}).
   */
  readonly crossentropyTerms?: CrossentropyTerms;
}

/**
 * An element-wise loss: `yTrue` and `yPred` `[batch, k]` → `[batch, k]`, one value per sample
 * and column. {@link columnWeighted} and {@link meanOverColumns} turn it into a {@link Loss}.
 *
 * @example
 * const l1: ElementwiseLoss = absoluteError();
 * l1(tf.tensor2d([[0, 1]]), tf.tensor2d([[0.5, 0.5]])); // [[0.5, 0.5]]
 */
export interface ElementwiseLoss {
  (yTrue: tf.Tensor2D, yPred: tf.Tensor2D): tf.Tensor2D;
  readonly lossName?: string;
}

/**
 * Builds a {@link Loss} from a function: runs it inside `tf.tidy` (so intermediates never leak)
 * and attaches `lossName` and, when given, `sampleWeights` (also run inside `tf.tidy`).
 *
 * @example
 * const l2 = defineLoss('sumOfSquares', (y, p) => tf.sum(tf.square(tf.sub(y, p)), 1));
 */
export function defineLoss(
  lossName: string,
  compute: (yTrue: tf.Tensor2D, yPred: tf.Tensor2D) => tf.Tensor1D,
  sampleWeights?: (yTrue: tf.Tensor2D) => tf.Tensor1D,
): Loss {
  const loss = (yTrue: tf.Tensor2D, yPred: tf.Tensor2D): tf.Tensor1D => tf.tidy(() => compute(yTrue, yPred));
  const properties: { lossName: string; sampleWeights?: (yTrue: tf.Tensor2D) => tf.Tensor1D } = { lossName };
  if (sampleWeights !== undefined) {
    properties.sampleWeights = (yTrue: tf.Tensor2D): tf.Tensor1D => tf.tidy(() => sampleWeights(yTrue));
  }
  return Object.assign(loss, properties);
}

/**
 * Builds an {@link ElementwiseLoss} from a function, run inside `tf.tidy`, with a `lossName`.
 *
 * @example
 * const l1 = defineElementwiseLoss('absoluteError', (y, p) => tf.abs(tf.sub(y, p)));
 */
export function defineElementwiseLoss(
  lossName: string,
  compute: (yTrue: tf.Tensor2D, yPred: tf.Tensor2D) => tf.Tensor2D,
): ElementwiseLoss {
  const loss = (yTrue: tf.Tensor2D, yPred: tf.Tensor2D): tf.Tensor2D => tf.tidy(() => compute(yTrue, yPred));
  return Object.assign(loss, { lossName });
}

/** The `lossName` of a loss, or the function's own name, or `'loss'`. */
export const nameOf = (loss: Loss | ElementwiseLoss): string =>
  loss.lossName ?? (loss.name !== '' ? loss.name : 'loss');

/**
 * What a loss built from `categoricalCrossentropy` by `sliced`, `masked` and
 * `sampleWeighted` computes, as data: per sample
 * `L_i = w_i · −Σ_j t_ij · log(clip(p_ij, ε, 1 − ε))` with `t = yTrue[:, targetStart + j]`
 * (label-smoothed when `labelSmoothing` > 0), `w_i` the product of the columns
 * `weightColumns` (exactly 0 where one of them is 0; 1 when there are none). A fused training
 * step that owns the softmax reads it to compute the loss and its gradient w.r.t. the logits
 * without tensor ops (`softmaxCrossentropyOnHost`). Losses that do not carry it (every
 * other loss and combinator) are trained the straightforward way.
 */
export interface CrossentropyTerms {
  readonly epsilon: number;
  readonly labelSmoothing: number;
  /** The label width the loss expects; absent: the label is the target itself (its width equals the output's). */
  readonly labelWidth?: number;
  readonly targetStart: number;
  /** The target's width (the number of classes); absent together with `labelWidth`. */
  readonly targetWidth?: number;
  readonly weightColumns: readonly number[];
}
