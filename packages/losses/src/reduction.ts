import * as tf from '@tensorflow/tfjs-core';
import { LosslabError } from '@losslab/runtime';
import { DEFAULT_REDUCTION, SCALAR_REDUCTIONS, type ScalarReduction } from '@losslab/schema';
import type { Loss } from './types.js';

/**
 * How per-sample losses `l_i` (already multiplied by their weights `w_i`) become one number.
 * The peers disagree, so each convention has its own name:
 * - `none`: keep `[batch]`.
 * - `sum`: `Σ l_i`.
 * - `sumOverBatchSize`: `Σ l_i / batch` — Keras' default (`sum_over_batch_size`), also for
 *   `class_weight`/`sample_weight` (MAE with weights [0, 1] gives 0.5), and PyTorch's
 *   `reduction='mean'` for unweighted losses. losslab's default.
 * - `sumOverWeights`: `Σ l_i / Σ w_i` — Keras ≥ 3.7 `mean_with_sample_weight`, PyTorch's
 *   weighted cross-entropy (`weight=`, `reduction='mean'`). MAE with weights [0, 1] gives 1.0.
 * - `sumOverNonzeroWeights`: `Σ l_i / #{i : w_i ≠ 0}` — TF.js core's default
 *   `Reduction.SUM_BY_NONZERO_WEIGHTS` (`tf.losses.*`).
 * A batch whose weights are all zero reduces to 0 (like Keras' `divide_no_nan`), never NaN.
 */
export type Reduction = 'none' | ScalarReduction;

/** The reductions that give a scalar (every {@link Reduction} except `none`): `@losslab/schema` lists them. */
export type { ScalarReduction };

/** Every {@link Reduction}, for validation and CLI help. */
export const REDUCTIONS: readonly Reduction[] = ['none', ...SCALAR_REDUCTIONS];

/** The reduction used when none is named (Keras' default), decided once in `@losslab/schema`. */
export { DEFAULT_REDUCTION };

/** Throws `INVALID_ARGUMENT` unless `value` is a {@link Reduction} name; the message lists them. */
export function requireReduction(value: string): Reduction {
  if (!(REDUCTIONS as readonly string[]).includes(value)) {
    throw new LosslabError('INVALID_ARGUMENT', `reduction: expected one of ${REDUCTIONS.join(', ')}, got "${value}"`);
  }
  return value as Reduction;
}

/**
 * `numerator / denominator`, or 0 where the denominator is 0. Not `tf.divNoNan`: its zero test
 * runs on the quotient, so `tf.grad` through it fails ("gradient function not found for Equal").
 * Here the test depends on the denominator (from the labels) only.
 */
function divideOrZero(numerator: tf.Scalar, denominator: tf.Scalar): tf.Scalar {
  const isZero = tf.equal(denominator, 0);
  const safeDenominator = tf.where(isZero, tf.onesLike(denominator), denominator);
  return tf.where(isZero, tf.zerosLike(numerator), tf.div<tf.Scalar>(numerator, safeDenominator));
}

/**
 * Reduces per-sample losses `[batch]` by a named {@link Reduction}. `appliedWeights` (`[batch]`)
 * are the weights already multiplied into `perSample` (a weighted loss's `sampleWeights`); they
 * are NOT applied again, only used for the `sumOverWeights` / `sumOverNonzeroWeights`
 * denominators. Without them every weight is 1. Returns a new tensor (`[batch]` for `none`).
 *
 * @example
 * reducePerSample(tf.tensor1d([0, 1]), 'sumOverBatchSize', tf.tensor1d([0, 1])); // 0.5
 * reducePerSample(tf.tensor1d([0, 1]), 'sumOverWeights', tf.tensor1d([0, 1]));   // 1.0
 */
export function reducePerSample(perSample: tf.Tensor1D, reduction: 'none', appliedWeights?: tf.Tensor1D): tf.Tensor1D;
export function reducePerSample(
  perSample: tf.Tensor1D,
  reduction: ScalarReduction,
  appliedWeights?: tf.Tensor1D,
): tf.Scalar;
export function reducePerSample(perSample: tf.Tensor1D, reduction: Reduction, appliedWeights?: tf.Tensor1D): tf.Tensor;
export function reducePerSample(perSample: tf.Tensor1D, reduction: Reduction, appliedWeights?: tf.Tensor1D): tf.Tensor {
  requireReduction(reduction);
  if (perSample.rank !== 1) {
    throw new LosslabError(
      'SHAPE_MISMATCH',
      `reducePerSample: perSample must be rank 1 [batch], got shape [${perSample.shape.join(', ')}]`,
    );
  }
  const batch = perSample.shape[0];
  if (batch === 0)
    throw new LosslabError('INVALID_ARGUMENT', 'reducePerSample: perSample is empty (batch of 0 samples)');
  if (appliedWeights !== undefined && (appliedWeights.rank !== 1 || appliedWeights.shape[0] !== batch)) {
    throw new LosslabError(
      'SHAPE_MISMATCH',
      `reducePerSample: appliedWeights must have shape [${batch}] like perSample, got [${appliedWeights.shape.join(', ')}]`,
    );
  }
  return tf.tidy(() => {
    switch (reduction) {
      case 'none':
        return tf.clone(perSample);
      case 'sum':
        return tf.sum(perSample);
      case 'sumOverBatchSize':
        return tf.div(tf.sum(perSample), batch);
      case 'sumOverWeights':
        return appliedWeights === undefined
          ? tf.div(tf.sum(perSample), batch)
          : divideOrZero(tf.sum(perSample), tf.sum(appliedWeights));
      case 'sumOverNonzeroWeights':
        return appliedWeights === undefined
          ? tf.div(tf.sum(perSample), batch)
          : divideOrZero(tf.sum(perSample), tf.sum(tf.cast(tf.notEqual(appliedWeights, 0), 'float32')));
    }
  });
}

/**
 * Computes `loss(yTrue, yPred)` and reduces it to a scalar by `reduction` (default
 * `sumOverBatchSize`, Keras' default), dividing by the loss's own `sampleWeights` where the
 * reduction needs them. This is the one call the training loop makes; it is differentiable and
 * leaves no intermediate tensors behind.
 *
 * @example
 * const layout = labelLayout({ y: 1, w: 1 });
 * const loss = sampleWeighted(meanAbsoluteError(), layout, { target: 'y', weight: 'w' });
 * reduceLoss(loss, tf.tensor2d([[0, 0], [1, 1]]), tf.tensor2d([[1], [0]]));                   // 0.5
 * reduceLoss(loss, tf.tensor2d([[0, 0], [1, 1]]), tf.tensor2d([[1], [0]]), 'sumOverWeights'); // 1.0
 */
export function reduceLoss(
  loss: Loss,
  yTrue: tf.Tensor2D,
  yPred: tf.Tensor2D,
  reduction: ScalarReduction = DEFAULT_REDUCTION,
): tf.Scalar {
  if (reduction === ('none' as string)) {
    throw new LosslabError(
      'INVALID_ARGUMENT',
      'reduceLoss: reduction "none" does not give a scalar; call the loss itself',
    );
  }
  requireReduction(reduction);
  return tf.tidy(() => {
    const perSample = loss(yTrue, yPred);
    const needsWeights = reduction === 'sumOverWeights' || reduction === 'sumOverNonzeroWeights';
    const weights = needsWeights && loss.sampleWeights !== undefined ? loss.sampleWeights(yTrue) : undefined;
    return reducePerSample(perSample, reduction, weights);
  });
}
