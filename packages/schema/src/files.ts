import { open, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';

/**
 * Node-only helpers for the files of the contract (a separate entry, `@losslab/schema/files`, so
 * the codecs stay usable in a browser).
 */

/** Errors of fsync on a folder where the platform cannot (Windows opens no folder for it). */
const FOLDER_SYNC_UNSUPPORTED = new Set(['EISDIR', 'EPERM', 'EINVAL', 'EACCES']);

/** Flushes the folder's entries (a rename into it) to the disk. */
async function syncFolder(folder: string): Promise<void> {
  let handle;
  try {
    handle = await open(folder, 'r');
    await handle.sync();
  } catch (error) {
    if (!FOLDER_SYNC_UNSUPPORTED.has((error as NodeJS.ErrnoException).code ?? '')) throw error;
  } finally {
    await handle?.close();
  }
}

/**
 * Writes `content` (text as UTF-8, or bytes) to `path` through a temporary file and a rename, so
 * readers never see half a file. The file's bytes are fsynced before the rename and its folder
 * after it, so a machine that loses power keeps either the old file or the whole new one — never
 * a renamed file whose bytes were still in the page cache.
 *
 * @example await writeFileAtomic('runs/mnist-odd/masked-s0/record.json', JSON.stringify(record));
 */
export async function writeFileAtomic(path: string, content: string | Uint8Array): Promise<void> {
  const temporary = `${path}.tmp-${process.pid}`;
  try {
    const handle = await open(temporary, 'w');
    try {
      await handle.writeFile(content);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
  await syncFolder(dirname(path));
}
