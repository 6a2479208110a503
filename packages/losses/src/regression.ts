import * as tf from '@tensorflow/tfjs-core';
import { checkLossInputs } from './guards.js';
import { requirePositive } from './options.js';
import { defineElementwiseLoss, defineLoss } from './types.js';
import type { ElementwiseLoss, Loss } from './types.js';

/**
 * Absolute error per element: `|y_ij − p_ij|`. `[batch, k]` → `[batch, k]`.
 *
 * @example
 * absoluteError()(tf.tensor2d([[0, 1]]), tf.tensor2d([[0.25, 0.5]])); // [[0.25, 0.5]]
 */
export function absoluteError(): ElementwiseLoss {
  return defineElementwiseLoss('absoluteError', (yTrue, yPred) => {
    checkLossInputs('absoluteError', yTrue, yPred);
    return tf.abs(tf.sub<tf.Tensor2D>(yTrue, yPred));
  });
}

/**
 * Squared error per element: `(y_ij − p_ij)²`. `[batch, k]` → `[batch, k]`.
 *
 * @example
 * squaredError()(tf.tensor2d([[0, 1]]), tf.tensor2d([[0.25, 0.5]])); // [[0.0625, 0.25]]
 */
export function squaredError(): ElementwiseLoss {
  return defineElementwiseLoss('squaredError', (yTrue, yPred) => {
    checkLossInputs('squaredError', yTrue, yPred);
    return tf.squaredDifference(yTrue, yPred);
  });
}

/** Options of {@link huber} and {@link huberElementwise}. */
export interface HuberOptions {
  /** Where the loss turns from quadratic to linear; default 1 (Keras). Must be > 0. */
  readonly delta?: number;
}

/**
 * Huber loss per element, with `x = y − p`: `½x²` if `|x| ≤ δ`, else `δ(|x| − ½δ)`.
 * `[batch, k]` → `[batch, k]`.
 *
 * @example
 * huberElementwise()(tf.tensor2d([[0, 0]]), tf.tensor2d([[0.5, 3]])); // [[0.125, 2.5]]
 */
export function huberElementwise(options: HuberOptions = {}): ElementwiseLoss {
  const delta = requirePositive('huberElementwise: delta', options.delta ?? 1);
  return defineElementwiseLoss('huberElementwise', (yTrue, yPred) => {
    checkLossInputs('huberElementwise', yTrue, yPred);
    const absolute = tf.abs(tf.sub(yTrue, yPred));
    // Splitting |x| into a clipped quadratic part and a linear rest keeps the gradient smooth at δ.
    const quadratic = tf.minimum(absolute, delta);
    const linear = tf.sub(absolute, quadratic);
    return tf.add(tf.mul(0.5, tf.square(quadratic)), tf.mul(delta, linear));
  });
}

/**
 * Turns an element-wise loss into a per-sample {@link Loss} by the mean over the columns,
 * as Keras' regression losses do. `[batch, k]` → `[batch]`.
 *
 * @example
 * const mae = meanOverColumns(absoluteError()); // the same values as meanAbsoluteError()
 */
export function meanOverColumns(elementwise: ElementwiseLoss, lossName?: string): Loss {
  const name = lossName ?? `meanOverColumns(${elementwise.lossName ?? 'elementwise'})`;
  return defineLoss(name, (yTrue, yPred) => tf.mean(elementwise(yTrue, yPred), 1));
}

/**
 * Mean absolute error per sample (Keras `mean_absolute_error`): `L_i = (1/k) Σ_j |y_ij − p_ij|`.
 * `[batch, k]` → `[batch]`.
 *
 * @example
 * meanAbsoluteError()(tf.tensor2d([[0, 1]]), tf.tensor2d([[0.25, 0.5]])); // [0.375]
 */
export function meanAbsoluteError(): Loss {
  return meanOverColumns(absoluteError(), 'meanAbsoluteError');
}

/**
 * Mean squared error per sample (Keras `mean_squared_error`): `L_i = (1/k) Σ_j (y_ij − p_ij)²`.
 * `[batch, k]` → `[batch]`.
 *
 * @example
 * meanSquaredError()(tf.tensor2d([[0, 1]]), tf.tensor2d([[0.25, 0.5]])); // [0.15625]
 */
export function meanSquaredError(): Loss {
  return meanOverColumns(squaredError(), 'meanSquaredError');
}

/**
 * Huber loss per sample (Keras `huber`): the mean over the columns of {@link huberElementwise}.
 * `[batch, k]` → `[batch]`.
 *
 * @example
 * huber({ delta: 1 })(tf.tensor2d([[0, 0]]), tf.tensor2d([[0.5, 3]])); // [(0.125 + 2.5) / 2] = [1.3125]
 */
export function huber(options: HuberOptions = {}): Loss {
  return meanOverColumns(huberElementwise(options), 'huber');
}
