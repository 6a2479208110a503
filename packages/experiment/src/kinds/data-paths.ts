import { createRequire } from 'node:module';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import type { Split } from '@losslab/schema';

/** Where the data kinds find their files: shared by every file-reading data kind. */

/** The fields that place a data kind's files. */
interface FileBase {
  readonly package?: string | undefined;
  readonly dir?: string | undefined;
}

/** The folder relative data paths start from: an npm package's folder, or the definition's, then `dir`. */
export function dataFolder(spec: FileBase, baseDir: string): string {
  const root =
    spec.package === undefined
      ? baseDir
      : dirname(createRequire(import.meta.url).resolve(`${spec.package}/package.json`));
  return spec.dir === undefined ? root : resolve(root, spec.dir);
}

export const pathIn = (folder: string, file: string): string => (isAbsolute(file) ? file : join(folder, file));

/** The declared splits with their settings, in declaration order. */
export const splitsOf = <V>(splits: Partial<Record<Split, V>>): [Split, V][] =>
  Object.entries(splits).filter((entry): entry is [Split, V] => entry[1] !== undefined);
