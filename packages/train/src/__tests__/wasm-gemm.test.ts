import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { createRng, liveTensorCount } from '@losslab/runtime';
import { useBackend } from '@losslab/test-utils';
import { denseGemm, gemmFits, reluBackward, reluBackwardFits } from '../wasm-gemm.js';

/** Seeded values in [-1, 1), some exactly zero. */
function values(count: number, seed: number): Float32Array {
  const rng = createRng(seed);
  return Float32Array.from({ length: count }, (_, i) => (i % 11 === 3 ? 0 : rng.next() * 2 - 1));
}

/**
 * (aᵀ when `transposeA`)·b + bias, then relu, in float64, and for each entry the bound on a float32
 * sum's rounding error: (k + 2)·2⁻²⁴·(|bias| + Σ|a||b|).
 */
function reference(
  a: Float32Array,
  aShape: [number, number],
  b: Float32Array,
  columns: number,
  options: { transposeA: boolean; bias?: Float32Array; relu: boolean },
): { expected: number[]; tolerance: number[] } {
  const [rows, inner] = options.transposeA ? [aShape[1], aShape[0]] : aShape;
  const at = (i: number, k: number): number => (options.transposeA ? a[k * rows + i]! : a[i * inner + k]!);
  const expected: number[] = [];
  const tolerance: number[] = [];
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < columns; j++) {
      let sum = options.bias?.[j] ?? 0;
      let magnitude = Math.abs(sum);
      for (let k = 0; k < inner; k++) {
        sum += at(i, k) * b[k * columns + j]!;
        magnitude += Math.abs(at(i, k) * b[k * columns + j]!);
      }
      expected.push(options.relu ? Math.max(sum, 0) : sum);
      tolerance.push((inner + 2) * 2 ** -24 * magnitude);
    }
  }
  return { expected, tolerance };
}

describe('denseGemm, the wasm matMul on the heap', () => {
  // [rows, inner, columns]: one tile; several row and column blocks; an odd inner size; no inner
  // size; columns that are not a multiple of 8.
  const shapes: [number, number, number][] = [
    [4, 1, 8],
    [12, 7, 24],
    [8, 33, 16],
    [4, 0, 8],
    [8, 5, 10], // a column block and 2 single columns
    [12, 9, 3], // single columns only
  ];
  const cases = shapes.flatMap((shape) =>
    [false, true].flatMap((transposeA) =>
      [false, true].map((withBias) => ({ shape, transposeA, withBias, relu: withBias })),
    ),
  );

  it.each(cases)(
    '$shape, transposeA $transposeA, bias and relu $withBias: float64’s result within float32 summation error',
    async ({ shape: [rows, inner, columns], transposeA, withBias, relu }) => {
      await useBackend('wasm');
      const before = liveTensorCount();
      const aShape: [number, number] = transposeA ? [inner, rows] : [rows, inner];
      const aValues = values(rows * inner, 1);
      const bValues = values(inner * columns, 2);
      const biasValues = withBias ? values(columns, 3) : undefined;
      const a = tf.tensor2d(aValues, aShape);
      const b = tf.tensor2d(bValues, [inner, columns]);
      const bias = biasValues === undefined ? undefined : tf.tensor1d(biasValues);
      expect(gemmFits(a, b, transposeA)).toBe(true);
      const out = denseGemm(a, b, { transposeA, relu, ...(bias === undefined ? {} : { bias }) });
      expect(out.shape).toEqual([rows, columns]);
      const actual = Array.from(out.dataSync());
      const { expected, tolerance } = reference(aValues, aShape, bValues, columns, {
        transposeA,
        relu,
        ...(biasValues === undefined ? {} : { bias: biasValues }),
      });
      actual.forEach((value, i) => expect(Math.abs(value - expected[i]!)).toBeLessThanOrEqual(tolerance[i]!));
      // The relu cases have negative sums to cut (a relu not applied fails the check above).
      if (relu && inner > 0) expect(expected.filter((v) => v === 0).length).toBeGreaterThan(0);
      tf.dispose([a, b, out, ...(bias === undefined ? [] : [bias])]);
      expect(liveTensorCount()).toBe(before);
    },
  );

  it('equals tf.matMul with bias and relu on a dense layer’s shapes, forward and dW = xᵀ·dz', async () => {
    await useBackend('wasm');
    const before = liveTensorCount();
    tf.tidy(() => {
      const x = tf.tensor2d(values(32 * 40, 4), [32, 40]);
      const w = tf.tensor2d(values(40 * 16, 5), [40, 16]);
      const bias = tf.tensor1d(values(16, 6));
      const dz = tf.tensor2d(values(32 * 16, 7), [32, 16]);
      const forward = denseGemm(x, w, { bias, relu: true });
      const stockForward = tf.relu(tf.add(tf.matMul(x, w), bias));
      const dW = denseGemm(x, dz, { transposeA: true });
      const stockDW = tf.matMul(x, dz, true, false);
      const close = (u: tf.Tensor, v: tf.Tensor): number => tf.max(tf.abs(tf.sub(u, v))).dataSync()[0]!;
      expect(close(forward, stockForward)).toBeLessThan(1e-5);
      expect(close(dW, stockDW)).toBeLessThan(1e-5);
    });
    expect(liveTensorCount()).toBe(before);
  });

  it('fits only float32 wasm operands whose product has a multiple of 4 rows', async () => {
    await useBackend('wasm');
    tf.tidy(() => {
      const a = tf.zeros<tf.Rank.R2>([8, 3]);
      expect(gemmFits(a, tf.zeros<tf.Rank.R2>([3, 16]), false)).toBe(true);
      expect(gemmFits(a, tf.zeros<tf.Rank.R2>([3, 10]), false)).toBe(true);
      expect(gemmFits(tf.zeros<tf.Rank.R2>([6, 3]), tf.zeros<tf.Rank.R2>([3, 8]), false)).toBe(false); // rows
      expect(gemmFits(a, tf.zeros<tf.Rank.R2>([8, 8]), true)).toBe(false); // aᵀ has 3 rows
      expect(gemmFits(a, tf.zeros<tf.Rank.R2>([4, 8]), false)).toBe(false); // inner sizes differ
      expect(gemmFits(a, tf.zeros<tf.Rank.R2>([3, 8], 'int32'), false)).toBe(false);
    });
    await useBackend('cpu');
    tf.tidy(() => {
      expect(gemmFits(tf.zeros<tf.Rank.R2>([8, 3]), tf.zeros<tf.Rank.R2>([3, 8]), false)).toBe(false);
    });
  });
});

