import { isDeepStrictEqual } from 'node:util';
import { createRegistry, registry } from '../kinds/index.js';
import type { Registry } from '../kinds/table.js';
import { loadDefinitionFile } from '../load-definition.js';

/** JSON text of `value`: undefined for a function (the declared type says string); throws for a cycle or a BigInt. */
const jsonOf = (value: unknown): string | undefined => JSON.stringify(value);

/**
 * The definition file's default export `raw`, as this process loaded it, for the workers to resolve
 * without importing the file themselves (tsx, the file's compile and its imports: about 0.3 s of
 * CPU per worker) — only when that changes nothing: importing it registered no user kinds in
 * `loaded` (a worker gets those only by importing the file; a module's other side effects are not
 * a definition's business) and it is plain JSON data, which crosses IPC unchanged (no `undefined`,
 * NaN, -0, functions or class instances). Otherwise undefined: each worker imports the file. The
 * settings hash a worker checks for every run guards the rest.
 * @internal exported for its tests
 */
export function definitionToHandOver(raw: unknown, loaded: Registry): unknown {
  const builtIn = createRegistry();
  const onlyBuiltIns = (Object.keys(builtIn) as (keyof Registry)[]).every(
    (part) => loaded[part].kinds().length === builtIn[part].kinds().length,
  );
  if (!onlyBuiltIns) return undefined;
  let text: string | undefined;
  try {
    text = jsonOf(raw);
  } catch {
    return undefined;
  }
  return text !== undefined && isDeepStrictEqual(JSON.parse(text), raw) ? raw : undefined;
}

/**
 * The definition at `definitionPath` as this process loaded it (the import is cached: the same
 * module the command resolved), when a `--jobs=N` pool's workers may take it with each run
 * instead of importing the file; undefined otherwise (see {@link definitionToHandOver}).
 */
export async function definitionForWorkers(definitionPath: string): Promise<unknown> {
  try {
    return definitionToHandOver(await loadDefinitionFile(definitionPath), registry);
  } catch {
    return undefined; // each worker imports the file, and says why it cannot
  }
}
