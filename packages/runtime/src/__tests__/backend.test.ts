import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { describeBackend, expectNoTensorLeak, isLosslabError, liveTensorCount, selectBackend } from '../index.js';

// Installed is not enough: `npm ci --ignore-scripts` leaves the package without its native binding.
const TFJS_NODE = '@tensorflow/tfjs-node';
const tfjsNodeInstalled = await import(/* @vite-ignore */ TFJS_NODE).then(
  () => true,
  () => false,
);

describe('selectBackend', () => {
  it.each(['cpu', 'wasm'] as const)('activates the requested %s backend and reports it', async (name) => {
    const info = await selectBackend({ requested: name });
    expect(info.name).toBe(name);
    expect(tf.getBackend()).toBe(name);
    expect(info.version).toBe(tf.version_core);
    expect(describeBackend(info)).toBe(`backend: ${name} (tfjs-core ${tf.version_core})`);
  });

  it('reads LOSSLAB_BACKEND when nothing is requested', async () => {
    const info = await selectBackend({ env: { LOSSLAB_BACKEND: 'cpu' } });
    expect(info.name).toBe('cpu');
  });

  it('falls back in order tensorflow → wasm → cpu and says why it skipped', async () => {
    const info = await selectBackend({ env: {} });
    if (tfjsNodeInstalled) {
      expect(info.name).toBe('tensorflow');
    } else {
      expect(info.name).toBe('wasm');
      expect(info.skipped.map((s) => s.name)).toEqual(['tensorflow']);
      expect(describeBackend(info)).toMatch(/skipped tensorflow: /);
    }
  });

  it('rejects an unknown backend name, naming the value and the choices', async () => {
    await expect(selectBackend({ requested: 'gpu' })).rejects.toThrow(
      'backend: expected one of tensorflow, wasm, cpu or auto, got "gpu"',
    );
  });

  it.skipIf(tfjsNodeInstalled)('fails loudly when tensorflow is requested but not installed', async () => {
    const error = await selectBackend({ requested: 'tensorflow' }).catch((e: unknown) => e);
    expect(isLosslabError(error, 'BACKEND_UNAVAILABLE')).toBe(true);
  });
});

describe('expectNoTensorLeak', () => {
  it('passes for tidy code and returns its value', async () => {
    await selectBackend({ requested: 'cpu' });
    const sum = await expectNoTensorLeak('tidy sum', () => tf.tidy(() => tf.sum(tf.add(tf.ones([3]), 1)).arraySync()));
    expect(sum).toBe(6);
  });

  it('throws TENSOR_LEAK with the count when tensors are left alive', async () => {
    await selectBackend({ requested: 'cpu' });
    const kept: tf.Tensor[] = [];
    const before = liveTensorCount();
    const error = await expectNoTensorLeak('leaky block', () => {
      kept.push(tf.ones([2]), tf.zeros([2]));
    }).catch((e: unknown) => e);
    expect(isLosslabError(error, 'TENSOR_LEAK')).toBe(true);
    expect((error as Error).message).toBe(
      `leaky block: 2 tensor(s) leaked (live tensors ${before} before, ${before + 2} after)`,
    );
    tf.dispose(kept);
  });
});
