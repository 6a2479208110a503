import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { expectNoTensorLeak, liveTensorCount } from '@losslab/runtime';
import { TEST_BACKENDS, useBackend } from '@losslab/test-utils';
import {
  arrayDataset,
  batchCount,
  batches,
  concatDatasets,
  datasetTensors,
  epochOrder,
  subset,
  take,
  type ArrayDataset,
  type BatchPlan,
} from '../index.js';

const plan = (overrides: Partial<BatchPlan> = {}): BatchPlan => ({
  batchSize: 4,
  shuffle: true,
  remainder: 'keep',
  seed: 42,
  ...overrides,
});

/** size samples of featureShape [2, 3]: feature values i*100 + k, label row [i, -i]. */
function tinyDataset(size: number): ArrayDataset {
  return arrayDataset({
    features: Float32Array.from({ length: size * 6 }, (_, j) => Math.floor(j / 6) * 100 + (j % 6)),
    featureShape: [2, 3],
    labels: Float32Array.from({ length: size * 2 }, (_, j) => (j % 2 === 0 ? 1 : -1) * Math.floor(j / 2)),
    labelWidth: 2,
  });
}

const isPermutation = (order: Int32Array): boolean =>
  Array.from(order)
    .sort((a, b) => a - b)
    .every((v, i) => v === i);

describe('batchCount and epochOrder', () => {
  it('counts 468 batches of 128 in 60,000 with drop, 469 with keep', () => {
    expect(batchCount(60_000, plan({ batchSize: 128, remainder: 'drop' }))).toBe(468);
    expect(batchCount(60_000, plan({ batchSize: 128, remainder: 'keep' }))).toBe(469);
    expect(batchCount(256, plan({ batchSize: 128, remainder: 'drop' }))).toBe(2);
    expect(batchCount(3, plan({ batchSize: 4, remainder: 'drop' }))).toBe(0);
  });

  it('same seed and epoch give the same order, another epoch or seed another one, each a permutation', () => {
    const size = 60_000;
    const a = epochOrder(size, plan(), 0);
    expect(epochOrder(size, plan(), 0)).toEqual(a);
    const b = epochOrder(size, plan(), 1);
    const c = epochOrder(size, plan({ seed: 43 }), 0);
    expect(b).not.toEqual(a);
    expect(c).not.toEqual(a);
    for (const order of [a, b, c]) expect(isPermutation(order)).toBe(true);
    // A real shuffle, not a rotation: many positions change.
    expect(a.filter((v, i) => v === i).length).toBeLessThan(10);
  });

  it('is the identity without shuffle', () => {
    expect(Array.from(epochOrder(5, plan({ shuffle: false }), 3))).toEqual([0, 1, 2, 3, 4]);
  });

  it('rejects a bad plan by field name', () => {
    expect(() => batchCount(10, plan({ batchSize: 0 }))).toThrow('plan.batchSize: expected an integer >= 1, got 0');
    expect(() => batchCount(10, plan({ remainder: 'pad' as 'drop' }))).toThrow(
      'plan.remainder: expected "drop" or "keep", got "pad"',
    );
    expect(() => epochOrder(10, plan(), -1)).toThrow('epoch: expected an integer >= 0, got -1');
  });
});

describe('subset, take, concatDatasets, arrayDataset', () => {
  const ds = tinyDataset(5);

  it('subset copies rows in the given order', () => {
    const picked = subset(ds, [4, 1]);
    expect(picked.size).toBe(2);
    expect(Array.from(picked.features)).toEqual([400, 401, 402, 403, 404, 405, 100, 101, 102, 103, 104, 105]);
    expect(Array.from(picked.labels)).toEqual([4, -4, 1, -1]);
    expect(() => subset(ds, [5])).toThrow('indices[0]: expected an integer row in [0, 5), got 5');
  });

  it('take keeps the first n rows and refuses more than size', () => {
    const first = take(ds, 2);
    expect(first.size).toBe(2);
    expect(Array.from(first.labels)).toEqual([0, -0, 1, -1]);
    expect(first.features.length).toBe(12);
    expect(() => take(ds, 6)).toThrow('n: expected at most the dataset size 5, got 6');
  });

  it('concatDatasets stacks and checks shapes', () => {
    const both = concatDatasets([take(ds, 1), subset(ds, [3])]);
    expect(both.size).toBe(2);
    expect(Array.from(both.labels)).toEqual([0, -0, 3, -3]);
    const other = arrayDataset({
      features: new Float32Array(2),
      featureShape: [2],
      labels: new Float32Array(2),
      labelWidth: 2,
    });
    expect(() => concatDatasets([ds, other])).toThrow(
      'datasets[1]: expected featureShape [2, 3] and labelWidth 2 like datasets[0], got [2] and 2',
    );
  });

  it('arrayDataset checks the lengths', () => {
    expect(() =>
      arrayDataset({ features: new Float32Array(5), featureShape: [2], labels: new Float32Array(3), labelWidth: 1 }),
    ).toThrow('features: expected 3 × 2 = 6 values for 3 labels and featureShape [2], got 5');
  });
});

