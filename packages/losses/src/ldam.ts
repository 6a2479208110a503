import * as tf from '@tensorflow/tfjs-core';
import { LosslabError } from '@losslab/runtime';
import { checkLossInputs } from './guards.js';
import { requireCounts } from './logit-adjusted.js';
import { requirePositive } from './options.js';
import { defineLoss } from './types.js';
import type { Loss } from './types.js';

/** Options of {@link ldam}. */
export interface LdamOptions {
  /** The largest margin, the rarest class's: `m` of the paper (0.5 there). Default 0.5; > 0. */
  readonly maxMargin?: number;
  /** The scale `s` the margined cosine logits are multiplied by (30 in the paper). Default 30; > 0. */
  readonly scale?: number;
  /** Training samples per class, `n_j > 0` (the training split after transforms). */
  readonly counts: readonly number[];
}

/**
 * LDAM's per-class margins: `Δ_j = C / n_j^{1/4}` with `C` chosen so that the largest margin (the
 * rarest class's) equals `maxMargin`, i.e. `Δ_j = maxMargin · min(n)^{1/4} / n_j^{1/4}`. Computed
 * as the reference does (`1/sqrt(sqrt(n))`, times `maxMargin / max`), in float64.
 *
 * @example
 * ldamMargins([16, 1], 0.5); // [0.25, 0.5]
 */
export function ldamMargins(counts: readonly number[], maxMargin: number): number[] {
  requirePositive('ldam: maxMargin', maxMargin);
  const raw = requireCounts('ldam', counts).map((count) => 1 / Math.sqrt(Math.sqrt(count)));
  const largest = Math.max(...raw);
  return raw.map((margin) => margin * (maxMargin / largest));
}

/**
 * Label-distribution-aware margin loss (Cao et al., "Learning Imbalanced Datasets with
 * Label-Distribution-Aware Margin Loss", NeurIPS 2019, eq. 13): softmax cross-entropy on the scaled
 * logits with the true class's margin subtracted, per sample
 * `L_i = −log softmax(s · (z_i − Δ_{y_i} · e_{y_i}))_{y_i}`, `Δ` from {@link ldamMargins}. Only the
 * true class loses its margin, so a rare class (large Δ) must win by more. As in the reference
 * (kaidic/LDAM-DRW `losses.py`), `z` are the cosine logits of a normalised last layer
 * (`normedDense` in `@losslab/models`), each in [−1, 1], which `s` spreads out.
 * `yTrue` (one-hot), `yPred` (the logits `z`): `[batch, k]` → `[batch]`; `counts` has k entries.
 * Deferred re-weighting (the paper's DRW) is class weights switched on late: `weighted` with
 * `startEpoch` in an experiment definition.
 *
 * @example
 * // counts [16, 1]: Δ = [0.25, 0.5]; the rare class at zero logits: −log softmax(30·[0, −0.5])_1 = 15.0000003
 * ldam({ counts: [16, 1] })(tf.tensor2d([[0, 1]]), tf.tensor2d([[0, 0]])); // [15.0000003]
 */
export function ldam(options: LdamOptions): Loss {
  const scale = requirePositive('ldam: scale', options.scale ?? 30);
  const margins = ldamMargins(options.counts, options.maxMargin ?? 0.5);
  return defineLoss('ldam', (yTrue, logits) => {
    checkLossInputs('ldam', yTrue, logits);
    if (logits.shape[1] !== margins.length) {
      throw new LosslabError(
        'INVALID_ARGUMENT',
        `ldam: yPred has ${logits.shape[1]} columns but there are ${margins.length} class counts`,
      );
    }
    // y ⊙ Δ is Δ_y at the true class and 0 elsewhere: the reference's one-hot `where`.
    const margined = tf.sub(logits, tf.mul(yTrue, tf.tensor1d(margins)));
    const scaled = tf.mul(margined, tf.scalar(scale));
    return tf.neg(tf.sum<tf.Tensor1D>(tf.mul(yTrue, tf.logSoftmax(scaled)), 1));
  });
}
