import { fileURLToPath } from 'node:url';
import * as E from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import { hashOf, resolveExperiment, setPath } from '../index.js';
import { loadDefinitionFile } from '../load-definition.js';
import { reuseKey, sameReuseKey } from '../store.js';
import { tinyMnistOdd } from './fixtures.js';

const MNIST_ODD = fileURLToPath(new URL('../../../../experiments/mnist-odd.ts', import.meta.url));

const variantsOf = (raw: unknown) => {
  const resolved = resolveExperiment(raw, 'test.ts');
  if (E.isLeft(resolved)) throw new Error(resolved.left.problems.join('\n'));
  return resolved.right.variants;
};

describe('a variant resolved once', () => {
  it('keeps the settings hash of runs made before the redesign (existing run folders stay reusable)', async () => {
    const [masked] = variantsOf(await loadDefinitionFile(MNIST_ODD));
    // The definitionHash of experiments/mnist-odd.ts's run made on main before the runner was reshaped.
    expect(masked?.hash).toBe('67bded3dc9483a646c360a209e0a7e3330903ce30832f7c419d6b6f48389a7a3');
    expect(masked?.hash).toBe(hashOf(masked?.spec));
  });

  it('fills the training defaults in beside the declared settings, which stay as written', () => {
    const [plain] = variantsOf(tinyMnistOdd());
    expect(plain?.train).toEqual({
      shuffle: true,
      remainder: 'drop',
      reduction: 'sumOverBatchSize',
      checkpointEvery: 1,
      keepCheckpoints: false,
    });
    expect(plain?.spec.train).not.toHaveProperty('reduction');
    const declared = setPath(
      setPath(setPath(tinyMnistOdd(), 'train.reduction', 'sum'), 'train.keepCheckpoints', true),
      'train.checkpointEvery',
      3,
    );
    const [given] = variantsOf(declared);
    expect(given?.train).toMatchObject({ reduction: 'sum', keepCheckpoints: true, checkpointEvery: 3 });
    expect(given?.spec.train.reduction).toBe('sum');
    expect(given?.hash).not.toBe(plain?.hash);
  });
});

describe('the reuse key', () => {
  const key = reuseKey({ hash: 'h' }, 1, 'wasm', 'c');

  it('is the settings hash, seed, backend and code, and matches only when every part does', () => {
    expect(key).toEqual({ definitionHash: 'h', seed: 1, backend: 'wasm', codeFingerprint: 'c' });
    expect(sameReuseKey({ ...key }, key)).toBe(true);
    for (const other of [
      { ...key, definitionHash: 'g' },
      { ...key, seed: 0 },
      { ...key, backend: 'cpu' },
      { ...key, codeFingerprint: 'd' },
    ])
      expect(sameReuseKey(other, key), JSON.stringify(other)).toBe(false);
    // a started.json read back without a part is no match
    const { seed: _seed, ...withoutSeed } = key;
    expect(sameReuseKey(withoutSeed, key)).toBe(false);
  });
});
