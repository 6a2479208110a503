import { rename, rm, writeFile } from 'node:fs/promises';

/**
 * Node-only helpers for the files of the contract (a separate entry, `@losslab/schema/files`, so
 * the codecs stay usable in a browser).
 */

/**
 * Writes `text` to `path` through a temporary file and a rename, so readers never see half a file.
 *
 * @example await writeFileAtomic('runs/mnist-odd/masked-s0/record.json', JSON.stringify(record));
 */
export async function writeFileAtomic(path: string, text: string): Promise<void> {
  const temporary = `${path}.tmp-${process.pid}`;
  try {
    await writeFile(temporary, text, 'utf8');
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
}
