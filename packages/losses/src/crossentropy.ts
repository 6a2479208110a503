import * as tf from '@tensorflow/tfjs-core';
import { checkLossInputs } from './guards.js';
import { requireOpenInterval } from './options.js';
import { withCrossentropyTerms } from './fused-crossentropy.js';
import { defineElementwiseLoss, defineLoss } from './types.js';
import type { ElementwiseLoss, Loss } from './types.js';

/** Options of the cross-entropy losses. */
export interface CrossentropyOptions {
  /** Probabilities are clipped to `[epsilon, 1 - epsilon]` so the log stays finite; default 1e-7 (Keras). */
  readonly epsilon?: number;
  /**
   * Label smoothing ε in [0, 1) (Szegedy et al. 2016; Keras' `label_smoothing`): the targets
   * become `y·(1 − ε) + ε/K`, K the number of classes (K = 2 for the binary losses). Default 0.
   */
  readonly labelSmoothing?: number;
}

/** Options of {@link categoricalCrossentropy}. */
export interface CategoricalCrossentropyOptions extends CrossentropyOptions {
  /**
   * Divide each row of `yPred` by its sum before clipping, as Keras does. Default `false`:
   * softmax rows already sum to 1, and then the value and the gradient w.r.t. the logits agree.
   */
  readonly normalize?: boolean;
}

/** `1 − x`, keeping the rank in the type. */
export const oneMinus = (x: tf.Tensor2D): tf.Tensor2D => tf.sub(1, x);

/** Keras' label smoothing: `y·(1 − ε) + ε/classes`; ε = 0 returns `y` itself. */
export const smoothLabels = (yTrue: tf.Tensor2D, epsilon: number, classes: number): tf.Tensor2D =>
  epsilon === 0 ? yTrue : tf.add(tf.mul(yTrue, 1 - epsilon), epsilon / classes);

/** Reads `labelSmoothing` (default 0), a number in [0, 1). */
export function requireLabelSmoothing(what: string, value: number | undefined): number {
  return value === undefined || value === 0 ? 0 : requireOpenInterval(`${what}: labelSmoothing`, value, 0, 1);
}

const clipProbabilities = (p: tf.Tensor2D, epsilon: number): tf.Tensor2D => tf.clipByValue(p, epsilon, 1 - epsilon);

/**
 * Categorical cross-entropy on probabilities, per sample:
 * `L_i = −Σ_j y_ij · log(clip(p_ij, ε, 1 − ε))`. `yTrue`, `yPred`: `[batch, k]` → `[batch]`.
 * With `labelSmoothing: s`, `y_ij` is first replaced by `y_ij·(1 − s) + s/k`.
 *
 * @example
 * const cce = categoricalCrossentropy();
 * cce(tf.tensor2d([[0, 1, 0]]), tf.tensor2d([[0.1, 0.7, 0.2]])); // [−log 0.7] = [0.3567]
 */
export function categoricalCrossentropy(options: CategoricalCrossentropyOptions = {}): Loss {
  const epsilon = requireOpenInterval('categoricalCrossentropy: epsilon', options.epsilon ?? 1e-7, 0, 0.5);
  const normalize = options.normalize ?? false;
  const smoothing = requireLabelSmoothing('categoricalCrossentropy', options.labelSmoothing);
  const loss = defineLoss('categoricalCrossentropy', (yTrue, yPred) => {
    checkLossInputs('categoricalCrossentropy', yTrue, yPred);
    const probabilities: tf.Tensor2D = normalize ? tf.div(yPred, tf.sum(yPred, 1, true)) : yPred;
    const targets = smoothLabels(yTrue, smoothing, yTrue.shape[1]);
    return tf.neg(tf.sum<tf.Tensor1D>(tf.mul(targets, tf.log(clipProbabilities(probabilities, epsilon))), 1));
  });
  // Row normalisation has a gradient of its own that the fused step does not compute.
  return withCrossentropyTerms(
    loss,
    normalize ? undefined : { epsilon, labelSmoothing: smoothing, targetStart: 0, weightColumns: [] },
  );
}

/**
 * Binary cross-entropy per element on probabilities:
 * `L_ij = −(y_ij · log(p̂_ij) + (1 − y_ij) · log(1 − p̂_ij))`, `p̂ = clip(p, ε, 1 − ε)`.
 * `yTrue`, `yPred`: `[batch, k]` → `[batch, k]`. With `labelSmoothing: s`, `y ← y·(1 − s) + s/2` (Keras).
 *
 * @example
 * binaryCrossentropyElementwise()(tf.tensor2d([[1, 0]]), tf.tensor2d([[0.8, 0.4]])); // [[0.2231, 0.5108]]
 */
export function binaryCrossentropyElementwise(options: CrossentropyOptions = {}): ElementwiseLoss {
  const epsilon = requireOpenInterval('binaryCrossentropyElementwise: epsilon', options.epsilon ?? 1e-7, 0, 0.5);
  const smoothing = requireLabelSmoothing('binaryCrossentropyElementwise', options.labelSmoothing);
  return defineElementwiseLoss('binaryCrossentropyElementwise', (yTrue, yPred) => {
    checkLossInputs('binaryCrossentropyElementwise', yTrue, yPred);
    const p = clipProbabilities(yPred, epsilon);
    const targets = smoothLabels(yTrue, smoothing, 2);
    const positive: tf.Tensor2D = tf.mul(targets, tf.log(p));
    const negative: tf.Tensor2D = tf.mul(oneMinus(targets), tf.log(oneMinus(p)));
    return tf.neg(tf.add<tf.Tensor2D>(positive, negative));
  });
}

/**
 * Binary cross-entropy per sample, the mean over the columns (Keras `binary_crossentropy`):
 * `L_i = (1/k) Σ_j −(y_ij log p̂_ij + (1 − y_ij) log(1 − p̂_ij))`. `[batch, k]` → `[batch]`.
 *
 * @example
 * binaryCrossentropy()(tf.tensor2d([[1, 0]]), tf.tensor2d([[0.8, 0.4]])); // [(0.2231 + 0.5108) / 2] = [0.3670]
 */
export function binaryCrossentropy(options: CrossentropyOptions = {}): Loss {
  const epsilon = requireOpenInterval('binaryCrossentropy: epsilon', options.epsilon ?? 1e-7, 0, 0.5);
  const smoothing = requireLabelSmoothing('binaryCrossentropy', options.labelSmoothing);
  const elementwise = binaryCrossentropyElementwise({ epsilon, labelSmoothing: smoothing });
  return defineLoss('binaryCrossentropy', (yTrue, yPred) => {
    checkLossInputs('binaryCrossentropy', yTrue, yPred);
    return tf.mean(elementwise(yTrue, yPred), 1);
  });
}
