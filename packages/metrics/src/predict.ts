import * as tf from '@tensorflow/tfjs-core';
import { LosslabError, requireInteger } from '@losslab/runtime';
import { argMaxRows } from './argmax';

/** Anything with a Keras-style `predict`, e.g. a `tfl.LayersModel`. */
export interface Predictor {
  predict(x: tf.Tensor): tf.Tensor | tf.Tensor[];
}

/**
 * Model scores for every row of `features` (`[n, ...sampleShape]`), predicted `batchSize` rows at
 * a time inside `tf.tidy`, copied into one row-major `Float32Array` of `[n, width]` (width =
 * `length / n`). Leaves no tensor behind; `features` is not disposed.
 *
 * @example
 * const scores = predictScores(model, testImages, 256); // n·10 softmax values
 */
export function predictScores(model: Predictor, features: tf.Tensor, batchSize: number): Float32Array {
  requireInteger('batchSize', batchSize);
  if (features.rank < 1) throw new LosslabError('SHAPE_MISMATCH', `features: expected shape [n, ...], got a scalar`);
  const rows = features.shape[0]!;
  let out: Float32Array | undefined;
  let width = 0;
  for (let start = 0; start < rows; start += batchSize) {
    const size = Math.min(batchSize, rows - start);
    tf.tidy(() => {
      const begin = features.shape.map((_, axis) => (axis === 0 ? start : 0));
      const extent = features.shape.map((dim, axis) => (axis === 0 ? size : dim));
      const prediction = model.predict(tf.slice(features, begin, extent));
      const scores = Array.isArray(prediction) ? prediction : [prediction];
      const [only] = scores;
      if (scores.length !== 1 || only === undefined) {
        throw new LosslabError('SHAPE_MISMATCH', `model.predict: expected one output tensor, got ${scores.length}`);
      }
      if (only.rank !== 2 || only.shape[0] !== size) {
        throw new LosslabError('SHAPE_MISMATCH', `model.predict: expected shape [${size}, width], got [${only.shape.join(', ')}]`);
      }
      if (out === undefined) {
        width = only.shape[1]!;
        out = new Float32Array(rows * width);
      } else if (only.shape[1] !== width) {
        throw new LosslabError('SHAPE_MISMATCH', `model.predict: output width changed from ${width} to ${only.shape[1]}`);
      }
      out.set(only.dataSync(), start * width);
    });
  }
  return out ?? new Float32Array(0);
}

/**
 * Predicted class ids (`argMax` over each row of the model's output) for every row of
 * `features`, in batches of `batchSize`; leaves no tensor behind.
 *
 * @example
 * const predicted = predictClasses(model, testImages, 256); // Int32Array of n class ids
 * accuracy(trueClasses, predicted);
 */
export function predictClasses(model: Predictor, features: tf.Tensor, batchSize: number): Int32Array {
  const scores = predictScores(model, features, batchSize);
  const rows = features.shape[0] ?? 0;
  if (rows === 0) return new Int32Array(0);
  return argMaxRows(scores, scores.length / rows);
}
