import * as tfl from '@tensorflow/tfjs-layers';
import { deriveSeed } from '@losslab/runtime';

/** A tfjs-layers weight initialiser. */
export type Initializer = ReturnType<typeof tfl.initializers.zeros>;

/** Which weight of a layer a seed initialises. */
export type WeightRole = 'kernel' | 'recurrent' | 'bias';

/**
 * The seed of one weight initialiser: `deriveSeed(seed, 'init', layerIndex, role)`, never 0.
 * tfjs-core's random-normal generator treats a falsy seed as "unseeded" (`seed ? seed :
 * Math.random()`), so the one-in-2³² derived value 0 is mapped to 1.
 *
 * @example
 * initSeed(42, 0, 'kernel'); // same number on every run
 */
export function initSeed(seed: number, layerIndex: number, role: WeightRole): number {
  return deriveSeed(seed, 'init', layerIndex, role) || 1;
}

/**
 * Glorot-uniform initialiser seeded for `role` of layer `layerIndex`. tfjs-layers passes the
 * seed to tfjs-core's `randomUniform`, which draws on the CPU with seedrandom's alea, so the
 * values are the same on every backend.
 */
export const seededGlorotUniform = (seed: number, layerIndex: number, role: WeightRole): Initializer =>
  // Initializer is the type of tfl.initializers.zeros(); every tfjs initializer satisfies it.
  // eslint-disable-next-line @typescript-eslint/no-unsafe-class-instance-assignment
  tfl.initializers.glorotUniform({ seed: initSeed(seed, layerIndex, role) });
