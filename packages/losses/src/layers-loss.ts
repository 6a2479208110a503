import * as tf from '@tensorflow/tfjs-core';
import { LosslabError } from '@losslab/runtime';
import { DEFAULT_REDUCTION, reduceLoss, requireReduction, type ScalarReduction } from './reduction.js';
import { nameOf, type Loss } from './types.js';

/** What `LayersModel.compile({ loss })` accepts as a function (tfjs-layers' `LossOrMetricFn`). */
export type LayersLossFunction = (yTrue: tf.Tensor, yPred: tf.Tensor) => tf.Tensor;

/** How {@link toLayersLoss} reduces the per-sample values. */
export interface LayersLossOptions {
  /** Default `sumOverBatchSize` (Keras' default); see `reduceLoss` for the others. */
  readonly reduction?: ScalarReduction;
}

/**
 * Turns a losslab loss into a function `model.compile({ loss })` accepts, for `model.fit` and
 * `model.evaluate`. With `sumOverBatchSize` it returns the per-sample values and lets tfjs-layers
 * take their mean (the same number, and tfjs' own `sampleWeight`/`classWeight` still apply per
 * sample); with any other reduction it returns `reduceLoss`'s scalar, whose mean is itself.
 * Labels and predictions must be `[batch, k]`; `model.fit` also requires the label to have the
 * model output's shape, so a loss that reads wider labels (sliced, masked, sample-weighted on
 * extra columns) needs losslab's `fit` instead.
 *
 * @example
 * const layout = labelLayout({ class: 2 });
 * model.compile({ optimizer: 'adam', loss: toLayersLoss(classWeighted(meanAbsoluteError(), [1, 20], { layout, target: 'class' })) });
 */
export function toLayersLoss(loss: Loss, options: LayersLossOptions = {}): LayersLossFunction {
  const reduction = requireReduction(options.reduction ?? DEFAULT_REDUCTION);
  if (reduction === 'none')
    throw new LosslabError(
      'INVALID_ARGUMENT',
      'toLayersLoss: reduction "none" gives no scalar; model.compile needs one',
    );
  const adapted = (yTrue: tf.Tensor, yPred: tf.Tensor): tf.Tensor => {
    if (yTrue.rank !== 2 || yPred.rank !== 2)
      throw new LosslabError(
        'INVALID_ARGUMENT',
        `${nameOf(loss)}: expected yTrue and yPred of rank 2 ([batch, k]), got [${yTrue.shape.join(', ')}] and [${yPred.shape.join(', ')}]`,
      );
    const labels = yTrue as tf.Tensor2D;
    const predictions = yPred as tf.Tensor2D;
    return reduction === 'sumOverBatchSize'
      ? loss(labels, predictions)
      : reduceLoss(loss, labels, predictions, reduction);
  };
  // tfjs-layers names the loss in its logs after the function.
  Object.defineProperty(adapted, 'name', { value: nameOf(loss) });
  return adapted;
}
