#!/usr/bin/env node
// The `losslab` command (`npx losslab run path/to/definition.ts`). In a losslab checkout it runs the
// TypeScript sources (src/, no build step); installed from npm it runs the built dist/. Either way
// it first registers the loaders (register-loaders.mjs), then runs the CLI in this same process.
// Children of `run --parallel=N` start from this file as well. How a definition outside the
// workspace finds `@losslab/experiment`: src/load-definition.ts.
import { existsSync } from 'node:fs';
import process from 'node:process';
import { fileURLToPath, URL } from 'node:url';

const fromSources = existsSync(new URL('../src/cli.ts', import.meta.url));
const { registerLoaders } = await import(fromSources ? '../src/register-loaders.mjs' : '../dist/register-loaders.mjs');
registerLoaders();
const { runCli } = await import(fromSources ? '../src/cli.ts' : '../dist/cli.js');
runCli(process.argv.slice(2), fileURLToPath(import.meta.url));
