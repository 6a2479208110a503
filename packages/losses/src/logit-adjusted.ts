import * as tf from '@tensorflow/tfjs-core';
import { LosslabError } from '@losslab/runtime';
import { requireLabelSmoothing, smoothLabels } from './crossentropy.js';
import { checkLossInputs } from './guards.js';
import { isArray } from './options.js';
import { defineLoss } from './types.js';
import type { Loss } from './types.js';

/**
 * The logit-adjusting losses for long-tailed classification. They read logits (the model's output
 * activation is `linear`); evaluation turns logits into probabilities with a softmax.
 */

/** Options of {@link softmaxCrossentropy}. */
export interface SoftmaxCrossentropyOptions {
  /** Label smoothing ε in [0, 1): targets `y·(1 − ε) + ε/K` (Keras). Default 0. */
  readonly labelSmoothing?: number;
}

/** Options of {@link logitAdjusted}. */
export interface LogitAdjustedOptions extends SoftmaxCrossentropyOptions {
  /** τ ≥ 0 (finite): how strongly the priors shift the logits; Menon et al. use τ = 1. */
  readonly tau: number;
  /** Training samples per class, `n_j > 0` (the training split after transforms). */
  readonly counts: readonly number[];
}

/** Options of {@link balancedSoftmax}. */
export interface BalancedSoftmaxOptions extends SoftmaxCrossentropyOptions {
  /** Training samples per class, `n_j > 0` (the training split after transforms). */
  readonly counts: readonly number[];
}

/**
 * Softmax cross-entropy on logits, per sample: `L_i = −Σ_j y_ij · log softmax(z_i)_j`, computed as
 * `−Σ_j y_ij · (z_ij − logsumexp(z_i))` so that large logits stay finite. `yTrue`, `yPred` (the
 * logits `z`): `[batch, k]` → `[batch]`. Keras' `categorical_crossentropy(from_logits=True)`.
 *
 * @example
 * softmaxCrossentropy()(tf.tensor2d([[0, 1]]), tf.tensor2d([[0, 0]])); // [log 2] = [0.6931]
 */
export function softmaxCrossentropy(options: SoftmaxCrossentropyOptions = {}): Loss {
  const smoothing = requireLabelSmoothing('softmaxCrossentropy', options.labelSmoothing);
  return defineLoss('softmaxCrossentropy', (yTrue, logits) => crossentropyOnLogits(yTrue, logits, smoothing));
}

function crossentropyOnLogits(yTrue: tf.Tensor2D, logits: tf.Tensor2D, smoothing: number): tf.Tensor1D {
  checkLossInputs('softmaxCrossentropy', yTrue, logits);
  const targets = smoothLabels(yTrue, smoothing, yTrue.shape[1]);
  return tf.neg(tf.sum<tf.Tensor1D>(tf.mul(targets, tf.logSoftmax(logits)), 1));
}

/**
 * The offsets logit adjustment adds to the logits: `τ · log π_j` with `π_j = n_j / Σ n`, the class
 * priors. Softmax is unchanged by adding one constant to every logit, so the loss itself cannot
 * tell `τ·log π` from `τ·log n` (they differ by `τ·log N`); these offsets are the documented
 * intermediate, and they are what a post-hoc adjustment (`z_y − τ·log π_y`) subtracts.
 *
 * @example
 * logitAdjustments([3, 1], 1); // [log 0.75, log 0.25] = [−0.2877, −1.3863]
 */
export function logitAdjustments(counts: readonly number[], tau: number): number[] {
  if (!Number.isFinite(tau) || tau < 0) {
    throw new LosslabError('INVALID_ARGUMENT', `logitAdjusted: tau: expected a finite number >= 0, got ${String(tau)}`);
  }
  const total = requireCounts('logitAdjusted', counts).reduce((a, b) => a + b, 0);
  return counts.map((count) => tau * Math.log(count / total));
}

/** Counts must be positive: a class never seen in training has prior 0 and offset −∞. */
export function requireCounts(what: string, counts: readonly number[]): readonly number[] {
  if (!isArray(counts) || counts.length < 2) {
    throw new LosslabError('INVALID_ARGUMENT', `${what}: counts: expected one count per class (at least 2)`);
  }
  counts.forEach((count, j) => {
    if (typeof count !== 'number' || !Number.isFinite(count) || count <= 0) {
      throw new LosslabError(
        'INVALID_ARGUMENT',
        `${what}: counts[${j}]: expected a training count > 0 (class ${j} has no training samples, so its prior would be 0), got ${String(count)}`,
      );
    }
  });
  return counts;
}

/** Softmax cross-entropy on `z + offsets`, offsets one per class. */
function adjustedCrossentropy(name: string, offsets: readonly number[], smoothing: number): Loss {
  return defineLoss(name, (yTrue, logits) => {
    checkLossInputs(name, yTrue, logits);
    if (logits.shape[1] !== offsets.length) {
      throw new LosslabError(
        'INVALID_ARGUMENT',
        `${name}: yPred has ${logits.shape[1]} columns but there are ${offsets.length} class counts`,
      );
    }
    return crossentropyOnLogits(yTrue, tf.add(logits, tf.tensor1d([...offsets])), smoothing);
  });
}

/**
 * Logit-adjusted loss (Menon et al., "Long-tail learning via logit adjustment", ICLR 2021, eq. 10):
 * softmax cross-entropy on the adjusted logits, per sample
 * `L_i = −Σ_j y_ij · log softmax(z_i + τ·log π)_j`, `π_j = n_j / Σ n` the training class priors.
 * A rare class gets a large negative offset, so the model must give it a larger margin.
 * `yTrue` (one-hot), `yPred` (logits): `[batch, k]` → `[batch]`; `counts` has k entries.
 *
 * @example
 * // π = [0.75, 0.25], τ = 1, logits 0: −log(0.25) = 1.3863 for the rare class
 * logitAdjusted({ tau: 1, counts: [3, 1] })(tf.tensor2d([[0, 1]]), tf.tensor2d([[0, 0]])); // [1.3863]
 */
export function logitAdjusted(options: LogitAdjustedOptions): Loss {
  const smoothing = requireLabelSmoothing('logitAdjusted', options.labelSmoothing);
  return adjustedCrossentropy('logitAdjusted', logitAdjustments(options.counts, options.tau), smoothing);
}

/**
 * Balanced softmax (Ren et al., "Balanced Meta-Softmax for Long-Tailed Visual Recognition",
 * NeurIPS 2020, eq. 4): softmax cross-entropy on `z_j + log n_j`, per sample
 * `L_i = −Σ_j y_ij · log(n_j·e^{z_ij} / Σ_c n_c·e^{z_ic})`. It equals {@link logitAdjusted} at
 * τ = 1 (log n_j and log π_j differ by the constant log N, which softmax ignores).
 * `yTrue` (one-hot), `yPred` (logits): `[batch, k]` → `[batch]`; `counts` has k entries.
 *
 * @example
 * balancedSoftmax({ counts: [3, 1] })(tf.tensor2d([[0, 1]]), tf.tensor2d([[0, 0]])); // [−log(1/4)] = [1.3863]
 */
export function balancedSoftmax(options: BalancedSoftmaxOptions): Loss {
  const smoothing = requireLabelSmoothing('balancedSoftmax', options.labelSmoothing);
  const offsets = requireCounts('balancedSoftmax', options.counts).map((count) => Math.log(count));
  return adjustedCrossentropy('balancedSoftmax', offsets, smoothing);
}
