import type { LabelLayout } from '@losslab/runtime';
import { weightedByLabelColumn } from './label-column-weights.js';
import type { Loss } from './types.js';

/** Options of {@link masked}. */
export interface MaskedOptions {
  /**
   * The label block the inner loss is applied to (its width must equal the model output width).
   * Omit it to hand the whole label to an inner loss that slices for itself (e.g. `classWeighted`
   * with a layout).
   */
  readonly target?: string;
  /** A one-column label block: 1 keeps the sample, 0 drops it (a fraction scales it). */
  readonly mask: string;
}

/**
 * Masks samples by a label column: `L_i = loss(yTrue[:, target], yPred)_i · m_i` with
 * `m = yTrue[:, mask]`, and `L_i = 0` exactly where `m_i = 0`. A masked row contributes exactly 0
 * to the value and exactly 0 to the gradient w.r.t. `yPred`, whatever its labels or predictions
 * hold (NaN, Infinity): its inputs are replaced by a finite placeholder before the inner loss runs,
 * and its output is selected away with `tf.where`.
 * The mask is exposed as `sampleWeights` (times any inner weights), so the `sumOverWeights`
 * reduction averages over the kept rows only. A mask block wider than 1 column is an
 * `INVALID_ARGUMENT` error; a wrong label or output width a `SHAPE_MISMATCH` naming both widths.
 *
 * @example
 * // mnist-odd: label [b, 11] = one-hot digit + isOdd flag; model output [b, 10].
 * const layout = labelLayout({ digit: 10, isOdd: 1 });
 * const loss = masked(categoricalCrossentropy(), layout, { target: 'digit', mask: 'isOdd' });
 */
export function masked(loss: Loss, layout: LabelLayout, options: MaskedOptions): Loss {
  return weightedByLabelColumn('masked', 'mask', loss, layout, options.target, options.mask);
}
