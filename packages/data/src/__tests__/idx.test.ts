import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isLosslabError } from '@losslab/runtime';
import { rejectionOf } from '@losslab/test-utils';
import { decodeIdx, encodeIdx, fileSha256, readIdx, writeIdx, type IdxArray } from '../node.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'losslab-idx-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('IDX encoding', () => {
  it('writes the header and big-endian elements byte by byte', () => {
    const bytes = encodeIdx({ dtype: 'int16', shape: [2], data: Int16Array.of(258, -2) });
    // magic 00 00 0b 01, dim 00 00 00 02, then 0x0102 and 0xfffe big-endian.
    expect(Array.from(bytes)).toEqual([0, 0, 0x0b, 1, 0, 0, 0, 2, 0x01, 0x02, 0xff, 0xfe]);
  });

  it('rejects data whose length does not match the shape', () => {
    expect(() => encodeIdx({ dtype: 'uint8', shape: [2, 2], data: Uint8Array.of(1, 2, 3) })).toThrow(
      'array.data: expected 4 elements for shape [2, 2], got 3',
    );
  });
});

describe('readIdx round trip', () => {
  const cases: [string, IdxArray][] = [
    ['uint8 rank 3', { dtype: 'uint8', shape: [2, 3, 2], data: Uint8Array.from({ length: 12 }, (_, i) => i * 20) }],
    ['int8', { dtype: 'int8', shape: [4], data: Int8Array.of(-128, -1, 0, 127) }],
    ['int16', { dtype: 'int16', shape: [3], data: Int16Array.of(-32768, 258, 32767) }],
    ['int32 rank 2', { dtype: 'int32', shape: [2, 2], data: Int32Array.of(-2147483648, 16909060, 0, 2147483647) }],
    ['float32', { dtype: 'float32', shape: [3], data: Float32Array.of(0.5, -1.25, 3.4028234663852886e38) }],
    ['float64', { dtype: 'float64', shape: [1, 2], data: Float64Array.of(Math.PI, -1e-300) }],
  ];
  for (const gzip of [false, true]) {
    it.each(cases)(`%s (${gzip ? 'gzip' : 'plain'})`, async (name, array) => {
      const path = join(dir, `${name.replace(/ /g, '-')}${gzip ? '.gz' : ''}`);
      await writeIdx(path, array, { gzip });
      const read = await readIdx(path);
      expect(read.dtype).toBe(array.dtype);
      expect(read.shape).toEqual(array.shape);
      expect(read.data.constructor).toBe(array.data.constructor);
      expect(Array.from(read.data)).toEqual(Array.from(array.data));
    });
  }

  it('reads a hand-written uint8 label file', async () => {
    const path = join(dir, 'hand-labels');
    await writeFile(path, Uint8Array.of(0, 0, 8, 1, 0, 0, 0, 3, 7, 2, 1));
    expect(await readIdx(path)).toEqual({ dtype: 'uint8', shape: [3], data: Uint8Array.of(7, 2, 1) });
  });
});

