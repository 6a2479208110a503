import { requireInteger } from './errors.js';

/**
 * A small deterministic random source. losslab derives every random choice (shuffling,
 * synthetic data, weight-initialiser seeds) from one of these so that a run is reproducible
 * from its seed alone.
 */
export interface Rng {
  /** Uniform in [0, 1). */
  next(): number;
  /** Uniform integer in [0, maxExclusive). */
  int(maxExclusive: number): number;
  /** Uniform in [min, max). */
  uniform(min: number, max: number): number;
  /** Standard normal (Box–Muller). */
  normal(): number;
  /** Fisher–Yates shuffle of `items` in place; returns `items`. */
  shuffle<T extends { length: number; [i: number]: unknown }>(items: T): T;
  /** Where the sequence stands now, as plain data (for checkpoints). */
  snapshot(): RngSnapshot;
  /** Continues the sequence from a {@link Rng.snapshot} (of any Rng), so the next draws repeat the ones that followed it. */
  restore(snapshot: RngSnapshot): void;
}

/** The whole state of an {@link Rng}: the mulberry32 state and the second Box–Muller value, if one is pending. */
export interface RngSnapshot {
  readonly state: number;
  readonly spareNormal?: number;
}

const UINT32 = 0x1_0000_0000;

/** 32-bit avalanche mix (from the splitmix32 finaliser). */
function mix32(value: number): number {
  let z = value >>> 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
  return (z ^ (z >>> 16)) >>> 0;
}

/**
 * Derives an independent uint32 seed for a named purpose from a parent seed, so that adding a
 * new random consumer never shifts the numbers another consumer sees.
 *
 * @example
 * const shuffleSeed = deriveSeed(runSeed, 'shuffle');
 * const initSeed = deriveSeed(runSeed, 'init', 'dense_1');
 */
export function deriveSeed(seed: number, ...path: readonly (string | number)[]): number {
  requireInteger('seed', seed, 0);
  let hash = mix32(seed ^ 0x9e3779b9);
  for (const part of path) {
    for (const ch of `/${String(part)}`) {
      hash = mix32((hash ^ ch.charCodeAt(0)) + 0x6d2b79f5);
    }
  }
  return hash;
}

/**
 * Creates a seeded {@link Rng} (mulberry32 state update).
 *
 * @example
 * const rng = createRng(42);
 * rng.shuffle([1, 2, 3, 4]);
 */
export function createRng(seed: number): Rng {
  requireInteger('seed', seed, 0);
  let state = mix32(seed) >>> 0;
  let spareNormal: number | undefined;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / UINT32;
  };
  const rng: Rng = {
    next,
    int: (maxExclusive) => Math.floor(next() * requireInteger('maxExclusive', maxExclusive)),
    uniform: (min, max) => min + (max - min) * next(),
    normal: () => {
      if (spareNormal !== undefined) {
        const value = spareNormal;
        spareNormal = undefined;
        return value;
      }
      // 1 - next() is in (0, 1], so the log is finite.
      const radius = Math.sqrt(-2 * Math.log(1 - next()));
      const angle = 2 * Math.PI * next();
      spareNormal = radius * Math.sin(angle);
      return radius * Math.cos(angle);
    },
    shuffle: (items) => {
      for (let i = items.length - 1; i > 0; i--) {
        const j = Math.floor(next() * (i + 1));
        const tmp = items[i];
        items[i] = items[j];
        items[j] = tmp;
      }
      return items;
    },
    snapshot: () => ({ state, ...(spareNormal === undefined ? {} : { spareNormal }) }),
    restore: (snapshot) => {
      state = requireInteger('snapshot.state', snapshot.state, 0) >>> 0;
      spareNormal = snapshot.spareNormal;
    },
  };
  return rng;
}

/**
 * Something that draws from an {@link Rng} as it is used (a dropout layer drawing one mask seed per
 * training call), whose position in that sequence a checkpoint must keep so a resumed run draws
 * what an uninterrupted one would.
 */
export interface RandomStateHolder {
  randomState(): RngSnapshot;
  restoreRandomState(snapshot: RngSnapshot): void;
}

/** True when `value` implements {@link RandomStateHolder} (checked by its two methods). */
export const holdsRandomState = (value: unknown): value is RandomStateHolder =>
  typeof value === 'object' &&
  value !== null &&
  typeof (value as Partial<RandomStateHolder>).randomState === 'function' &&
  typeof (value as Partial<RandomStateHolder>).restoreRandomState === 'function';
