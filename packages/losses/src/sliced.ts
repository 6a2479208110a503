import { labelBlock, sliceBlock } from '@losslab/runtime';
import { termsWithin, withCrossentropyTerms } from './fused-crossentropy.js';
import type { LabelLayout } from '@losslab/runtime';
import { targetColumns } from './guards.js';
import { defineLoss, nameOf } from './types.js';
import type { Loss } from './types.js';

/**
 * Applies `loss` to the columns of label block `block` against the whole model output:
 * `L_i = loss(yTrue[:, block], yPred)_i`. `yTrue` must be `[batch, layout.width]` and `yPred`
 * `[batch, width of block]`; otherwise a `SHAPE_MISMATCH` error names both widths, e.g.
 * `loss target block "digit" has width 10 but the model output has width 9`.
 * Per-sample weights of `loss` (if any) are passed on, computed from the block.
 *
 * @example
 * const layout = labelLayout({ digit: 10, isOdd: 1 });
 * const digitLoss = sliced(categoricalCrossentropy(), layout, 'digit'); // yTrue [b, 11], yPred [b, 10]
 */
export function sliced(loss: Loss, layout: LabelLayout, block: string): Loss {
  const target = labelBlock(layout, block); // an unknown block fails here, not at the first batch
  const innerWeights = loss.sampleWeights;
  return withCrossentropyTerms(
    defineLoss(
      `sliced(${nameOf(loss)}, ${block})`,
      (yTrue, yPred) => loss(targetColumns('sliced', yTrue, yPred, layout, block), yPred),
      innerWeights && ((yTrue) => innerWeights(sliceBlock(yTrue, layout, block))),
    ),
    termsWithin(loss.crossentropyTerms, layout, target),
  );
}
