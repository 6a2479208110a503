import * as tf from '@tensorflow/tfjs-core';
import { LosslabError, labelBlock } from '@losslab/runtime';
import type { LabelLayout } from '@losslab/runtime';
import { classCountOfWidth, classIndices } from './class-indices.js';
import { requireWeights } from './options.js';
import { labelsFor, labelsForWeights, weightRows } from './rows.js';
import { defineLoss, nameOf } from './types.js';
import type { Loss } from './types.js';

/** Options of {@link classWeighted}: the label block that holds the class (both or neither). */
export interface ClassWeightedOptions {
  /** Layout of the label; required together with `target`. Without both, the whole label is the target. */
  readonly layout?: LabelLayout;
  /** The one-hot (k ≥ 2 columns) or binary (1 column) block the class is read from and the loss applied to. */
  readonly target?: string;
}

const requireClassCount = (weights: readonly number[], width: number, source: string): void => {
  const classes = classCountOfWidth(width);
  if (weights.length !== classes) {
    throw new LosslabError(
      'SHAPE_MISMATCH',
      `classWeighted: weights has length ${weights.length} but ${source} has ${width} column(s), i.e. ${classes} classes`,
    );
  }
};

/**
 * Keras `class_weight` semantics for any loss, on the named block only:
 * `L_i = loss(t, yPred)_i · w[c_i]` where `t = yTrue[:, target]` and `c_i` = `argMax` of `t_i`
 * (or `t_i ≥ 0.5` for a one-column binary target). Unlike TF.js `fit({ classWeight })`, the
 * class never comes from `argMax` over extra label columns, and the labels stay on the device.
 * `weights.length` must equal the number of classes (k, or 2 for a binary column); the error
 * names both. The weights are exposed as `sampleWeights`.
 *
 * @example
 * const layout = labelLayout({ digit: 10, isOdd: 1 });
 * const weights = classWeights(counts, { kind: 'balanced' }); // 10 numbers
 * const loss = classWeighted(categoricalCrossentropy(), weights, { layout, target: 'digit' });
 */
export function classWeighted(loss: Loss, weights: readonly number[], options: ClassWeightedOptions = {}): Loss {
  requireWeights('classWeighted: weights', weights);
  const { layout, target } = options;
  if ((layout === undefined) !== (target === undefined)) {
    throw new LosslabError(
      'INVALID_ARGUMENT',
      'classWeighted: options.layout and options.target must be given together',
    );
  }
  if (layout !== undefined && target !== undefined) {
    requireClassCount(weights, labelBlock(layout, target).width, `target block "${target}"`);
  }
  const weightTable = [...weights];
  const innerWeights = loss.sampleWeights;
  const classWeightOf = (labels: tf.Tensor2D): tf.Tensor1D => {
    const classes = classIndices(labels);
    if (layout === undefined) requireClassCount(weightTable, labels.shape[1], 'yTrue');
    return tf.gather(tf.tensor1d(weightTable), classes);
  };
  return defineLoss(
    `classWeighted(${nameOf(loss)}${target === undefined ? '' : `, target=${target}`})`,
    (yTrue, yPred) => {
      const labels = layout === undefined ? yTrue : labelsFor('classWeighted', yTrue, yPred, layout, target);
      return weightRows(loss(labels, yPred), classWeightOf(labels));
    },
    (yTrue) => {
      const labels = layout === undefined ? yTrue : labelsForWeights(yTrue, layout, target);
      const weightsOfClass = classWeightOf(labels);
      return innerWeights === undefined ? weightsOfClass : weightRows(innerWeights(labels), weightsOfClass);
    },
  );
}
