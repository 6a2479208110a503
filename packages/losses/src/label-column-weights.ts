import * as tf from '@tensorflow/tfjs-core';
import { labelBlock } from '@losslab/runtime';
import type { LabelLayout } from '@losslab/runtime';
import { termsWithin, withCrossentropyTerms } from './fused-crossentropy.js';
import { columnOf, requireSingleColumnBlock } from './guards.js';
import { labelsFor, labelsForWeights, safeRows, weightRows } from './rows.js';
import { defineLoss, nameOf } from './types.js';
import type { Loss } from './types.js';

/**
 * Shared body of `masked` and `sampleWeighted`: the inner loss on `target` (or the whole label),
 * times the one-column block `column`, exactly 0 where that column is 0. The column (times any
 * inner weights) becomes the result's `sampleWeights`.
 *
 * Dropped rows (column = 0) reach the inner loss as safe placeholder values ({@link safeRows}),
 * never as what they hold: masking only the output is not enough, because the gradient of
 * `tf.where` multiplies by the 0/1 condition, and 0 · NaN from the inner loss's gradient is NaN.
 */
export function weightedByLabelColumn(
  who: string,
  role: string,
  loss: Loss,
  layout: LabelLayout,
  target: string | undefined,
  column: string,
): Loss {
  const weightBlock = requireSingleColumnBlock(who, layout, column, role);
  const targetBlock = target === undefined ? undefined : labelBlock(layout, target);
  const innerWeights = loss.sampleWeights;
  const columnValues = (yTrue: tf.Tensor2D): tf.Tensor1D => columnOf(who, yTrue, layout, column);
  const targetPart = target === undefined ? '' : `, target=${target}`;
  const inner = termsWithin(loss.crossentropyTerms, layout, targetBlock);
  const terms = inner && { ...inner, weightColumns: [...inner.weightColumns, weightBlock.start] };
  const weighted = defineLoss(
    `${who}(${nameOf(loss)}${targetPart}, ${role}=${column})`,
    (yTrue, yPred) => {
      const labels = labelsFor(who, yTrue, yPred, layout, target);
      const weights = columnValues(yTrue);
      const kept = tf.notEqual<tf.Tensor1D>(weights, 0);
      return weightRows(loss(safeRows(labels, kept), safeRows(yPred, kept)), weights);
    },
    (yTrue) => {
      const weights = columnValues(yTrue);
      if (innerWeights === undefined) return weights;
      const labels = safeRows(labelsForWeights(yTrue, layout, target), tf.notEqual<tf.Tensor1D>(weights, 0));
      return weightRows(innerWeights(labels), weights);
    },
  );
  return withCrossentropyTerms(weighted, terms);
}
