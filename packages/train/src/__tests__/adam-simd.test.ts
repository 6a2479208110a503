import { describe, expect, it } from 'vitest';
import { SimdAdam } from '../adam-simd.js';

const f32 = Math.fround;
type Constants = [number, number, number, number, number, number, number, number];

/** HostAdam's scalar loop, written out: the kernel must give the same bits. */
function scalarAdam(w: Float32Array, g: Float32Array, m: Float32Array, v: Float32Array, c: Constants): Float32Array {
  const [b1, b2, o1, o2, i1, i2, eps, lr] = c;
  const next = new Float32Array(w.length);
  for (let j = 0; j < w.length; j++) {
    const gj = g[j]!;
    const mj = b1 * m[j]! + o1 * gj;
    const vj = b2 * v[j]! + o2 * gj * gj;
    m[j] = mj;
    v[j] = vj;
    next[j] = w[j]! - (lr * mj * i1) / (Math.sqrt(vj * i2) + eps);
  }
  return next;
}

/** Deterministic values spread over many magnitudes, some exactly zero. */
const spread = (n: number, seed: number): Float32Array =>
  Float32Array.from({ length: n }, (_, i) => (i % 7 === 0 ? 0 : Math.sin(i * 12.9898 + seed) * 10 ** ((i % 9) - 6)));

/** Adam's constants at step t (the bias corrections as HostAdam computes them). */
const constantsAt = (t: number, lr = 0.001): Constants => {
  const [b1, b2] = [f32(0.9), f32(0.999)];
  let [acc1, acc2] = [b1, b2];
  for (let k = 1; k < t; k++) [acc1, acc2] = [f32(acc1 * b1), f32(acc2 * b2)];
  return [b1, b2, f32(1 - 0.9), f32(1 - 0.999), 1 / f32(1 - acc1), 1 / f32(1 - acc2), f32(1e-7), f32(lr)];
};

describe('the SIMD Adam kernel', () => {
  const kernel = SimdAdam.create();

  it('is available on this Node', () => {
    expect(kernel).toBeDefined();
  });

  it('gives the scalar loop’s new weights and moments bit for bit, for odd and even sizes, over steps', () => {
    const simd = SimdAdam.create()!;
    // Sizes: odd (a padded last lane), even, one, and a region after others.
    for (const size of [1, 10, 7, 2049]) {
      const region = simd.allocate(size);
      const w = spread(size, 1);
      const [m, v] = [new Float32Array(size), new Float32Array(size)];
      for (let t = 1; t <= 4; t++) {
        const g = spread(size, t + 10);
        const c = constantsAt(t);
        const expected = scalarAdam(w, g, m, v, c);
        const { next, probe } = simd.step(region, w, g, c);
        expect(probe).toBe(0);
        expect(Array.from(next)).toEqual(Array.from(expected));
        const moments = simd.moments(region);
        expect(Array.from(moments.m)).toEqual(Array.from(m));
        expect(Array.from(moments.v)).toEqual(Array.from(v));
        w.set(next);
      }
    }
  });

  it('keeps every region’s moments when its memory grows, and reports non-finite new weights', () => {
    const simd = SimdAdam.create()!;
    const first = simd.allocate(5);
    const w = Float32Array.of(1, -2, 3, 0, 0.5);
    simd.step(first, w, Float32Array.of(0.5, -1, 0.25, 0, 2), constantsAt(1));
    const before = Array.from(simd.moments(first).m);
    expect(before.some((x) => x !== 0)).toBe(true);
    simd.allocate(300_000); // several 64 KiB pages more
    expect(Array.from(simd.moments(first).m)).toEqual(before);
    // A non-finite gradient, or an update past float32's range (lr 1e39 as a float64), is NaN in the probe.
    const infinite = simd.step(first, w, Float32Array.of(0, Number.POSITIVE_INFINITY, 0, 0, 0), constantsAt(2));
    expect(infinite.probe).toBeNaN();
    const overflow = simd.step(first, Float32Array.of(3e38, 0, 0, 0, 0), Float32Array.of(-1, 0, 0, 0, 0), [
      ...constantsAt(3).slice(0, 7),
      1e39,
    ] as Constants);
    expect(overflow.probe).toBeNaN();
    expect(overflow.next[0]).toBe(Number.POSITIVE_INFINITY);
  });
});
