import * as tf from '@tensorflow/tfjs-core';
import { LosslabError } from './errors.js';

/** Number of tensors currently alive in the TF.js engine. */
export const liveTensorCount = (): number => tf.memory().numTensors;

/**
 * Runs `body` and throws `TENSOR_LEAK` if it changed the number of live tensors. `body` must
 * return plain values (or dispose what it creates); use it in tests around any tensor code.
 *
 * @example
 * await expectNoTensorLeak('one training epoch', () => trainEpoch(...));
 */
export async function expectNoTensorLeak<T>(label: string, body: () => T | Promise<T>): Promise<T> {
  const before = liveTensorCount();
  const result = await body();
  const after = liveTensorCount();
  if (after !== before) {
    throw new LosslabError(
      'TENSOR_LEAK',
      `${label}: ${after - before} tensor(s) leaked (live tensors ${before} before, ${after} after)`,
    );
  }
  return result;
}
