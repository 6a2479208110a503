import * as tf from '@tensorflow/tfjs-core';
// tfjs-core alone registers no gradients (tfjs-layers does); the gradient tests need them.
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { expect } from 'vitest';
import { liveTensorCount } from '@losslab/runtime';
import { numericGradient } from '@losslab/test-utils';
import type { Loss } from '../index.js';

/** Runs `body` on tensors it creates itself and returns plain arrays; fails if a tensor leaked. */
export function noLeak<T>(body: () => T): T {
  const before = liveTensorCount();
  const result = body();
  expect(liveTensorCount(), 'live tensors after the test body').toBe(before);
  return result;
}

/** `loss(yTrue, yPred)` as a plain array, disposing every tensor it made. */
export function perSample(loss: Loss, yTrue: number[][], yPred: number[][]): number[] {
  return tf.tidy(() => Array.from(loss(tf.tensor2d(yTrue), tf.tensor2d(yPred)).dataSync()));
}

/** Analytic (tf.grad) and finite-difference gradients of `Σ_i loss(yTrue, yPred)_i` w.r.t. `yPred`. */
export function gradients(loss: Loss, yTrue: number[][], yPred: number[][]): { analytic: number[]; numeric: number[] } {
  const rows = yPred.length;
  const columns = yPred[0]?.length ?? 0;
  return tf.tidy(() => {
    const labels = tf.tensor2d(yTrue);
    const total = (p: tf.Tensor2D): tf.Scalar => tf.sum(loss(labels, p));
    const analytic = Array.from(
      tf
        .grad((p: tf.Tensor) => total(p as tf.Tensor2D))(tf.tensor2d(yPred))
        .dataSync(),
    );
    const numeric = Array.from(
      numericGradient(
        (x) => tf.tidy(() => total(tf.tensor2d(Float32Array.from(x), [rows, columns])).dataSync()[0]!),
        yPred.flat(),
        1e-3,
      ),
    );
    return { analytic, numeric };
  });
}

/** Asserts the analytic gradient matches finite differences within `tolerance` (relative above 1). */
export function expectGradientsToMatch(loss: Loss, yTrue: number[][], yPred: number[][], tolerance = 1e-2): number[] {
  const { analytic, numeric } = gradients(loss, yTrue, yPred);
  expect(analytic).toHaveLength(numeric.length);
  analytic.forEach((value, i) => {
    const expected = numeric[i]!;
    expect(Math.abs(value - expected), `gradient[${i}]: analytic ${value} vs numeric ${expected}`).toBeLessThan(
      tolerance * Math.max(1, Math.abs(expected)),
    );
  });
  return analytic;
}

/** Element-wise closeness of two number arrays. */
export function expectClose(actual: ArrayLike<number>, expected: readonly number[], digits = 5): void {
  expect(actual.length).toBe(expected.length);
  expected.forEach((value, i) => expect(actual[i], `index ${i}`).toBeCloseTo(value, digits));
}
