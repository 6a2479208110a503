import { createHash } from 'node:crypto';
import { readFileSync, renameSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { temporaryFolders } from '@losslab/test-utils';
import { encodeIdx } from '../idx.js';

/**
 * The sha256 cache of data files (file-hash.ts), as a new process sees it: each test imports the
 * modules afresh (`vi.resetModules`), so only the cache file carries entries from one to the next.
 */
const folders = temporaryFolders('losslab-file-hash-');
const FAKE = 'f'.repeat(64);
/** A whole second, so that setting it again restores the modification time exactly (to the ns). */
const FIXED_TIME = new Date('2020-01-01T00:00:00Z');

/** Writes `bytes` to `path` and sets its access and modification times to {@link FIXED_TIME}. */
function writeAtFixedTime(path: string, bytes: string | Uint8Array): void {
  writeFileSync(path, bytes);
  utimesSync(path, FIXED_TIME, FIXED_TIME);
}
let dir: string;
let cacheDir: string;

const sha256 = (path: string): string => createHash('sha256').update(readFileSync(path)).digest('hex');
const cacheFile = (): string => join(cacheDir, 'file-sha256.json');
const entries = (): Record<string, { identity: string; sha256: string }> =>
  (JSON.parse(readFileSync(cacheFile(), 'utf8')) as { entries: Record<string, { identity: string; sha256: string }> })
    .entries;

/** Puts `sha256` in the cache file's entry of `path`, as if an earlier process had hashed other bytes. */
function plant(path: string, sha256: string, identity?: string): void {
  const all = entries();
  const entry = all[path]!;
  all[path] = { identity: identity ?? entry.identity, sha256 };
  writeFileSync(cacheFile(), JSON.stringify({ entries: all }));
}

/** The cache's functions as a fresh process has them. */
async function freshProcess() {
  vi.resetModules();
  return import('../file-hash.js');
}

beforeEach(() => {
  dir = folders.make();
  cacheDir = join(dir, 'cache');
  vi.stubEnv('LOSSLAB_CACHE_DIR', cacheDir);
});
afterEach(() => vi.unstubAllEnvs());

describe('cachedFileSha256', () => {
  it('stores the hash in the cache file, and a later process uses it without reading the file', async () => {
    const file = join(dir, 'data.bin');
    writeFileSync(file, 'abcd');
    expect(await (await freshProcess()).cachedFileSha256(file)).toBe(sha256(file));
    expect(entries()[file]?.sha256).toBe(sha256(file));
    // Proof that it is not recomputed: an entry planted for the unchanged file is what comes back.
    plant(file, FAKE);
    expect(await (await freshProcess()).cachedFileSha256(file)).toBe(FAKE);
  });

  it('hashes again when the bytes changed with the old size and a restored mtime (the change time differs)', async () => {
    const file = join(dir, 'data.bin');
    writeAtFixedTime(file, 'abcd');
    await (await freshProcess()).cachedFileSha256(file);
    plant(file, FAKE);
    const before = statSync(file, { bigint: true });
    writeAtFixedTime(file, 'abce');
    const after = statSync(file, { bigint: true });
    expect([after.size, after.mtimeNs, after.ino]).toEqual([before.size, before.mtimeNs, before.ino]);
    expect(await (await freshProcess()).cachedFileSha256(file)).toBe(sha256(file));
    expect(entries()[file]?.sha256).toBe(sha256(file));
  });

  it('hashes again when the file was replaced by another (another inode) of the same size and mtime', async () => {
    const file = join(dir, 'data.bin');
    writeAtFixedTime(file, 'abcd');
    const { cachedFileSha256 } = await freshProcess();
    await cachedFileSha256(file);
    const other = join(dir, 'other.bin');
    writeAtFixedTime(other, 'wxyz');
    renameSync(other, file);
    // in this process's memory too, not only across processes
    expect(await cachedFileSha256(file)).toBe(sha256(file));
    expect(sha256(file)).not.toBe(createHash('sha256').update('abcd').digest('hex'));
  });

  it('never uses an entry whose identity differs from the file now (a stale entry)', async () => {
    const file = join(dir, 'data.bin');
    writeFileSync(file, 'abcd');
    await (await freshProcess()).cachedFileSha256(file);
    const [size, ...rest] = entries()[file]!.identity.split(':');
    expect(size).toBe('4');
    plant(file, FAKE, ['5', ...rest].join(':'));
    expect(await (await freshProcess()).cachedFileSha256(file)).toBe(sha256(file));
  });

  it('ignores a cache file that is not JSON or holds malformed entries, and writes a good one', async () => {
    const file = join(dir, 'data.bin');
    writeFileSync(file, 'abcd');
    await (await freshProcess()).cachedFileSha256(file);
    const identity = entries()[file]!.identity;
    writeFileSync(cacheFile(), '{"entries": {');
    expect(await (await freshProcess()).cachedFileSha256(file)).toBe(sha256(file));
    writeFileSync(cacheFile(), JSON.stringify({ entries: { [file]: { identity, sha256: 'not a hash' } } }));
    expect(await (await freshProcess()).cachedFileSha256(file)).toBe(sha256(file));
    expect(entries()[file]).toEqual({ identity, sha256: sha256(file) });
  });
});

describe('reading an IDX file', () => {
  it('takes its fingerprint from the cache while the file is unchanged, and hashes it after an edit', async () => {
    const file = join(dir, 'labels.idx');
    writeAtFixedTime(file, encodeIdx({ dtype: 'uint8', shape: [3], data: Uint8Array.of(7, 2, 1) }));
    const readFresh = async () => {
      vi.resetModules();
      return (await import('../idx.js')).readIdxWithFile(file);
    };
    const first = await readFresh();
    expect(first.file.sha256).toBe(sha256(file));
    plant(file, FAKE);
    const cached = await readFresh();
    expect(cached.file.sha256).toBe(FAKE);
    expect(Array.from(cached.array.data)).toEqual([7, 2, 1]);
    writeAtFixedTime(file, encodeIdx({ dtype: 'uint8', shape: [3], data: Uint8Array.of(7, 2, 9) }));
    const edited = await readFresh();
    expect(edited.file.sha256).toBe(sha256(file));
    expect(Array.from(edited.array.data)).toEqual([7, 2, 9]);
  });
});
