import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Test helpers: a tiny definition written into a fresh folder outside the repository (it imports
 * `@losslab/experiment`, `@tensorflow/tfjs-core` and a helper file of its own), and the ways a
 * user runs the CLI on it.
 */

const ROOT = resolve(fileURLToPath(import.meta.url), '../../../../..');
/** The `losslab` command's launcher (what `npx losslab` runs). */
export const LAUNCHER = join(ROOT, 'packages/experiment/bin/losslab.mjs');
const EXPERIMENT = 'anywhere';

/** The definition's own helper, imported relatively and extensionless, as a user would. */
const HELPER = `import { mlp } from '@losslab/experiment';

export const tinyModel = mlp({ hidden: [{ units: 8, activation: 'relu' }], output: { units: 10, activation: 'softmax' } });
`;

const DEFINITION = `import * as tf from '@tensorflow/tfjs-core';
import {
  adam,
  categoricalCrossentropy,
  classification,
  defineExperiment,
  flag,
  masked,
  mnist,
  oneHot,
} from '@losslab/experiment';
import { tinyModel } from './tiny-model.js';

export default defineExperiment({
  name: '${EXPERIMENT}',
  description: \`a definition outside the repository (TF.js \${tf.version_core})\`,
  data: mnist({ limit: 128 }),
  labels: { digit: oneHot(10), isOdd: flag([1, 3, 5, 7, 9]) },
  model: tinyModel,
  loss: masked(categoricalCrossentropy(), { target: 'digit', mask: 'isOdd' }),
  optimizer: adam(),
  train: { epochs: 1, batchSize: 64 },
  evaluation: classification({ split: 'train', target: 'digit' }),
  seeds: [0, 1],
  variants: { adam: {} },
});
`;

export interface Outside {
  /** The fresh folder under the system's temporary folder. */
  readonly dir: string;
  /** Absolute path of the definition file. */
  readonly file: string;
  readonly runs: string;
  readonly reports: string;
}

/** Writes the definition and its helper into `dir`, by default a new folder outside the repository. */
export function writeOutsideDefinition(dir = mkdtempSync(join(tmpdir(), 'losslab-outside-'))): Outside {
  writeFileSync(join(dir, 'tiny-model.ts'), HELPER);
  const file = join(dir, 'def.ts');
  writeFileSync(file, DEFINITION);
  return { dir, file, runs: join(dir, 'runs'), reports: join(dir, 'reports') };
}

export interface Result {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  /** The process id of the command started (for `node LAUNCHER …`, the CLI's own). */
  readonly pid: number | undefined;
}

/** Runs `command args` from the repository root with the cpu backend; resolves when it ends. */
export function exec(command: string, args: readonly string[], env: Record<string, string> = {}): Promise<Result> {
  return new Promise((done) => {
    const child = spawn(command, args, { cwd: ROOT, env: { ...process.env, LOSSLAB_BACKEND: 'cpu', ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('close', (code) => done({ code: code ?? 1, stdout, stderr, pid: child.pid }));
  });
}

/** The fields of a run record and its `started.json` these tests compare. */
export interface StoredRun {
  readonly runId: string;
  readonly variant: string;
  readonly seed: number;
  readonly definitionHash: string;
  readonly evaluation: { readonly metrics: Record<string, number> };
  readonly history: readonly { readonly loss: number }[];
  readonly environment: { readonly definitionFile?: { path: string; sha256: string; git: string } };
  /** From `started.json`: the process the run ran in. */
  readonly pid: number;
}

/** The complete runs of the test experiment under `runsDir`, by `variant/seed`. */
export function storedRuns(runsDir: string): Map<string, StoredRun> {
  const dir = join(runsDir, EXPERIMENT);
  const runs = new Map<string, StoredRun>();
  if (!existsSync(dir)) return runs;
  for (const folder of readdirSync(dir)) {
    const recordFile = join(dir, folder, 'record.json');
    if (!existsSync(recordFile)) continue;
    const record = JSON.parse(readFileSync(recordFile, 'utf8')) as Omit<StoredRun, 'pid'>;
    const { pid } = JSON.parse(readFileSync(join(dir, folder, 'started.json'), 'utf8')) as { pid: number };
    runs.set(`${record.variant}/${record.seed}`, { ...record, pid });
  }
  return runs;
}
