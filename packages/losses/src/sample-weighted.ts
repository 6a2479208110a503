import type { LabelLayout } from '@losslab/runtime';
import { weightedByLabelColumn } from './label-column-weights.js';
import type { Loss } from './types.js';

/** Options of {@link sampleWeighted}. */
export interface SampleWeightedOptions {
  /**
   * The label block the inner loss is applied to (its width must equal the model output width).
   * Omit it to hand the whole label to an inner loss that slices for itself.
   */
  readonly target?: string;
  /** A one-column label block holding each sample's weight (≥ 0). */
  readonly weight: string;
}

/**
 * Per-sample weights carried in the label: `L_i = loss(yTrue[:, target], yPred)_i · w_i` with
 * `w = yTrue[:, weight]` (exactly 0 where `w_i = 0`). The weights are exposed as
 * `sampleWeights`, so the reductions can divide by their sum (Keras ≥ 3.7, PyTorch) or by the
 * batch size (Keras' default). This is what `fit({ sampleWeight })` cannot do in TF.js.
 *
 * @example
 * const layout = labelLayout({ y: 1, w: 1 });
 * const loss = sampleWeighted(meanAbsoluteError(), layout, { target: 'y', weight: 'w' });
 */
export function sampleWeighted(loss: Loss, layout: LabelLayout, options: SampleWeightedOptions): Loss {
  return weightedByLabelColumn('sampleWeighted', 'weight', loss, layout, options.target, options.weight);
}