describe('reluBackward, a relu layer’s backward step on the wasm heap', () => {
  it('gives tfjs’ mul(dh, step(y)) and sum(dz, 0) bit for bit, NaN, ±0 and ±∞ included', async () => {
    await useBackend('wasm');
    const before = liveTensorCount();
    const [rows, columns] = [6, 8];
    const dhValues = values(rows * columns, 8);
    const yValues = values(rows * columns, 9).map((v) => Math.max(v, 0));
    // Special values: NaN and ∞ in y and dh, negative dh where y = 0 (a −0 product), y exactly 0.
    yValues[1] = Number.NaN;
    yValues[10] = Number.POSITIVE_INFINITY;
    dhValues[11] = Number.NEGATIVE_INFINITY; // at y = 0: −∞·0 = NaN
    dhValues[20] = Number.NaN;
    yValues[21] = 0;
    dhValues[21] = -0.5;
    tf.tidy(() => {
      const dh = tf.tensor2d(dhValues, [rows, columns]);
      const y = tf.tensor2d(yValues, [rows, columns]);
      expect(reluBackwardFits(dh, y)).toBe(true);
      const [dz, db] = reluBackward(dh, y);
      const stockDz = tf.mul(dh, tf.step(y));
      const stockDb = tf.sum(stockDz, 0);
      const bits = (t: tf.Tensor): number[] =>
        Array.from(new Uint32Array((t.dataSync() as Float32Array).slice().buffer));
      expect(bits(dz)).toEqual(bits(stockDz));
      expect(bits(db)).toEqual(bits(stockDb));
      expect(Object.is(dz.dataSync()[21], -0)).toBe(true);
    });
    expect(liveTensorCount()).toBe(before);
  });

  it('runs on wasm for float32 operands of one shape with columns a multiple of 4', async () => {
    await useBackend('wasm');
    tf.tidy(() => {
      const dh = tf.zeros<tf.Rank.R2>([3, 8]);
      expect(reluBackwardFits(dh, tf.zeros<tf.Rank.R2>([3, 8]))).toBe(true);
      expect(reluBackwardFits(tf.zeros<tf.Rank.R2>([3, 6]), tf.zeros<tf.Rank.R2>([3, 6]))).toBe(false);
      expect(reluBackwardFits(dh, tf.zeros<tf.Rank.R2>([4, 8]))).toBe(false);
      expect(reluBackwardFits(dh, tf.zeros<tf.Rank.R2>([3, 8], 'int32'))).toBe(false);
    });
    await useBackend('cpu');
    tf.tidy(() => {
      expect(reluBackwardFits(tf.zeros<tf.Rank.R2>([3, 8]), tf.zeros<tf.Rank.R2>([3, 8]))).toBe(false);
    });
  });
});