describe('readIdx errors', () => {
  const images: IdxArray = { dtype: 'uint8', shape: [10, 28, 28], data: new Uint8Array(7840) };

  it('a truncated file names the path, expected and actual length', async () => {
    const path = join(dir, 'truncated-images');
    await writeFile(path, encodeIdx(images).subarray(0, 5000));
    const error = await rejectionOf(readIdx(path));
    expect(isLosslabError(error, 'DATA_FORMAT')).toBe(true);
    expect(error.message).toBe(`IDX file ${path}: expected 7856 bytes for 10×28×28 uint8, got 5000 (truncated)`);
  });

  it('a truncated gzip file is reported against the gunzipped length', async () => {
    const path = join(dir, 'truncated-images.gz');
    await writeFile(path, gzipSync(encodeIdx(images).subarray(0, 100)));
    const error = await rejectionOf(readIdx(path));
    expect(error.message).toContain(path);
    expect(error.message).toContain('expected 7856 bytes for 10×28×28 uint8, got 100');
  });

  it('a corrupt gzip stream is a DATA_FORMAT error naming the path', async () => {
    const path = join(dir, 'corrupt.gz');
    await writeFile(path, Uint8Array.of(0x1f, 0x8b, 1, 2, 3, 4));
    const error = await rejectionOf(readIdx(path));
    expect(isLosslabError(error, 'DATA_FORMAT')).toBe(true);
    expect(error.message).toContain(`IDX file ${path}: starts with the gzip magic`);
  });

  it('trailing bytes are rejected too', async () => {
    const path = join(dir, 'long');
    await writeFile(path, Uint8Array.of(0, 0, 8, 1, 0, 0, 0, 1, 5, 6));
    await expect(readIdx(path)).rejects.toThrow(
      `IDX file ${path}: expected 9 bytes for 1 uint8, got 10 (trailing bytes)`,
    );
  });

  it('a foreign file (wrong magic) names the path and the bytes found', async () => {
    const path = join(dir, 'foreign.png');
    await writeFile(path, Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 0, 0, 0, 0));
    const error = await rejectionOf(readIdx(path));
    expect(isLosslabError(error, 'DATA_FORMAT')).toBe(true);
    expect(error.message).toBe(
      `IDX file ${path}: bad magic number: expected the first two bytes to be 0x00 0x00, got 0x89 0x50 (not an IDX file)`,
    );
  });

  it('an unknown type code, rank 0, a zero dimension and a short header are rejected', () => {
    expect(() => decodeIdx(Uint8Array.of(0, 0, 0x0a, 1, 0, 0, 0, 1, 0), 'f')).toThrow(
      /IDX file f: bad magic number: unknown type code 0x0a/,
    );
    expect(() => decodeIdx(Uint8Array.of(0, 0, 8, 0), 'f')).toThrow(
      'IDX file f: bad magic number: rank must be >= 1, got 0',
    );
    expect(() => decodeIdx(Uint8Array.of(0, 0, 8, 1, 0, 0, 0, 0), 'f')).toThrow(
      'IDX file f: dimension 0 is 0; every dimension must be > 0',
    );
    expect(() => decodeIdx(Uint8Array.of(0, 0, 8, 3, 0, 0, 0, 1), 'f')).toThrow(
      'IDX file f: expected a 16-byte header for rank 3, got 8 bytes',
    );
    expect(() => decodeIdx(Uint8Array.of(0, 0), 'f')).toThrow(
      'IDX file f: expected at least a 4-byte magic number, got 2 bytes',
    );
  });

  it('a missing file is an IO error naming the path', async () => {
    const path = join(dir, 'does-not-exist');
    const error = await rejectionOf(readIdx(path));
    expect(isLosslabError(error, 'IO')).toBe(true);
    expect(error.message).toBe(`cannot read ${path}: file not found`);
    const hashError = await rejectionOf(fileSha256(path));
    expect(isLosslabError(hashError, 'IO')).toBe(true);
    expect(hashError.message).toContain(path);
  });
});

describe('fileSha256', () => {
  it('hashes the stored bytes', async () => {
    const path = join(dir, 'abc.txt');
    await writeFile(path, 'abc');
    // The FIPS 180-2 test vector for "abc".
    expect(await fileSha256(path)).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(createHash('sha256').update('abc').digest('hex')).toBe(await fileSha256(path));
  });
});

