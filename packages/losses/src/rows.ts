import * as tf from '@tensorflow/tfjs-core';
import { checkLabelWidth, sliceBlock } from '@losslab/runtime';
import type { LabelLayout } from '@losslab/runtime';
import { targetColumns } from './guards.js';

/**
 * `values_i · weights_i`, but exactly 0 wherever `weights_i` is 0: `tf.where` keeps a
 * non-finite value of a dropped row out of the result, and its gradient w.r.t. that row is 0.
 */
export function weightRows(values: tf.Tensor1D, weights: tf.Tensor1D): tf.Tensor1D {
  const kept = tf.notEqual(weights, 0);
  return tf.where(kept, tf.mul<tf.Tensor1D>(values, weights), tf.zerosLike(values));
}

/**
 * The value a dropped row's labels and predictions are replaced by before an inner loss runs.
 * 0.5 lies inside (0, 1), so logs, `1 − p`, divisions by row sums and clipping all stay finite
 * for the probability and regression losses; the row's value is discarded anyway.
 */
const SAFE_ROW_VALUE = 0.5;

/**
 * `x` (`[batch, k]`) with every row where `kept` (`[batch]`, bool) is false replaced by
 * {@link SAFE_ROW_VALUE}. The gradient w.r.t. `x` of such a row is exactly 0, and the inner loss
 * never sees its NaN or Infinity, so its own gradient there stays finite (0 · finite = 0).
 *
 * @example
 * safeRows(tf.tensor2d([[1, 2], [NaN, 3]]), tf.tensor1d([true, false], 'bool')); // [[1, 2], [0.5, 0.5]]
 */
export function safeRows(x: tf.Tensor2D, kept: tf.Tensor1D): tf.Tensor2D {
  return tf.where(tf.reshape(kept, [-1, 1]), x, tf.fill(x.shape, SAFE_ROW_VALUE));
}

/**
 * The labels an inner loss sees: block `target` of `yTrue` (after checking the label width and
 * the model output width), or the whole label when no target is named.
 */
export function labelsFor(
  who: string,
  yTrue: tf.Tensor2D,
  yPred: tf.Tensor2D,
  layout: LabelLayout,
  target: string | undefined,
): tf.Tensor2D {
  if (target === undefined) {
    checkLabelWidth(layout, yTrue, `${who}: yTrue`);
    return yTrue;
  }
  return targetColumns(who, yTrue, yPred, layout, target);
}

/** Block `target` of `yTrue`, or the whole label when no target is named (no output check). */
export function labelsForWeights(yTrue: tf.Tensor2D, layout: LabelLayout, target: string | undefined): tf.Tensor2D {
  return target === undefined ? yTrue : sliceBlock(yTrue, layout, target);
}
