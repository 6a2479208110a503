import * as tf from '@tensorflow/tfjs-core';
import { liveTensorCount } from '@losslab/runtime';
import { TEST_BACKENDS, useBackend } from '@losslab/test-utils';
import { describe, expect, it, vi } from 'vitest';
import { HostAdam } from '../index.js';
import { hostValues } from '../host-adam.js';

// HostAdam with the SIMD kernel or, as where WebAssembly SIMD is missing, with the scalar loop.
const kernel = vi.hoisted(() => ({ simd: true }));
vi.mock('../adam-simd.js', async (importOriginal) => {
  const actual = await importOriginal<typeof import('../adam-simd.js')>();
  return { SimdAdam: { create: () => (kernel.simd ? actual.SimdAdam.create() : undefined) } };
});

/** Values over many magnitudes, some zero. */
const spread = (n: number, seed: number): Float32Array =>
  Float32Array.from({ length: n }, (_, i) => (i % 5 === 0 ? 0 : Math.sin(i * 7.31 + seed) * 10 ** ((i % 7) - 4)));

/** Four steps of HostAdam on three variables (odd and even sizes); the weights and moments after each. */
async function run(simd: boolean): Promise<{ weights: number[][]; moments: number[][]; nonFinite: unknown }> {
  kernel.simd = simd;
  const adam = new HostAdam(0.01, 0.9, 0.999, 1e-7);
  const variables = [5, 12, 1].map((n, k) =>
    tf.tidy(() => tf.variable(tf.tensor1d(spread(n, k)), true, `w${k}_${simd}`)),
  );
  const weights: number[][] = [];
  for (let t = 1; t <= 4; t++) {
    const gradients = variables.map((v, k) => spread(v.size, 10 * t + k));
    adam.step(
      variables,
      variables.map((v) => v.dataSync() as Float32Array),
      gradients,
    );
    weights.push(variables.flatMap((v) => Array.from(v.dataSync())));
  }
  const saved = await adam.getWeights();
  const moments = saved.slice(1).map((w) => Array.from(w.tensor.dataSync()));
  // An infinite gradient: nothing applied, the first non-finite new weight reported.
  const bad = variables.map((v) => new Float32Array(v.size));
  bad[1]![3] = Number.POSITIVE_INFINITY;
  const nonFinite = adam.stepIfFinite(
    variables,
    variables.map((v) => v.dataSync() as Float32Array),
    bad,
  );
  expect(variables.flatMap((v) => Array.from(v.dataSync()))).toEqual(weights[3]);
  tf.dispose([...variables, ...saved.map((w) => w.tensor)]);
  adam.dispose();
  return { weights, moments, nonFinite };
}

describe.each(TEST_BACKENDS)('HostAdam with and without the SIMD kernel on %s', (backend) => {
  it('gives the same weights and moments, bit for bit, and the same non-finite report', async () => {
    await useBackend(backend);
    const before = liveTensorCount();
    const simd = await run(true);
    const scalar = await run(false);
    expect(simd.weights).toEqual(scalar.weights);
    expect(simd.moments).toEqual(scalar.moments);
    // m and v become infinite: the update is ∞/∞, NaN.
    expect(scalar.nonFinite).toEqual({ variable: 1, value: Number.NaN });
    expect(simd.nonFinite).toEqual(scalar.nonFinite);
    // The weights moved: the comparison is not of untouched values.
    expect(simd.weights[3]).not.toEqual(simd.weights[0]);
    expect(liveTensorCount()).toBe(before);
  });
});

describe.each(TEST_BACKENDS)('hostValues on %s', (backend) => {
  it('gives a tensor’s values, on wasm as a view of the heap (no copy)', async () => {
    await useBackend(backend);
    const before = liveTensorCount();
    const values = spread(12, 3);
    const tensor = tf.tensor2d(values, [3, 4]);
    const seen = hostValues(tensor);
    expect(Array.from(seen)).toEqual(Array.from(values));
    // wasm: the view is the tensor's memory (the write shows in dataSync); cpu: its own array.
    seen[5] = 42;
    expect(tensor.dataSync()[5]).toBe(42);
    tensor.dispose();
    expect(liveTensorCount()).toBe(before);
  });
});
