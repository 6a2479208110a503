import * as tf from '@tensorflow/tfjs-core';
import { LosslabError, checkLabelWidth, labelBlock, sliceBlock } from '@losslab/runtime';
import type { LabelBlock, LabelLayout } from '@losslab/runtime';

const shapeText = (t: tf.Tensor): string => `[${t.shape.join(', ')}]`;

/**
 * Throws `SHAPE_MISMATCH` unless `yTrue` and `yPred` are both rank 2 with the same shape; the
 * message starts with `who` (the loss) and names both shapes.
 *
 * @example
 * checkLossInputs('meanAbsoluteError', yTrue, yPred);
 * // meanAbsoluteError: yTrue and yPred must have the same shape [batch, columns], got yTrue [4, 11] and yPred [4, 10]
 */
export function checkLossInputs(who: string, yTrue: tf.Tensor, yPred: tf.Tensor): void {
  for (const [argument, tensor] of [
    ['yTrue', yTrue],
    ['yPred', yPred],
  ] as const) {
    if (tensor.rank !== 2) {
      throw new LosslabError(
        'SHAPE_MISMATCH',
        `${who}: ${argument} must be rank 2 [batch, columns], got shape ${shapeText(tensor)}`,
      );
    }
  }
  if (yTrue.shape[0] !== yPred.shape[0] || yTrue.shape[1] !== yPred.shape[1]) {
    throw new LosslabError(
      'SHAPE_MISMATCH',
      `${who}: yTrue and yPred must have the same shape [batch, columns], got yTrue ${shapeText(yTrue)} and yPred ${shapeText(yPred)}`,
    );
  }
}

/**
 * Throws `SHAPE_MISMATCH` unless the model output width equals the width of label block
 * `target`; call it when an experiment is built so a wrong model is rejected before training.
 * Returns the block.
 *
 * @example
 * checkTargetWidth(labelLayout({ digit: 10, isOdd: 1 }), 'digit', 9);
 * // loss target block "digit" has width 10 but the model output has width 9
 */
export function checkTargetWidth(layout: LabelLayout, target: string, outputWidth: number): LabelBlock {
  const block = labelBlock(layout, target);
  if (outputWidth !== block.width) {
    throw new LosslabError(
      'SHAPE_MISMATCH',
      `loss target block "${target}" has width ${block.width} but the model output has width ${String(outputWidth)}`,
    );
  }
  return block;
}

/** Throws `INVALID_ARGUMENT` unless block `name` of `layout` has width 1; `role` names its use. */
export function requireSingleColumnBlock(who: string, layout: LabelLayout, name: string, role: string): LabelBlock {
  const block = labelBlock(layout, name);
  if (block.width !== 1) {
    throw new LosslabError(
      'INVALID_ARGUMENT',
      `${who}: ${role} block "${name}" must have width 1, got width ${block.width}`,
    );
  }
  return block;
}

/**
 * Checks that `yTrue` is `[batch, layout.width]` and that `yPred`'s width equals block `target`,
 * then returns that block's columns of `yTrue`.
 */
export function targetColumns(
  who: string,
  yTrue: tf.Tensor2D,
  yPred: tf.Tensor2D,
  layout: LabelLayout,
  target: string,
): tf.Tensor2D {
  checkLabelWidth(layout, yTrue, `${who}: yTrue`);
  if (yPred.rank !== 2) {
    throw new LosslabError(
      'SHAPE_MISMATCH',
      `${who}: yPred must be rank 2 [batch, columns], got shape ${shapeText(yPred)}`,
    );
  }
  checkTargetWidth(layout, target, yPred.shape[1]);
  return sliceBlock(yTrue, layout, target);
}

/** Returns block `name` of `yTrue` as a `[batch]` vector (the block must have width 1). */
export function columnOf(who: string, yTrue: tf.Tensor2D, layout: LabelLayout, name: string): tf.Tensor1D {
  checkLabelWidth(layout, yTrue, `${who}: yTrue`);
  return tf.reshape(sliceBlock(yTrue, layout, name), [-1]);
}
