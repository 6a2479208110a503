import { mkdtempSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as E from 'fp-ts/lib/Either.js';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { cachedFileSha256, fileSha256 } from '@losslab/data/node';
import { hashOf } from '@losslab/runtime';
import {
  adam,
  categoricalCrossentropy,
  classification,
  csv,
  defineExperiment,
  mlp,
  mnist,
  oneHot,
  resolveExperiment,
  subsample,
} from '../index.js';
import { registry } from '../kinds/index.js';
import { sourceFingerprint } from '../queue/data-check.js';
import { tinyMnistOdd } from './fixtures.js';

/**
 * The data check a queue worker makes before every job (issue 30 item 3): it hashes the data
 * files instead of loading them, and must give exactly the fingerprint loading gives (the record's
 * `dataFingerprint` is compared with it), else every worker would refuse every job.
 */

const root = mkdtempSync(join(tmpdir(), 'losslab-data-check-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const specOf = (definition: Parameters<typeof resolveExperiment>[0]) => {
  const resolved = resolveExperiment(definition, join(root, 'def.ts'));
  if (E.isLeft(resolved)) throw new Error(resolved.left.problems.join('\n'));
  return resolved.right.variants[0]!.spec;
};

describe('sourceFingerprint', () => {
  it.each([
    ['idx (MNIST, limit 256)', () => specOf(tinyMnistOdd())],
    ['idx (MNIST, files swapped, no limit)', () => specOf(tinyMnistOdd({ data: mnist({ trainFiles: 'test' }) }))],
    [
      'csv with limit and a transform',
      () => {
        writeFileSync(join(root, 'rows.csv'), 'a,kind\n0.1,x\n0.2,y\n0.3,x\n');
        return specOf(
          defineExperiment({
            name: 'csv-check',
            description: 'csv',
            data: csv({
              splits: { train: 'rows.csv' },
              features: ['a'],
              label: 'kind',
              classNames: ['x', 'y'],
              limit: 2,
            }),
            labels: { kind: oneHot(['x', 'y']) },
            model: mlp({ hidden: [], output: { units: 2, activation: 'softmax' } }),
            loss: categoricalCrossentropy(),
            transforms: [subsample({ classes: [1], keep: 0.5 })],
            optimizer: adam(),
            train: { epochs: 1, batchSize: 2 },
            evaluation: classification({ split: 'train', target: 'kind' }),
            seeds: [0],
            variants: { base: {} },
          }),
        );
      },
    ],
  ])('%s: equals the fingerprint loading gives, without loading', async (_name, spec) => {
    const runSpec = spec();
    const kind = registry.data.get(runSpec.data.kind);
    const loaded = (await kind.load(runSpec.data, { baseDir: root })).fingerprint;
    const transforms =
      runSpec.transforms === undefined || runSpec.transforms.length === 0
        ? {}
        : { transforms: hashOf(runSpec.transforms) };
    const load = vi.spyOn(kind, 'load');
    try {
      expect(await sourceFingerprint(runSpec, registry, root)).toEqual({ ...loaded, ...transforms });
      expect(load).not.toHaveBeenCalled();
    } finally {
      load.mockRestore();
    }
  });
});

describe('cachedFileSha256', () => {
  it('hashes once while the file is unchanged, again when it changed even with its old size and mtime', async () => {
    const file = join(root, 'data.bin');
    writeFileSync(file, 'abcd');
    expect(await cachedFileSha256(file)).toBe(await fileSha256(file));
    const { atime, mtime } = statSync(file);
    // Same size, same modification time restored: only the change time (and the bytes) differ.
    writeFileSync(file, 'abce');
    utimesSync(file, atime, mtime);
    expect(await cachedFileSha256(file)).toBe(await fileSha256(file));
    // Replaced by another file (another inode) of the same size and times.
    const other = join(root, 'other.bin');
    writeFileSync(other, 'zzzz');
    utimesSync(other, atime, mtime);
    rmSync(file);
    writeFileSync(file, 'wxyz');
    utimesSync(file, atime, mtime);
    expect(await cachedFileSha256(file)).toBe(await fileSha256(file));
  });
});
