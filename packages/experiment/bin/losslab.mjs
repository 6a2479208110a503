#!/usr/bin/env node
// The `losslab` command (`npx losslab run path/to/definition.ts`). losslab's packages and the
// definition files are TypeScript, so this launcher first registers tsx's loader through its
// documented ESM API (`tsx/esm/api` `register()`, on Node's `module.register`), then runs the CLI in
// this same process. Children of `run --parallel=N` start from this file as well. How a definition
// outside the workspace finds `@losslab/experiment`: packages/experiment/src/load-definition.ts.
import process from 'node:process';
import { fileURLToPath } from 'node:url';
import { register } from 'tsx/esm/api';

register();
const { runCli } = await import('../src/cli.ts');
runCli(process.argv.slice(2), fileURLToPath(import.meta.url));
