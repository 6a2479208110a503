import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it } from 'vitest';
import {
  createRng,
  installWasmMatMulKernels,
  liveTensorCount,
  restoreWasmMatMulKernels,
  selectBackend,
  wasmMatMulKernelsInstalled,
} from '../index.js';

const random = (shape: number[], seed: number): tf.Tensor => {
  const rng = createRng(seed);
  const size = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(
    Float32Array.from({ length: size }, () => rng.next() * 2 - 1),
    shape,
  );
};

/** Every transpose combination of plain and fused matMul, rank 2 and 3, with a bias and relu; slices and tiles of rank 1–4. */
function products(): Float32Array[] {
  return tf.tidy((): Float32Array[] => {
    const a = random([2, 5, 7], 1);
    const b = random([2, 7, 3], 2);
    const aT = tf.transpose(a, [0, 2, 1]);
    const bT = tf.transpose(b, [0, 2, 1]);
    const a2 = random([6, 4], 3);
    const b2 = random([4, 5], 4);
    const bias = random([5], 5);
    return [
      tf.matMul(a, b),
      tf.matMul(aT, b, true, false),
      tf.matMul(a, bT, false, true),
      tf.matMul(aT, bT, true, true),
      tf.matMul(tf.transpose(a2), b2, true, false),
      tf.fused.matMul({ a: a2, b: tf.transpose(b2), transposeB: true, bias, activation: 'relu' }),
      tf.fused.matMul({ a: tf.transpose(a2), b: b2, transposeA: true, bias }),
      tf.slice(random([3, 4, 5, 6], 6), [1, 0, 2, 1], [2, 3, 2, 4]),
      tf.slice(random([6, 8], 7), [2, 3], [3, 5]),
      tf.slice(random([9], 8), [4], [3]),
      tf.slice(random([2, 3, 4], 9), [1, 0, 0], [1, 3, 4]),
      // Trailing axes taken whole merge into one run (a batch of images), partly (only the last
      // axis whole) or not at all (a whole middle axis before a partial last one, or trailing axes that
      // start at 0 but end early), and the whole tensor.
      tf.slice(random([5, 4, 4, 1], 10), [1, 0, 0, 0], [3, 4, 4, 1]),
      tf.slice(random([4, 3, 5, 2], 11), [1, 1, 0, 0], [2, 2, 5, 2]),
      tf.slice(random([3, 4, 5], 12), [0, 0, 1], [3, 4, 2]),
      tf.slice(random([3, 4, 5], 13), [0, 0, 0], [3, 4, 5]),
      tf.slice(random([3, 4, 5], 14), [1, 0, 0], [2, 4, 3]),
      tf.slice(tf.tensor2d([1, 2, 3, 4, 5, 6], [3, 2], 'int32'), [1, 1], [2, 1]),
      tf.tile(random([1, 1, 1, 3], 10), [2, 3, 4, 1]),
      tf.tile(random([2, 1, 3], 11), [1, 4, 2]),
      tf.tile(random([2, 3], 12), [3, 2]),
      tf.tile(random([5], 13), [3]),
      tf.tile(tf.tensor2d([1, 2, 3, 4], [2, 2], 'int32'), [2, 3]),
    ].map((t) => Float32Array.from(t.dataSync()));
  });
}

describe('explicit-transpose wasm matMul kernels', () => {
  afterAll(() => installWasmMatMulKernels());

  // Compared with the cpu backend: the stock wasm `_FusedMatMul` with a transposed operand and a
  // bias gives wrong values in tfjs 4.22 (products 5 and 6 differ by more than 1 there).
  it('are installed by selectBackend(wasm), match the cpu backend to float32 rounding, and leak nothing', async () => {
    await selectBackend({ requested: 'cpu' });
    const reference = products();
    await selectBackend({ requested: 'wasm' });
    expect(wasmMatMulKernelsInstalled()).toBe(true);
    const before = liveTensorCount();
    const fast = products();
    expect(liveTensorCount()).toBe(before);
    fast.forEach((values, i) => {
      expect(values.length).toBe(reference[i]!.length);
      values.forEach((v, j) => expect(v).toBeCloseTo(reference[i]![j]!, 5));
    });
    restoreWasmMatMulKernels();
    expect(wasmMatMulKernelsInstalled()).toBe(false);
    const stock = products();
    stock.forEach((values, i) => {
      if (i === 5 || i === 6) return; // the stock fused kernel's wrong results
      values.forEach((v, j) => expect(v).toBeCloseTo(reference[i]![j]!, 5));
    });
  });

  it('are left alone when fastMatMul is false', async () => {
    restoreWasmMatMulKernels();
    await selectBackend({ requested: 'wasm', fastMatMul: false });
    expect(wasmMatMulKernelsInstalled()).toBe(false);
    expect(installWasmMatMulKernels()).toBe(true);
    expect(installWasmMatMulKernels()).toBe(true);
    expect(wasmMatMulKernelsInstalled()).toBe(true);
  });
});