describe('readIdx bounds what it reads (issue 22 case 15)', () => {
  /** An IDX header declaring `shape` of uint8, without elements. */
  const header = (shape: readonly number[]): Uint8Array => {
    const bytes = new Uint8Array(4 + 4 * shape.length);
    bytes[2] = 0x08;
    bytes[3] = shape.length;
    shape.forEach((dim, axis) => new DataView(bytes.buffer).setUint32(4 + 4 * axis, dim, false));
    return bytes;
  };

  it('limit keeps and decodes only the first items; the length check and sha256 still cover the whole file', async () => {
    const path = join(dir, 'limited.gz');
    const data = Int16Array.from({ length: 5 * 3 }, (_, i) => i * 300 - 2000);
    await writeIdx(path, { dtype: 'int16', shape: [5, 3], data }, { gzip: true });
    const limited = await readIdx(path, { limit: 2 });
    expect(limited.shape).toEqual([2, 3]);
    expect(Array.from(limited.data)).toEqual([-2000, -1700, -1400, -1100, -800, -500]);
    expect(limited.data.buffer.byteLength).toBe(2 * 3 * 2);
    expect((await readIdx(path, { limit: 9 })).shape).toEqual([5, 3]);
    // A truncated file is refused even when the kept items are all present (header 12 + 30 bytes).
    const truncated = join(dir, 'limited-truncated');
    await writeFile(truncated, encodeIdx({ dtype: 'int16', shape: [5, 3], data }).subarray(0, 20));
    await expect(readIdx(truncated, { limit: 1 })).rejects.toThrow(
      `IDX file ${truncated}: expected 42 bytes for 5×3 int16, got 20 (truncated)`,
    );
    await expect(readIdx(path, { limit: 0 })).rejects.toThrow('options.limit: expected a positive integer, got 0');
  });

  it('refuses a header declaring more than maxBytes before reading its elements, naming the file', async () => {
    const path = join(dir, 'declared-large');
    await writeIdx(path, { dtype: 'uint8', shape: [10, 10], data: new Uint8Array(100) });
    await expect(readIdx(path, { maxBytes: 99 })).rejects.toThrow(
      `IDX file ${path}: its header declares 10×10 uint8, 100 bytes of elements, more than the maximum of 99 bytes (maxBytes); refused before reading them`,
    );
    expect((await readIdx(path, { maxBytes: 100 })).shape).toEqual([10, 10]);
    // The default maximum (2 GiB): a header claiming 2^32-1 × 2^32-1 items, with 3 bytes after it.
    const huge = join(dir, 'huge-claim.gz');
    await writeFile(huge, gzipSync(Uint8Array.from([...header([0xffffffff, 0xffffffff]), 1, 2, 3])));
    const error = await rejectionOf(readIdx(huge));
    expect(isLosslabError(error, 'DATA_FORMAT')).toBe(true);
    expect(error.message).toBe(
      `IDX file ${huge}: its header declares 4294967295×4294967295 uint8, ${0xffffffff * 0xffffffff} bytes of elements, more than the maximum of 2147483648 bytes (maxBytes); refused before reading them`,
    );
  });

  it('a gzip bomb is refused once it decompresses past its header, naming the file', async () => {
    // 16 items declared, then 32 MiB of zeros: about 32 KiB compressed.
    const path = join(dir, 'bomb.gz');
    const bomb = new Uint8Array(header([16]).length + 16 + 32 * 2 ** 20);
    bomb.set(header([16]));
    await writeFile(path, gzipSync(bomb));
    const error = await rejectionOf(readIdx(path));
    expect(isLosslabError(error, 'DATA_FORMAT')).toBe(true);
    expect(error.message).toBe(
      `IDX file ${path}: decompresses to more than the 24 bytes its header declares for 16 uint8 (trailing bytes); stopped decompressing`,
    );
  });

  it('a header claiming more items than the file holds is refused, naming the file', async () => {
    const path = join(dir, 'claims-more.gz');
    await writeFile(path, gzipSync(Uint8Array.from([...header([1_000_000, 28, 28]), ...new Uint8Array(784 * 3)])));
    await expect(readIdx(path, { limit: 2 })).rejects.toThrow(
      `IDX file ${path}: expected 784000016 bytes for 1000000×28×28 uint8, got 2368 (truncated)`,
    );
  });
});
