import * as tf from '@tensorflow/tfjs-core';
import { LosslabError, labelBlock } from '@losslab/runtime';
import type { LabelLayout } from '@losslab/runtime';
import { requireWeights } from './options.js';
import { labelsFor } from './rows.js';
import { defineLoss, nameOf } from './types.js';
import type { ElementwiseLoss, Loss } from './types.js';

/** Options of {@link columnWeighted}: the label block to weigh (both or neither). */
export interface ColumnWeightedOptions {
  /** Layout of the label; required together with `target`. Without both, the whole label is used. */
  readonly layout?: LabelLayout;
  /** The label block whose columns are compared with the model output, column by column. */
  readonly target?: string;
}

const requireColumnCount = (weights: readonly number[], columns: number, source: string): void => {
  if (weights.length !== columns) {
    throw new LosslabError(
      'SHAPE_MISMATCH',
      `columnWeighted: weights has length ${weights.length} but ${source} has ${columns} column(s)`,
    );
  }
};

/**
 * Weighs the columns of an element-wise loss and sums them per sample:
 * `L_i = Σ_j elementwise(y, p)_ij · w_j`. With the default `sumOverBatchSize` reduction this is
 * PyTorch's `Σ_j L1_mean(pred[:, j], y[:, j]) · w_j` (the blink reference, with class weights
 * `w_j = (n_0 + n_1) / n_j` on a two-unit one-hot output). `weights.length` must equal the
 * number of columns (the error names both). Column weights are not per-sample weights, so the
 * result has no `sampleWeights`.
 *
 * @example
 * const blinkLoss = columnWeighted(absoluteError(), classWeights([950, 50], { kind: 'inverse' }));
 * // yTrue, yPred [batch, 2] → [batch]
 */
export function columnWeighted(
  elementwise: ElementwiseLoss,
  weights: readonly number[],
  options: ColumnWeightedOptions = {},
): Loss {
  requireWeights('columnWeighted: weights', weights);
  const { layout, target } = options;
  if ((layout === undefined) !== (target === undefined)) {
    throw new LosslabError(
      'INVALID_ARGUMENT',
      'columnWeighted: options.layout and options.target must be given together',
    );
  }
  if (layout !== undefined && target !== undefined) {
    requireColumnCount(weights, labelBlock(layout, target).width, `target block "${target}"`);
  }
  const weightRow = [...weights];
  return defineLoss(
    `columnWeighted(${nameOf(elementwise)}${target === undefined ? '' : `, target=${target}`})`,
    (yTrue, yPred) => {
      const labels = layout === undefined ? yTrue : labelsFor('columnWeighted', yTrue, yPred, layout, target);
      const values = elementwise(labels, yPred);
      requireColumnCount(weightRow, values.shape[1], 'yPred');
      return tf.sum(tf.mul(values, tf.tensor2d([weightRow])), 1);
    },
  );
}
