import { rename, rm, writeFile } from 'node:fs/promises';

/**
 * Node-only helpers for the files of the contract (a separate entry, `@losslab/schema/files`, so
 * the codecs stay usable in a browser).
 */

/**
 * Writes `content` (text as UTF-8, or bytes) to `path` through a temporary file and a rename, so readers never see half a file.
 *
 * @example await writeFileAtomic('runs/mnist-odd/masked-s0/record.json', JSON.stringify(record));
 */
export async function writeFileAtomic(path: string, content: string | Uint8Array): Promise<void> {
  const temporary = `${path}.tmp-${process.pid}`;
  try {
    await writeFile(temporary, content);
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
}
