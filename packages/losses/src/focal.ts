import * as tf from '@tensorflow/tfjs-core';
import { LosslabError } from '@losslab/runtime';
import { binaryCrossentropyElementwise, oneMinus } from './crossentropy';
import { checkLossInputs } from './guards';
import { requireAtLeast, requireOpenInterval } from './options';
import { defineLoss } from './types';
import type { Loss } from './types';

/** Options of {@link focal}. */
export interface FocalOptions {
  /** Focusing parameter γ ≥ 0; default 2 (Lin et al. 2017). γ = 0 gives plain cross-entropy. */
  readonly gamma?: number;
  /**
   * Class-balancing factor α in [0, 1], default 0.25; `null` turns it off. Binary: the positive
   * class gets α and the negative 1 − α (Keras `BinaryFocalCrossentropy(apply_class_balancing)`).
   * Categorical: every term is scaled by α (Keras `CategoricalFocalCrossentropy`).
   */
  readonly alpha?: number | null;
  /**
   * `binary`: sigmoid probabilities, one value per column, mean over the columns.
   * `categorical`: a probability distribution over the k columns. Default: binary for one
   * column, categorical for more.
   */
  readonly kind?: 'binary' | 'categorical';
  /** Clip probabilities to `[epsilon, 1 − epsilon]`; default 1e-7. */
  readonly epsilon?: number;
}

/**
 * Focal loss (Lin et al. 2017), per sample, on probabilities `p̂ = clip(p, ε, 1 − ε)`:
 * - binary: `L_i = (1/k) Σ_j α_t (1 − p_t)^γ · BCE(y_ij, p̂_ij)` with `p_t = y p̂ + (1 − y)(1 − p̂)`,
 *   `α_t = y α + (1 − y)(1 − α)` (for hard labels `BCE = −log p_t`);
 * - categorical: `L_i = −Σ_j α · y_ij (1 − p̂_ij)^γ log p̂_ij`.
 * With `gamma: 0, alpha: null` it equals `binaryCrossentropy` / `categoricalCrossentropy`.
 * `[batch, k]` → `[batch]`.
 *
 * @example
 * focal()(tf.tensor2d([[1]]), tf.tensor2d([[0.9]])); // [0.25 · 0.1² · −log 0.9] = [0.000263]
 */
export function focal(options: FocalOptions = {}): Loss {
  const gamma = requireAtLeast('focal: gamma', options.gamma ?? 2, 0);
  const alpha = options.alpha === undefined ? 0.25 : options.alpha;
  if (alpha !== null && (!Number.isFinite(alpha) || alpha < 0 || alpha > 1)) {
    throw new LosslabError(
      'INVALID_ARGUMENT',
      `focal: alpha: expected a number in [0, 1] or null, got ${String(alpha)}`,
    );
  }
  const epsilon = requireOpenInterval('focal: epsilon', options.epsilon ?? 1e-7, 0, 0.5);
  const kind = options.kind;
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- a guard for JavaScript callers (the type rules it out)
  if (kind !== undefined && kind !== 'binary' && kind !== 'categorical') {
    throw new LosslabError('INVALID_ARGUMENT', `focal: kind: expected "binary" or "categorical", got ${String(kind)}`);
  }
  // (1 − x)^γ; skipped for γ = 0 so that case is exactly cross-entropy.
  const modulating = (base: tf.Tensor2D): tf.Tensor2D | undefined =>
    gamma === 0 ? undefined : tf.pow<tf.Tensor2D>(base, gamma);
  const crossentropy = binaryCrossentropyElementwise({ epsilon });
  return defineLoss('focal', (yTrue, yPred) => {
    checkLossInputs('focal', yTrue, yPred);
    const p = tf.clipByValue(yPred, epsilon, 1 - epsilon);
    const binary = (kind ?? (yPred.shape[1] === 1 ? 'binary' : 'categorical')) === 'binary';
    if (binary) {
      const oneMinusY = oneMinus(yTrue);
      const oneMinusP = oneMinus(p);
      let terms = crossentropy(yTrue, yPred);
      const pT: tf.Tensor2D = tf.add(tf.mul(yTrue, p), tf.mul(oneMinusY, oneMinusP));
      const factor = modulating(oneMinus(pT));
      if (factor !== undefined) terms = tf.mul(terms, factor);
      if (alpha !== null)
        terms = tf.mul(terms, tf.add<tf.Tensor2D>(tf.mul(yTrue, alpha), tf.mul(oneMinusY, 1 - alpha)));
      return tf.mean(terms, 1);
    }
    let terms = tf.neg(tf.mul<tf.Tensor2D>(yTrue, tf.log(p)));
    const factor = modulating(oneMinus(p));
    if (factor !== undefined) terms = tf.mul(terms, factor);
    if (alpha !== null) terms = tf.mul(terms, alpha);
    return tf.sum(terms, 1);
  });
}
