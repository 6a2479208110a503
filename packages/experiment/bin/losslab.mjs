#!/usr/bin/env node
// The `losslab` command (`npx losslab run path/to/definition.ts`). It runs the built JavaScript of
// the packages (dist/). In a losslab checkout it first rebuilds dist/ when the sources changed
// (build-if-stale.mjs, not published; a fresh clone builds on its first command), except under
// the tests, which set LOSSLAB_FROM_SOURCES=1 and run the TypeScript sources through tsx (no
// dist/ needed). Children of `run --parallel=N` start from this file as well and inherit that
// choice. How a definition outside the workspace finds `@losslab/experiment`: src/load-definition.ts.
import { existsSync } from 'node:fs';
import process from 'node:process';
import { fileURLToPath, URL } from 'node:url';

const checkout = existsSync(new URL('../src/cli.ts', import.meta.url));
const fromSources = checkout && process.env.LOSSLAB_FROM_SOURCES === '1';
if (checkout && !fromSources) {
  const { buildIfStale, WORKSPACE_ROOT } = await import('./build-if-stale.mjs');
  buildIfStale(WORKSPACE_ROOT);
}
const { registerLoaders } = await import(fromSources ? '../src/register-loaders.mjs' : '../dist/register-loaders.mjs');
await registerLoaders();
const { runCli } = await import(fromSources ? '../src/cli.ts' : '../dist/cli.js');
runCli(process.argv.slice(2), fileURLToPath(import.meta.url));
