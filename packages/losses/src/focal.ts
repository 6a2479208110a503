import * as tf from '@tensorflow/tfjs-core';
import { LosslabError } from '@losslab/runtime';
import { binaryCrossentropyElementwise, oneMinus } from './crossentropy.js';
import { checkLossInputs } from './guards.js';
import { isArray, requireAtLeast, requireOpenInterval, requireWeights } from './options.js';
import { defineLoss } from './types.js';
import type { Loss } from './types.js';

/** Options of {@link focal}. */
export interface FocalOptions {
  /** Focusing parameter γ ≥ 0; default 2 (Lin et al. 2017). γ = 0 gives plain cross-entropy. */
  readonly gamma?: number;
  /**
   * Class-balancing factor; default 0.25; `null` turns it off.
   * - A number α in [0, 1]. Binary: the positive class gets α and the negative 1 − α (Keras
   *   `BinaryFocalCrossentropy(apply_class_balancing)`). Categorical: every term is scaled by α
   *   (Keras `CategoricalFocalCrossentropy`).
   * - A vector of weights, each finite and ≥ 0 (not capped at 1, so class-balanced weights such
   *   as `classWeights(counts, { kind: 'balanced' })` fit). Categorical: one weight per column,
   *   `α_j` scales the term of class j. Binary: exactly two, `[α_negative, α_positive]`, shared by
   *   every column (a number α is the same as `[1 − α, α]`). The length is checked against
   *   `yPred` when the loss is called (when `kind: 'binary'` is given, already here).
   */
  readonly alpha?: number | readonly number[] | null;
  /**
   * `binary`: sigmoid probabilities, one value per column, mean over the columns.
   * `categorical`: a probability distribution over the k columns. Default: binary for one
   * column, categorical for more.
   */
  readonly kind?: 'binary' | 'categorical';
  /** Clip probabilities to `[epsilon, 1 − epsilon]`; default 1e-7. */
  readonly epsilon?: number;
}

const shapeText = (t: tf.Tensor): string => `[${t.shape.join(', ')}]`;

/** Throws `INVALID_ARGUMENT` unless `alpha` is a number in [0, 1], a vector of weights ≥ 0 or null. */
function requireAlpha(alpha: number | readonly number[] | null): number | readonly number[] | null {
  if (alpha === null) return null;
  if (isArray(alpha)) return [...requireWeights('focal: alpha', alpha)];
  if (typeof alpha !== 'number' || !Number.isFinite(alpha) || alpha < 0 || alpha > 1) {
    throw new LosslabError(
      'INVALID_ARGUMENT',
      `focal: alpha: expected a number in [0, 1], an array of weights >= 0 or null, got ${String(alpha)}`,
    );
  }
  return alpha;
}

/** Throws `SHAPE_MISMATCH` unless the binary `alpha` vector is `[α_negative, α_positive]`. */
function requireBinaryPair(alpha: readonly number[], yPred?: tf.Tensor): readonly [number, number] {
  const [negative, positive] = alpha;
  if (alpha.length !== 2 || negative === undefined || positive === undefined) {
    const context = yPred === undefined ? 'kind: "binary"' : `binary focal, yPred shape ${shapeText(yPred)}`;
    throw new LosslabError(
      'SHAPE_MISMATCH',
      `focal: alpha: expected 2 weights [α_negative, α_positive] (${context}), got ${alpha.length}`,
    );
  }
  return [negative, positive];
}

