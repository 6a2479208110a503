import type * as tf from '@tensorflow/tfjs-core';
import { labelBlock } from '@losslab/runtime';
import type { LabelLayout } from '@losslab/runtime';
import { columnOf, requireSingleColumnBlock } from './guards';
import { labelsFor, labelsForWeights, weightRows } from './rows';
import { defineLoss, nameOf } from './types';
import type { Loss } from './types';

/**
 * Shared body of `masked` and `sampleWeighted`: the inner loss on `target` (or the whole label),
 * times the one-column block `column`, exactly 0 where that column is 0. The column (times any
 * inner weights) becomes the result's `sampleWeights`.
 */
export function weightedByLabelColumn(
  who: string,
  role: string,
  loss: Loss,
  layout: LabelLayout,
  target: string | undefined,
  column: string,
): Loss {
  requireSingleColumnBlock(who, layout, column, role);
  if (target !== undefined) labelBlock(layout, target);
  const innerWeights = loss.sampleWeights;
  const columnValues = (yTrue: tf.Tensor2D): tf.Tensor1D => columnOf(who, yTrue, layout, column);
  const targetPart = target === undefined ? '' : `, target=${target}`;
  return defineLoss(
    `${who}(${nameOf(loss)}${targetPart}, ${role}=${column})`,
    (yTrue, yPred) => weightRows(loss(labelsFor(who, yTrue, yPred, layout, target), yPred), columnValues(yTrue)),
    (yTrue) => {
      const weights = columnValues(yTrue);
      return innerWeights === undefined
        ? weights
        : weightRows(innerWeights(labelsForWeights(yTrue, layout, target)), weights);
    },
  );
}
