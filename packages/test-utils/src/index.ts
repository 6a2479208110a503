import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll } from 'vitest';
import { selectBackend, type BackendName } from '@losslab/runtime';

/** Backends every tensor test runs on: both must work on a machine without native TensorFlow. */
export const TEST_BACKENDS: readonly BackendName[] = ['cpu', 'wasm'];

/** Activates `name` (default: `LOSSLAB_TEST_BACKEND` or cpu) for the tests that follow. */
export async function useBackend(name?: BackendName): Promise<void> {
  await selectBackend({ requested: name ?? process.env.LOSSLAB_TEST_BACKEND ?? 'cpu' });
}

/**
 * Central finite-difference gradient of a scalar function of a flat vector, in float64.
 * Use with float32 tensors at `epsilon` around 1e-3 and compare with a tolerance of ~1e-2.
 */
export function numericGradient(f: (x: Float64Array) => number, x: ArrayLike<number>, epsilon = 1e-3): Float64Array {
  const point = Float64Array.from(x);
  const grad = new Float64Array(point.length);
  for (let i = 0; i < point.length; i++) {
    const original = point[i]!;
    point[i] = original + epsilon;
    const up = f(point);
    point[i] = original - epsilon;
    const down = f(point);
    point[i] = original;
    grad[i] = (up - down) / (2 * epsilon);
  }
  return grad;
}

/** Reads a tensor as a plain nested array and disposes nothing (the caller owns it). */
export const values = (t: tf.Tensor): number[] => Array.from(t.dataSync());

/** The error `body` throws; fails the test when it throws nothing. */
export function thrownBy(body: () => unknown): Error {
  try {
    body();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected an error');
}

/** The error `promise` rejects with; fails the test when it resolves. */
export async function rejectionOf(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a rejection');
}

/**
 * Temporary folders under the system's temporary directory, named `prefix` plus a random suffix,
 * removed (with everything in them) after the tests of the file or `describe` block that called
 * this. Call it at module or `describe` level, not inside a test: it registers an `afterAll` hook.
 */
export function temporaryFolders(prefix: string): { make(): string } {
  const made: string[] = [];
  afterAll(() => {
    for (const folder of made.splice(0)) rmSync(folder, { recursive: true, force: true });
  });
  return {
    make() {
      const folder = mkdtempSync(join(tmpdir(), prefix));
      made.push(folder);
      return folder;
    },
  };
}
export { isolatedNxEnv } from './nx.js';
export { git } from './git.js';