/**
 * Focal loss (Lin et al. 2017), per sample, on probabilities `p̂ = clip(p, ε, 1 − ε)`:
 * - binary: `L_i = (1/k) Σ_j α_t (1 − p_t)^γ · BCE(y_ij, p̂_ij)` with `p_t = y p̂ + (1 − y)(1 − p̂)`,
 *   `α_t = y α + (1 − y)(1 − α)` for a number α, `α_t = y α[1] + (1 − y) α[0]` for a vector
 *   `[α_negative, α_positive]` (for hard labels `BCE = −log p_t`);
 * - categorical: `L_i = −Σ_j α_j · y_ij (1 − p̂_ij)^γ log p̂_ij`, with `α_j = α` for a number and
 *   one weight per column for a vector (its length must equal k).
 * Without α (`alpha: null`) the α factor is left out. With `gamma: 0, alpha: null` it equals
 * `binaryCrossentropy` / `categoricalCrossentropy`. `[batch, k]` → `[batch]`.
 *
 * @example
 * focal()(tf.tensor2d([[1]]), tf.tensor2d([[0.9]])); // [0.25 · 0.1² · −log 0.9] = [0.000263]
 * // per-class α for three softmax classes, e.g. scikit-learn-style balanced weights:
 * focal({ alpha: classWeights([70, 20, 10], { kind: 'balanced' }) })(yTrue, yPred); // α = [0.476, 1.667, 3.333]
 * // binary, one sigmoid column: negatives weighted 1, positives 4
 * focal({ alpha: [1, 4] })(tf.tensor2d([[1], [0]]), tf.tensor2d([[0.9], [0.3]]));
 */
export function focal(options: FocalOptions = {}): Loss {
  const gamma = requireAtLeast('focal: gamma', options.gamma ?? 2, 0);
  const alpha = requireAlpha(options.alpha === undefined ? 0.25 : options.alpha);
  const epsilon = requireOpenInterval('focal: epsilon', options.epsilon ?? 1e-7, 0, 0.5);
  const kind = options.kind;
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- a guard for JavaScript callers (the type rules it out)
  if (kind !== undefined && kind !== 'binary' && kind !== 'categorical') {
    throw new LosslabError('INVALID_ARGUMENT', `focal: kind: expected "binary" or "categorical", got ${String(kind)}`);
  }
  if (kind === 'binary' && isArray(alpha)) requireBinaryPair(alpha);
  // (1 − x)^γ; skipped for γ = 0 so that case is exactly cross-entropy.
  const modulating = (base: tf.Tensor2D): tf.Tensor2D | undefined =>
    gamma === 0 ? undefined : tf.pow<tf.Tensor2D>(base, gamma);
  const crossentropy = binaryCrossentropyElementwise({ epsilon });
  return defineLoss('focal', (yTrue, yPred) => {
    checkLossInputs('focal', yTrue, yPred);
    const binary = (kind ?? (yPred.shape[1] === 1 ? 'binary' : 'categorical')) === 'binary';
    // The α vector's length is checked before any tensor is made.
    let alphaPair: readonly [number, number] | undefined;
    if (alpha !== null) {
      if (!binary && isArray(alpha) && alpha.length !== yPred.shape[1]) {
        throw new LosslabError(
          'SHAPE_MISMATCH',
          `focal: alpha: expected ${yPred.shape[1]} weights (one per column of yPred, shape ${shapeText(yPred)}), got ${alpha.length}`,
        );
      }
      if (binary) alphaPair = isArray(alpha) ? requireBinaryPair(alpha, yPred) : [1 - alpha, alpha];
    }
    const p = tf.clipByValue(yPred, epsilon, 1 - epsilon);
    if (binary) {
      const oneMinusY = oneMinus(yTrue);
      const oneMinusP = oneMinus(p);
      let terms = crossentropy(yTrue, yPred);
      const pT: tf.Tensor2D = tf.add(tf.mul(yTrue, p), tf.mul(oneMinusY, oneMinusP));
      const factor = modulating(oneMinus(pT));
      if (factor !== undefined) terms = tf.mul(terms, factor);
      if (alphaPair !== undefined) {
        const [negative, positive] = alphaPair;
        terms = tf.mul(terms, tf.add<tf.Tensor2D>(tf.mul(yTrue, positive), tf.mul(oneMinusY, negative)));
      }
      return tf.mean(terms, 1);
    }
    let terms = tf.neg(tf.mul<tf.Tensor2D>(yTrue, tf.log(p)));
    const factor = modulating(oneMinus(p));
    if (factor !== undefined) terms = tf.mul(terms, factor);
    if (alpha !== null) terms = tf.mul(terms, isArray(alpha) ? tf.tensor2d([[...alpha]]) : alpha);
    return tf.sum(terms, 1);
  });
}
