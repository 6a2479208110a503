#!/usr/bin/env node
// Entry point of the report CLI: `npx tsx packages/report/src/cli.ts --experiment=blink [--check]`.
import { reportCommand } from './command.js';

process.exitCode = await reportCommand(process.argv.slice(2));
