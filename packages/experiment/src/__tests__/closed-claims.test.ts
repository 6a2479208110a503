import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import * as E from 'fp-ts/lib/Either.js';
import {
  adam,
  categoricalCrossentropy,
  classification,
  defineExperiment,
  flag,
  masked,
  mlp,
  mnist,
  oneHot,
  resolveExperiment,
  sgd,
} from '../index.js';

const ROOT = resolve(fileURLToPath(import.meta.url), '../../../../..');
const LOSSLAB = join(ROOT, 'packages/experiment/bin/losslab.mjs');

/** A valid two-variant definition; each case adds one claim to it. */
const base = defineExperiment({
  name: 'closed-claims',
  description: 'a claim with a misspelt key',
  data: mnist({ limit: 64 }),
  labels: { digit: oneHot(10), isOdd: flag([1, 3, 5, 7, 9]) },
  model: mlp({ hidden: [], output: { units: 10, activation: 'softmax' } }),
  loss: masked(categoricalCrossentropy(), { target: 'digit', mask: 'isOdd' }),
  optimizer: adam(),
  train: { epochs: 1, batchSize: 32 },
  evaluation: classification({ split: 'train', target: 'digit' }),
  seeds: [0],
  variants: { adam: {}, sgd: { optimizer: sgd(0.1) } },
});

const THRESHOLD_KEYS = 'kind, metric, op, value, group, class, variant, description';
const BEATS_KEYS = 'kind, variant, than, metric, alpha, direction, description';
const cases = [
  {
    name: 'varaint in a threshold claim',
    claim: { kind: 'threshold', metric: 'accuracy', op: '>=', value: 0.5, varaint: 'sgd' },
    problem: `claims.0.varaint: unknown key (expected one of: ${THRESHOLD_KEYS})`,
  },
  {
    name: 'alpah in a beats claim',
    claim: { kind: 'beats', variant: 'adam', than: 'sgd', metric: 'accuracy', alpah: 0.01 },
    problem: `claims.0.alpah: unknown key (expected one of: ${BEATS_KEYS})`,
  },
];

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((dir) => rmSync(dir, { recursive: true, force: true })));

/** `losslab run <file> --dry-run` as a user runs it; the definition is plain data in a module. */
function dryRun(definition: unknown): Promise<{ code: number; stdout: string; stderr: string; runs: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'losslab-claims-'));
  dirs.push(dir);
  const file = join(dir, 'definition.mjs');
  writeFileSync(file, `export default ${JSON.stringify(definition)};\n`);
  const runs = join(dir, 'runs');
  return new Promise((done) => {
    const child = spawn(process.execPath, [LOSSLAB, 'run', file, '--dry-run', `--runs-dir=${runs}`], {
      cwd: ROOT,
      env: { ...process.env, LOSSLAB_BACKEND: 'cpu' },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('close', (code) => done({ code: code ?? 1, stdout, stderr, runs }));
  });
}

describe('a claim is closed: a misspelt key stops the definition', () => {
  it.each(cases)('$name: resolveExperiment names the key and the known keys', ({ claim, problem }) => {
    const resolved = resolveExperiment({ ...base, claims: [claim] }, 'definition.mjs');
    expect(E.isLeft(resolved) && resolved.left.problems).toEqual([problem]);
    // The same claim spelt right resolves.
    const { varaint: _v, alpah: _a, ...spelt } = claim as Record<string, unknown>;
    expect(E.isRight(resolveExperiment({ ...base, claims: [spelt] }, 'definition.mjs'))).toBe(true);
  });

  it.each(cases)(
    '$name: losslab run --dry-run exits 2 naming the key and the known keys, runs nothing',
    async ({ claim, problem }) => {
      const { code, stdout, stderr, runs } = await dryRun({ ...base, claims: [claim] });
      expect(code).toBe(2);
      expect(stderr).toContain(`  ${problem}`);
      expect(stderr).toContain('nothing was run');
      expect(stdout).not.toContain('dry run:');
      expect(existsSync(runs)).toBe(false);
    },
  );
});
