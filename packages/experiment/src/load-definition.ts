import { existsSync, statSync } from 'node:fs';
import { register } from 'node:module';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { firstLineOf } from './message.js';

/**
 * The folder losslab lives in: the workspace root in a checkout (this file is
 * `packages/experiment/src/load-definition.ts`), the `node_modules` folder when installed
 * (`node_modules/@losslab/experiment/dist/load-definition.js`). Imports made by files outside it
 * (the user's definition and its own files) are the ones the definition hooks may redirect.
 */
const WORKSPACE = new URL('../../../', import.meta.url).href;

let hooksRegistered = false;

let typeScriptLoaderRegistered = false;

/**
 * Registers tsx's loader (once per process) so that TypeScript definition files and the user's
 * own kinds import: only here, when a definition is loaded, so that commands reading none
 * (`--help`, `report`, `runs`) start without it. When this file is itself TypeScript, a
 * TypeScript loader is already at work (tsx, or Vitest in the tests) and none is added.
 */
async function registerTypeScriptLoader(): Promise<void> {
  if (typeScriptLoaderRegistered || import.meta.url.endsWith('.ts')) return;
  typeScriptLoaderRegistered = true;
  const { register: registerTypeScript } = await import('tsx/esm/api');
  registerTypeScript();
}

/**
 * Registers the resolve hook of `definition-hooks.mjs` (once per process): a definition file in
 * any folder, say `/tmp/study/def.ts`, then gets the workspace's `@losslab/*`, `@tensorflow/*`,
 * `io-ts` and `fp-ts` — the same module instances losslab itself runs on — while its own relative
 * imports (`./my-loss.ts`) and everything else resolve as usual. Needs Node ≥ 20.6 (`module.register`).
 */
function registerDefinitionHooks(): void {
  if (hooksRegistered) return;
  register('./definition-hooks.mjs', {
    parentURL: import.meta.url,
    // Shared packages resolve as if imported from this file, i.e. exactly as losslab resolves them.
    data: { anchor: import.meta.url, workspace: WORKSPACE },
  });
  hooksRegistered = true;
}

/**
 * Loads a definition module from any folder and returns its default export (or its export named
 * `definition`), not yet validated. TypeScript files load through tsx's loader, registered here
 * on first use. An error thrown while importing it is rethrown
 * naming the file, with the original error as its `cause` (see `stackOf`).
 *
 * @example
 * const raw = await loadDefinitionFile('/tmp/study/def.ts'); // then resolveExperiment(raw, path)
 */
export async function loadDefinitionFile(path: string): Promise<unknown> {
  const absolute = resolve(path);
  if (!existsSync(absolute))
    throw new Error(`${path}: no such definition file${absolute === path ? '' : ` (looked for ${absolute})`}`);
  if (!statSync(absolute).isFile()) throw new Error(`${path}: expected a definition file, but it is a folder`);
  await registerTypeScriptLoader();
  registerDefinitionHooks();
  let module: { default?: unknown; definition?: unknown };
  try {
    module = (await import(pathToFileURL(absolute).href)) as typeof module;
  } catch (error) {
    // The user's code (or a file it imports) threw or did not compile: name the file; the original
    // error, with its stack, stays the cause (`--debug` prints it).
    const what = error instanceof Error ? `${error.name}: ${firstLineOf(error)}` : firstLineOf(error);
    throw new Error(`${path}: importing the definition file failed: ${what}`, { cause: error });
  }
  const raw = module.default ?? module.definition;
  if (raw === undefined)
    throw new Error(
      `${path}: expected a default export (or an export named "definition") holding the experiment definition`,
    );
  return raw;
}
