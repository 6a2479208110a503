import * as tf from '@tensorflow/tfjs-core';
import { LosslabError } from '@losslab/runtime';

/**
 * The class of each sample from a target block, computed on the device (labels are never copied
 * to the CPU): `argMax` over the block's columns for a one-hot block `[batch, k]` (k ≥ 2), or
 * `y ≥ 0.5 ? 1 : 0` for a one-column binary block `[batch, 1]`. Returns int32 `[batch]`.
 * Pass only the target block, never a whole label with extra columns.
 *
 * @example
 * classIndices(tf.tensor2d([[0, 1, 0], [1, 0, 0]])); // [1, 0]
 * classIndices(tf.tensor2d([[0.9], [0.2]]));          // [1, 0]
 */
export function classIndices(block: tf.Tensor2D): tf.Tensor1D {
  if (block.rank !== 2) {
    throw new LosslabError(
      'SHAPE_MISMATCH',
      `classIndices: block must be rank 2 [batch, columns], got shape [${block.shape.join(', ')}]`,
    );
  }
  return tf.tidy(() =>
    block.shape[1] === 1 ? tf.cast(tf.reshape(tf.greaterEqual(block, 0.5), [-1]), 'int32') : tf.argMax(block, 1),
  );
}

/** Number of classes a target block of `width` columns encodes: 2 for one binary column, else `width`. */
export const classCountOfWidth = (width: number): number => (width === 1 ? 2 : width);
