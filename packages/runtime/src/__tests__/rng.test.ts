import { describe, expect, it } from 'vitest';
import { createRng, deriveSeed } from '../index.js';

describe('createRng', () => {
  it('gives the same sequence for the same seed and a different one for another seed', () => {
    const a = createRng(7);
    const b = createRng(7);
    const c = createRng(8);
    const seqA = Array.from({ length: 20 }, () => a.next());
    const seqB = Array.from({ length: 20 }, () => b.next());
    const seqC = Array.from({ length: 20 }, () => c.next());
    expect(seqA).toEqual(seqB);
    expect(seqA).not.toEqual(seqC);
  });

  it('draws uniforms in [0, 1) with mean ≈ 0.5 and normals with mean ≈ 0, variance ≈ 1', () => {
    const rng = createRng(1);
    const n = 20_000;
    let sum = 0;
    let min = 1;
    let max = 0;
    for (let i = 0; i < n; i++) {
      const u = rng.next();
      sum += u;
      min = Math.min(min, u);
      max = Math.max(max, u);
    }
    expect(min).toBeGreaterThanOrEqual(0);
    expect(max).toBeLessThan(1);
    expect(sum / n).toBeCloseTo(0.5, 1);
    let s1 = 0;
    let s2 = 0;
    for (let i = 0; i < n; i++) {
      const z = rng.normal();
      s1 += z;
      s2 += z * z;
    }
    expect(s1 / n).toBeCloseTo(0, 1);
    expect(s2 / n).toBeCloseTo(1, 1);
  });

  it('shuffles into a permutation, reproducibly', () => {
    const items = Array.from({ length: 50 }, (_, i) => i);
    const once = createRng(3).shuffle([...items]);
    const again = createRng(3).shuffle([...items]);
    expect(once).toEqual(again);
    expect(once).not.toEqual(items);
    expect([...once].sort((x, y) => x - y)).toEqual(items);
  });

  it('shuffles without bias: every permutation as often, one fixed point per permutation on average', () => {
    // A uniform shuffle fixes each of n items with probability 1/n: 1 fixed point on average.
    // `Math.floor(next() * i)` (Sattolo's cycle) gives valid, reproducible permutations that
    // never fix a point, and only (n−1)! of the n! orders.
    const runs = 2400;
    const fixedPoints = Array.from(
      { length: runs },
      (_, seed) =>
        createRng(seed)
          .shuffle(Array.from({ length: 10 }, (_, i) => i))
          .filter((item, position) => item === position).length,
    );
    const meanFixed = fixedPoints.reduce((sum, count) => sum + count, 0) / runs;
    // Its count has variance 1: the standard error over 2400 seeds is 0.02.
    expect(meanFixed).toBeGreaterThan(0.9);
    expect(meanFixed).toBeLessThan(1.1);

    // All 24 orders of 4 items, each expected 100 times: Pearson's χ² with 23 degrees of freedom
    // stays below 49.7, its 99.9% quantile (the seeds are fixed, so this is deterministic).
    const counts = new Map<string, number>();
    for (let seed = 0; seed < runs; seed++) {
      const order = createRng(seed).shuffle([0, 1, 2, 3]).join('');
      counts.set(order, (counts.get(order) ?? 0) + 1);
    }
    expect(counts.size).toBe(24);
    const expected = runs / 24;
    const chiSquare = [...counts.values()].reduce((sum, count) => sum + (count - expected) ** 2 / expected, 0);
    expect(chiSquare).toBeLessThan(49.7);
  });

  it('int stays in range and rejects a non-positive bound by name', () => {
    const rng = createRng(5);
    for (let i = 0; i < 1000; i++) {
      const k = rng.int(3);
      expect([0, 1, 2]).toContain(k);
    }
    expect(() => rng.int(0)).toThrow(/maxExclusive: expected an integer >= 1, got 0/);
  });
});

describe('deriveSeed', () => {
  it('is deterministic, separates purposes and parents, and stays a uint32', () => {
    expect(deriveSeed(1, 'shuffle')).toBe(deriveSeed(1, 'shuffle'));
    const seeds = new Set([
      deriveSeed(1, 'shuffle'),
      deriveSeed(1, 'init'),
      deriveSeed(2, 'shuffle'),
      deriveSeed(1, 'init', 0),
      deriveSeed(1, 'init', 1),
      deriveSeed(1),
    ]);
    expect(seeds.size).toBe(6);
    for (const s of seeds) {
      expect(Number.isInteger(s)).toBe(true);
      expect(s).toBeGreaterThanOrEqual(0);
      expect(s).toBeLessThan(2 ** 32);
    }
  });

  it('rejects a negative or fractional seed', () => {
    expect(() => deriveSeed(-1)).toThrow(/seed: expected an integer >= 0, got -1/);
    expect(() => createRng(1.5)).toThrow(/seed/);
  });
});

describe('Rng.snapshot / restore', () => {
  it('continues a sequence exactly where the snapshot was taken, pending normal value included', () => {
    const original = createRng(7);
    original.next();
    original.normal(); // leaves the second Box–Muller value pending
    const snapshot = original.snapshot();
    const expected = [original.normal(), original.next(), original.int(1000), original.normal()];
    const resumed = createRng(99);
    resumed.restore(snapshot);
    expect([resumed.normal(), resumed.next(), resumed.int(1000), resumed.normal()]).toEqual(expected);
  });

  it('is plain data that survives JSON', () => {
    const rng = createRng(3);
    rng.next();
    const copy = createRng(0);
    copy.restore(JSON.parse(JSON.stringify(rng.snapshot())) as ReturnType<typeof rng.snapshot>);
    expect(copy.next()).toBe(rng.next());
  });

  it('rejects a state that is not a uint32 integer, naming the field', () => {
    expect(() => createRng(0).restore({ state: 1.5 })).toThrow(/snapshot\.state/);
  });
});
