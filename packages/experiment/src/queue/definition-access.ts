import { readFile, realpath } from 'node:fs/promises';
import { extname, isAbsolute, relative, resolve, sep } from 'node:path';
import { sha256Hex } from '@losslab/runtime';

/**
 * Which definition files a worker may import for a job: only a file inside its working folder or
 * a folder the user allowed (`losslab worker --allow-definitions=DIR`), symlinks resolved, whose
 * bytes have the sha256 the job carries. A job is data read from Redis, so the path in it is
 * checked like any input before anything is imported or compiled (DESIGN principle 10).
 */

/** The environment variable through which `losslab worker` tells its sandboxed job processes the allowed folders (a JSON array). */
export const WORKER_DEFINITION_ROOTS_ENV = 'LOSSLAB_WORKER_DEFINITION_ROOTS';

/** Extensions of the modules a definition can be (TypeScript or JavaScript). */
const DEFINITION_EXTENSIONS = ['.ts', '.mts', '.cts', '.js', '.mjs', '.cjs'];

/** Whether `path` is `folder` itself or lies below it (both absolute, symlinks resolved). */
const isWithin = (folder: string, path: string): boolean => {
  const rest = relative(folder, path);
  return rest !== '' && rest !== '..' && !rest.startsWith(`..${sep}`) && !isAbsolute(rest);
};

/**
 * The allowed folders, symlinks resolved: the working folder and each `--allow-definitions`
 * folder. Throws naming a folder that does not exist.
 */
export async function definitionRoots(cwd: string, allowed: readonly string[]): Promise<string[]> {
  return Promise.all([cwd, ...allowed].map((folder) => realpath(resolve(cwd, folder))));
}

/** The allowed folders a sandboxed job process was given by its worker (the working folder when none were). */
export async function rootsFromEnvironment(env: Readonly<Record<string, string | undefined>>): Promise<string[]> {
  const text = env[WORKER_DEFINITION_ROOTS_ENV];
  const parsed: unknown = text === undefined ? [] : JSON.parse(text);
  const folders = Array.isArray(parsed) ? parsed.filter((f): f is string => typeof f === 'string') : [];
  return folders.length > 0 ? folders : definitionRoots(process.cwd(), []);
}

/**
 * The real path of the definition file a job names, or why it may not be imported: it does not
 * exist here, is not a TypeScript/JavaScript module, lies outside `roots`, or its bytes differ
 * from `sha256`. Reads the file's bytes only; imports nothing.
 *
 * @example await checkDefinitionFile('../../etc/x.ts', sha, ['/srv/losslab']) // { problem: 'the definition file ../../etc/x.ts is /etc/x.ts, outside the folders this worker imports from (/srv/losslab)' }
 */
export async function checkDefinitionFile(
  path: string,
  sha256: string,
  roots: readonly string[],
  cwd = process.cwd(),
): Promise<{ readonly file: string } | { readonly problem: string }> {
  let file: string;
  try {
    file = await realpath(resolve(cwd, path));
  } catch (error) {
    return {
      problem: `the definition file ${path} is not here (${(error as NodeJS.ErrnoException).code ?? 'unreadable'}, cwd ${cwd})`,
    };
  }
  const shown = file === path ? path : `${path} (${file})`;
  if (!roots.some((root) => isWithin(root, file)))
    return {
      problem: `the definition file ${shown} lies outside the folders this worker imports definitions from (${roots.join(', ')}; add one with --allow-definitions)`,
    };
  if (!DEFINITION_EXTENSIONS.includes(extname(file)))
    return { problem: `the definition file ${shown} is not a module (expected ${DEFINITION_EXTENSIONS.join(', ')})` };
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (error) {
    return {
      problem: `cannot read the definition file ${shown}: ${(error as NodeJS.ErrnoException).code ?? 'unreadable'}`,
    };
  }
  const here = sha256Hex(bytes);
  if (here !== sha256)
    return {
      problem: `the definition file ${shown} differs from the submitter's (sha256 ${here.slice(0, 12)} here, ${sha256.slice(0, 12)} submitted)`,
    };
  return { file };
}