describe.each(TEST_BACKENDS)('batches on %s', (backend) => {
  beforeAll(async () => {
    await useBackend(backend);
  });

  it('gathers the epoch order into tensors of the right shape, without leaks', async () => {
    const ds = tinyDataset(10);
    const p = plan({ batchSize: 4, remainder: 'keep' });
    const order = Array.from(epochOrder(10, p, 2));
    const seenLabels: number[] = [];
    const sizes: number[] = [];
    await expectNoTensorLeak('batches', () => {
      for (const batch of batches(ds, p, 2)) {
        expect(batch.x.shape).toEqual([batch.size, 2, 3]);
        expect(batch.y.shape).toEqual([batch.size, 2]);
        const x = batch.x.arraySync() as number[][][];
        const y = batch.y.arraySync();
        y.forEach((row, r) => {
          seenLabels.push(row[0]!);
          // The features travel with their label.
          expect(x[r]).toEqual([
            [row[0]! * 100, row[0]! * 100 + 1, row[0]! * 100 + 2],
            [row[0]! * 100 + 3, row[0]! * 100 + 4, row[0]! * 100 + 5],
          ]);
          expect(row[1]).toBe(-row[0]!);
        });
        sizes.push(batch.size);
        batch.x.dispose();
        batch.y.dispose();
      }
    });
    expect(sizes).toEqual([4, 4, 2]);
    expect(seenLabels).toEqual(order);
  });

  it('shuffles each epoch differently and the same (seed, epoch) identically', async () => {
    const ds = tinyDataset(32);
    const p = plan({ batchSize: 8, remainder: 'drop' });
    // The row ids (label column 0) in the order batches() yields them.
    const rowsOf = (seed: number, epoch: number): number[] => {
      const ids: number[] = [];
      for (const { x, y } of batches(ds, { ...p, seed }, epoch)) {
        ids.push(...Array.from(y.dataSync()).filter((_, j) => j % 2 === 0));
        tf.dispose([x, y]);
      }
      return ids;
    };
    await expectNoTensorLeak('batches per epoch', () => {
      const epochs = [0, 1, 2].map((epoch) => rowsOf(42, epoch));
      expect(new Set(epochs.map((ids) => ids.join(','))).size, 'distinct orders among 3 epochs').toBe(3);
      expect(rowsOf(42, 1)).toEqual(epochs[1]);
      expect(rowsOf(43, 1)).not.toEqual(epochs[1]);
      epochs.forEach((ids, epoch) => expect(ids).toEqual(Array.from(epochOrder(32, p, epoch))));
    });
  });

  it('each batch keeps its rows while later batches are gathered', async () => {
    const ds = tinyDataset(10);
    const p = plan({ batchSize: 4, remainder: 'keep' });
    await expectNoTensorLeak('batches kept', () => {
      // All batches alive at once: a gather buffer shared with an earlier batch's tensors would show here.
      const all = [...batches(ds, p, 1)];
      const ids = all.flatMap(({ y }) => Array.from(y.dataSync()).filter((_, j) => j % 2 === 0));
      expect(ids).toEqual(Array.from(epochOrder(10, p, 1)));
      all.forEach(({ x, y }) =>
        expect(Array.from(x.dataSync()).filter((_, j) => j % 6 === 0)).toEqual(
          Array.from(y.dataSync())
            .filter((_, j) => j % 2 === 0)
            .map((id) => id * 100),
        ),
      );
      tf.dispose(all.flatMap(({ x, y }) => [x, y]));
    });
  });

  it('drops the remainder when asked', async () => {
    const ds = tinyDataset(10);
    await expectNoTensorLeak('batches drop', () => {
      const sizes: number[] = [];
      for (const { x, y, size } of batches(ds, plan({ remainder: 'drop' }), 0)) {
        sizes.push(size);
        tf.dispose([x, y]);
      }
      expect(sizes).toEqual([4, 4]);
    });
  });

  it('creates no tensors for batches never requested', () => {
    const before = liveTensorCount();
    const iterator = batches(tinyDataset(10), plan(), 0);
    const first = iterator.next();
    iterator.return(undefined);
    expect(liveTensorCount()).toBe(before + 2);
    if (!first.done) tf.dispose([first.value.x, first.value.y]);
    expect(liveTensorCount()).toBe(before);
  });

  it('datasetTensors gives the whole set', async () => {
    await expectNoTensorLeak('datasetTensors', () => {
      const { x, y, size } = datasetTensors(tinyDataset(3));
      expect(size).toBe(3);
      expect(x.shape).toEqual([3, 2, 3]);
      expect(y.arraySync()).toEqual([
        [0, -0],
        [1, -1],
        [2, -2],
      ]);
      tf.dispose([x, y]);
    });
  });
});
