import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isLosslabError } from '@losslab/runtime';
import { rejectionOf } from '@losslab/test-utils';
import { scalePixels } from '../index.js';
import { fileSha256, loadMnist, mnistFiles, readIdxSplit, writeIdx, type IdxArray, type IdxScale } from '../node.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'losslab-idx-split-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Writes an image and a label file and returns their paths. */
async function pair(
  name: string,
  images: IdxArray,
  labels: IdxArray,
  gzip = false,
): Promise<{ images: string; labels: string }> {
  const paths = { images: join(dir, `${name}-images${gzip ? '.gz' : ''}`), labels: join(dir, `${name}-labels`) };
  await writeIdx(paths.images, images, { gzip });
  await writeIdx(paths.labels, labels);
  return paths;
}

const bits = (values: Float32Array): Uint32Array => new Uint32Array(values.buffer, values.byteOffset, values.length);

describe('readIdxSplit', () => {
  it('reads a gzip uint8 image file and its labels into rows, with both fingerprints', async () => {
    const paths = await pair(
      'small',
      { dtype: 'uint8', shape: [3, 2, 2], data: Uint8Array.of(0, 51, 102, 255, 1, 2, 3, 4, 5, 6, 7, 8) },
      { dtype: 'uint8', shape: [3], data: Uint8Array.of(7, 0, 9) },
      true,
    );
    const { rows, files } = await readIdxSplit(paths, { scale: { divideBy: 255 } });
    expect(rows.size).toBe(3);
    expect(rows.featureShape).toEqual([2, 2]);
    expect(Array.from(rows.features.subarray(0, 4))).toEqual([0, 0.2, 0.4, 1].map(Math.fround));
    expect(rows.classIds).toEqual(Int32Array.of(7, 0, 9));
    expect(rows.columns).toEqual({});
    expect(files).toEqual([
      { path: paths.images, sha256: await fileSha256(paths.images) },
      { path: paths.labels, sha256: await fileSha256(paths.labels) },
    ]);
  });

  it('divideBy 255 is bit-identical to scalePixels on all 256 byte values', async () => {
    const bytes = Uint8Array.from({ length: 256 }, (_, i) => i);
    const paths = await pair(
      'bytes',
      { dtype: 'uint8', shape: [256, 1], data: bytes },
      { dtype: 'uint8', shape: [256], data: new Uint8Array(256) },
    );
    const { rows } = await readIdxSplit(paths, { scale: { divideBy: 255 } });
    expect(bits(rows.features)).toEqual(bits(scalePixels(bytes)));
    // Both are x / 255 in double, rounded once to float32.
    expect(Array.from(rows.features)).toEqual(Array.from(bytes, (x) => Math.fround(x / 255)));
  });

  it('reads any element type and rank: float64 rank 3 with "none", int16 with divideBy 2, int32 labels', async () => {
    const wide = await pair(
      'float64',
      { dtype: 'float64', shape: [2, 1, 3], data: Float64Array.of(0.1, -2, 3.5, 1e-3, 7, 8) },
      { dtype: 'int32', shape: [2], data: Int32Array.of(70000, 1) },
    );
    const none = await readIdxSplit(wide, { scale: 'none' });
    expect(none.rows.featureShape).toEqual([1, 3]);
    expect(Array.from(none.rows.features)).toEqual([0.1, -2, 3.5, 1e-3, 7, 8].map(Math.fround));
    expect(Array.from(none.rows.classIds)).toEqual([70000, 1]);

    const halves = await pair(
      'int16',
      { dtype: 'int16', shape: [2, 2], data: Int16Array.of(-3, 1, 32767, 0) },
      { dtype: 'int8', shape: [2], data: Int8Array.of(4, 5) },
    );
    const { rows } = await readIdxSplit(halves, { scale: { divideBy: 2 } });
    expect(Array.from(rows.features)).toEqual([-1.5, 0.5, 16383.5, 0]);
    expect(Array.from(rows.classIds)).toEqual([4, 5]);
  });

  it('real MNIST test split: the same pixels as loadMnist + scalePixels', async () => {
    const { rows, files } = await readIdxSplit(mnistFiles({ split: 'test' }), { scale: { divideBy: 255 } });
    const mnist = await loadMnist({ split: 'test' });
    expect([rows.size, ...rows.featureShape]).toEqual([10_000, 28, 28]);
    expect(rows.classIds[0]).toBe(7);
    expect(Buffer.compare(Buffer.from(rows.features.buffer), Buffer.from(scalePixels(mnist.images).buffer))).toBe(0);
    expect(Array.from(rows.classIds)).toEqual(Array.from(mnist.labels));
    expect(files).toEqual(mnist.files);
  });

  it('counts that disagree name both files', async () => {
    const paths = await pair(
      'counts',
      { dtype: 'uint8', shape: [3, 2], data: new Uint8Array(6) },
      { dtype: 'uint8', shape: [2], data: Uint8Array.of(1, 2) },
    );
    const error = await rejectionOf(readIdxSplit(paths, { scale: 'none' }));
    expect(isLosslabError(error, 'DATA_FORMAT')).toBe(true);
    expect(error.message).toBe(`IDX counts disagree: ${paths.images} has 3 images but ${paths.labels} has 2 labels`);
  });

  it.each<[string, IdxArray, IdxArray, (p: { images: string; labels: string }) => string]>([
    [
      'rank-1 image file',
      { dtype: 'uint8', shape: [2], data: new Uint8Array(2) },
      { dtype: 'uint8', shape: [2], data: new Uint8Array(2) },
      (p) => `IDX image file ${p.images}: expected rank >= 2 (count, then the shape of one row), got rank 1 uint8 [2]`,
    ],
    [
      'rank-2 label file',
      { dtype: 'uint8', shape: [2, 1], data: new Uint8Array(2) },
      { dtype: 'uint8', shape: [2, 1], data: new Uint8Array(2) },
      (p) =>
        `IDX label file ${p.labels}: expected a rank-1 integer (uint8, int8, int16, int32) IDX array, got rank 2 uint8 [2, 1]`,
    ],
    [
      'float label file',
      { dtype: 'uint8', shape: [2, 1], data: new Uint8Array(2) },
      { dtype: 'float32', shape: [2], data: Float32Array.of(0, 1) },
      (p) =>
        `IDX label file ${p.labels}: expected a rank-1 integer (uint8, int8, int16, int32) IDX array, got rank 1 float32 [2]`,
    ],
    [
      'negative label',
      { dtype: 'uint8', shape: [2, 1], data: new Uint8Array(2) },
      { dtype: 'int8', shape: [2], data: Int8Array.of(0, -1) },
      (p) => `IDX label file ${p.labels}: label 1 is -1; expected a class id >= 0`,
    ],
  ])('a %s is a DATA_FORMAT error naming the file', async (name, images, labels, message) => {
    const paths = await pair(name.replace(/ /g, '-'), images, labels);
    const error = await rejectionOf(readIdxSplit(paths, { scale: 'none' }));
    expect(isLosslabError(error, 'DATA_FORMAT')).toBe(true);
    expect(error.message).toBe(message(paths));
  });

  it('rejects a bad scale before reading, and a missing file is an IO error naming it', async () => {
    const paths = { images: join(dir, 'absent-images'), labels: join(dir, 'absent-labels') };
    for (const scale of [
      { divideBy: 0 },
      { divideBy: Number.POSITIVE_INFINITY },
      'unit',
      {},
    ] as unknown as IdxScale[]) {
      const error = await rejectionOf(readIdxSplit(paths, { scale }));
      expect(isLosslabError(error, 'INVALID_ARGUMENT')).toBe(true);
      expect(error.message).toMatch(/^options\.scale: expected "none" or \{ divideBy: a finite number > 0 \}, got /);
    }
    await expect(readIdxSplit(paths, { scale: { divideBy: Number.POSITIVE_INFINITY } })).rejects.toThrow(
      'options.scale: expected "none" or { divideBy: a finite number > 0 }, got { divideBy: Infinity }',
    );
    await expect(readIdxSplit(paths, { scale: 'unit' as IdxScale })).rejects.toThrow(/, got "unit"$/);
    const error = await rejectionOf(readIdxSplit(paths, { scale: 'none' }));
    expect(isLosslabError(error, 'IO')).toBe(true);
    expect(error.message).toMatch(/^cannot read .*absent-(images|labels): file not found$/);
  });

  it('limit reads only the first rows of both files: a bad label after them is never decoded (issue 22 case 15)', async () => {
    const paths = await pair(
      'limited',
      { dtype: 'uint8', shape: [4, 2], data: Uint8Array.of(0, 255, 51, 102, 1, 2, 3, 4) },
      { dtype: 'int8', shape: [4], data: Int8Array.of(3, 1, 2, -1) },
      true,
    );
    const { rows, files } = await readIdxSplit(paths, { scale: { divideBy: 255 }, limit: 2 });
    expect(rows.size).toBe(2);
    expect(Array.from(rows.classIds)).toEqual([3, 1]);
    expect(Array.from(rows.features)).toEqual([0, 1, Math.fround(51 / 255), Math.fround(102 / 255)]);
    // The fingerprints are of the whole files as stored, as without limit.
    expect(files).toEqual([
      { path: paths.images, sha256: await fileSha256(paths.images) },
      { path: paths.labels, sha256: await fileSha256(paths.labels) },
    ]);
    // Without limit the fourth label is read, and refused.
    await expect(readIdxSplit(paths, { scale: 'none' })).rejects.toThrow(
      `IDX label file ${paths.labels}: label 3 is -1; expected a class id >= 0`,
    );
  });

  it('limit still refuses files whose declared counts disagree, naming both', async () => {
    const paths = await pair(
      'limited-mismatch',
      { dtype: 'uint8', shape: [3, 1], data: Uint8Array.of(1, 2, 3) },
      { dtype: 'uint8', shape: [2], data: Uint8Array.of(0, 1) },
    );
    await expect(readIdxSplit(paths, { scale: 'none', limit: 1 })).rejects.toThrow(
      `IDX counts disagree: ${paths.images} has 3 images but ${paths.labels} has 2 labels`,
    );
  });
});
