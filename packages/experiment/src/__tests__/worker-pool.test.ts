import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import * as E from 'fp-ts/lib/Either.js';
import { describe, expect, it, vi } from 'vitest';
import { temporaryFolders } from '@losslab/test-utils';
import { loadDefinitionFile } from '../load-definition.js';
import { adam, categoricalCrossentropy, classification, csv, defineExperiment, mlp, oneHot } from '../index.js';
import { createRegistry, registry } from '../kinds/index.js';
import { definitionToHandOver } from '../execution/definition-handoff.js';
import { resolveExperiment } from '../resolve.js';
import { keptSourceLoader } from '../execution/kept-data.js';
import { inProcessExecution } from '../execution/in-process.js';
import { parseRunArguments } from '../command-options.js';
import { selectBackend } from '@losslab/runtime';
import { runRequest, startWorker } from '../execution/worker-child.js';
import { nodeFlags, startWorkersEarly, WorkerPool } from '../execution/worker-pool.js';
import { LAUNCHER } from './outside-definition.js';

/**
 * `--jobs=N` (issue 28 item 3): long-lived worker processes that run one run after another,
 * keeping their data between runs of the same data settings. parallel.test.ts compares their
 * records with serial runs; here: the data cache, a worker's memory and backend between runs, a
 * killed worker, and stop signals.
 */

const folders = temporaryFolders('losslab-pool-');

describe('the data a worker keeps between runs', () => {
  const root = folders.make();
  const csvData = {
    kind: 'csv' as const,
    splits: { train: 'rows.csv' },
    features: ['a'],
    label: 'c',
  };
  const featuresOf = async (rows: ReturnType<ReturnType<typeof keptSourceLoader>>) =>
    Array.from((await rows).splits.train!.features);

  it('is loaded once while its files are unchanged, and again (never stale) when a file changes', async () => {
    writeFileSync(join(root, 'rows.csv'), 'a,c\n1,0\n2,1\n');
    const kind = registry.data.get('csv');
    const load = vi.spyOn(kind, 'load');
    try {
      const loader = keptSourceLoader(registry);
      const first = await loader(csvData, root);
      expect(await loader(csvData, root)).toBe(first);
      expect(load).toHaveBeenCalledTimes(1);
      expect(await featuresOf(loader(csvData, root))).toEqual([1, 2]);
      // Same size, other bytes: the sha256 differs, so the rows are read again.
      writeFileSync(join(root, 'rows.csv'), 'a,c\n7,0\n2,1\n');
      expect(await featuresOf(loader(csvData, root))).toEqual([7, 2]);
      expect(load).toHaveBeenCalledTimes(2);
      // Other settings over the same file are other data.
      await loader({ ...csvData, limit: 1 }, root);
      expect(load).toHaveBeenCalledTimes(3);
    } finally {
      load.mockRestore();
    }
  });

  it('is kept alike by the serial runs of --parallel=1, so that serial and pooled runs are compared fairly', async () => {
    writeFileSync(join(root, 'def.ts'), "throw new Error('not imported by this test');\n");
    writeFileSync(join(root, 'serial.csv'), 'a,c\n1,0\n2,1\n3,0\n4,1\n');
    const raw = defineExperiment({
      name: 'serial-kept',
      description: 'two seeds on one CSV file, in this process',
      data: csv({ splits: { train: 'serial.csv' }, features: ['a'], label: 'c' }),
      labels: { c: oneHot(2) },
      model: mlp({ hidden: [], output: { units: 2, activation: 'softmax' } }),
      loss: categoricalCrossentropy(),
      optimizer: adam(),
      train: { epochs: 1, batchSize: 2 },
      evaluation: classification({ split: 'train', target: 'c' }),
      seeds: [0, 1],
      variants: { base: {} },
    });
    const definitionPath = join(root, 'def.ts');
    const resolved = resolveExperiment(raw, definitionPath);
    if (E.isLeft(resolved)) throw new Error(resolved.left.problems.join('; '));
    const options = parseRunArguments([definitionPath, '--fresh', `--runs-dir=${join(root, 'serial-runs')}`]).options!;
    const cells = resolved.right.definition.seeds.map((seed) => ({ variant: resolved.right.variants[0]!, seed }));
    const load = vi.spyOn(registry.data.get('csv'), 'load');
    const quiet = vi.spyOn(console, 'log').mockImplementation(() => undefined);
    try {
      const execution = inProcessExecution(
        resolved.right.definition,
        options,
        await selectBackend({ requested: 'cpu' }),
      );
      const results = await execution.run(cells);
      expect(results?.map((result) => result.record?.seed)).toEqual([0, 1]);
      expect(load).toHaveBeenCalledTimes(1);
    } finally {
      load.mockRestore();
      quiet.mockRestore();
    }
  });

  it('is loaded for every run when its kind cannot fingerprint without loading', async () => {
    const kind = registry.data.get('blinkStream');
    expect('fingerprint' in kind).toBe(false);
    const load = vi.spyOn(kind, 'load').mockResolvedValue({ splits: {}, fingerprint: {} });
    try {
      const loader = keptSourceLoader(registry);
      await loader({ kind: 'blinkStream' } as never, root);
      await loader({ kind: 'blinkStream' } as never, root);
      expect(load).toHaveBeenCalledTimes(2);
    } finally {
      load.mockRestore();
    }
  });
});

describe('a worker between runs', () => {
  // A definition in the repository: this test process resolves @losslab packages, not outside folders.
  const definitionPath = fileURLToPath(new URL('../../../../examples/tiny-mnist-odd.ts', import.meta.url));
  const sets: [string, unknown][] = [
    ['data.limit', 128],
    ['train.epochs', 1],
  ];
  const runsDir = join(folders.make(), 'runs');
  const settings = { name: 'worker 1', definitionPath, backend: 'cpu', runsDir, fresh: true, debug: false };
  const hashOf = async (seed: number) => {
    const resolved = resolveExperiment(await loadDefinitionFile(definitionPath), definitionPath, {
      variants: ['adam'],
      overrides: [...sets, ['seeds', [seed]]],
    });
    if (E.isLeft(resolved)) throw new Error(resolved.left.problems.join('; '));
    return resolved.right.variants[0]!.hash;
  };

  it('leaves no tensors behind, refuses another backend and other settings, and runs each seed as asked', async () => {
    const worker = await startWorker(settings);
    const request = async (seed: number, overrides: { backend?: string; hash?: string } = {}) => ({
      kind: 'run' as const,
      variant: 'adam',
      seed,
      sets,
      hash: await hashOf(seed),
      backend: 'cpu',
      ...overrides,
    });
    const baseline = tf.memory().numTensors;
    const first = await runRequest(worker, await request(0));
    expect(first.ending).toBeUndefined();
    expect(tf.memory().numTensors).toBe(baseline);
    const second = await runRequest(worker, await request(1));
    expect(tf.memory().numTensors).toBe(baseline);
    expect([first.record?.seed, second.record?.seed]).toEqual([0, 1]);
    expect(second.record?.environment.backend).toBe('cpu');

    expect(await runRequest(worker, await request(2, { backend: 'wasm' }))).toEqual({
      label: 'adam s2',
      ending: 'refused: other backend',
    });
    expect(await runRequest(worker, await request(2, { hash: 'f'.repeat(64) }))).toEqual({
      label: 'adam s2',
      ending: 'refused: settings differ',
    });
    expect(readdirSync(join(runsDir, 'tiny-mnist-odd')).filter((run) => !run.startsWith('.')).length).toBe(2);
  });
});

describe('the definition a worker takes from its parent', () => {
  /** A plain definition on a CSV file beside `file`, as a definition file's default export would be. */
  const csvDefinition = (seeds = [0]) =>
    defineExperiment({
      name: 'handed',
      description: 'resolved from the definition its parent handed over',
      data: csv({ splits: { train: 'rows.csv' }, features: ['a'], label: 'c', classNames: ['no', 'yes'] }),
      labels: { c: oneHot(['no', 'yes']) },
      model: mlp({ hidden: [], output: { units: 2, activation: 'softmax' } }),
      loss: categoricalCrossentropy(),
      optimizer: adam(),
      train: { epochs: 1, batchSize: 4 },
      evaluation: classification({ split: 'train', target: 'c' }),
      seeds,
      variants: { base: {} },
    });

  it('is handed over only when loading it registered no user kinds and it crosses IPC unchanged', () => {
    const raw = csvDefinition();
    expect(definitionToHandOver(raw, createRegistry())).toBe(raw);
    // A user kind exists in a worker only once it imports the file that registers it.
    const withUserKind = createRegistry();
    withUserKind.losses.register({
      ...registry.losses.get('categoricalCrossentropy'),
      kind: 'mine',
      source: '/x/mine.ts',
    });
    expect(definitionToHandOver(raw, withUserKind)).toBeUndefined();
    // IPC sends JSON: what JSON would change is not handed over.
    for (const odd of [undefined, Number.NaN, -0, () => 1, new Date(0), new Map()])
      expect(definitionToHandOver({ ...raw, description: odd }, createRegistry())).toBeUndefined();
    expect(definitionToHandOver({ ...raw, extra: { nested: [1, 'two', null, true] } }, createRegistry())).toBeDefined();
  });

  it('spares the worker importing the file: a run that carries it never imports it', async () => {
    const dir = folders.make();
    writeFileSync(
      join(dir, 'rows.csv'),
      `a,c\n${Array.from({ length: 8 }, (_, i) => `${i / 8},${i % 2 ? 'yes' : 'no'}`).join('\n')}\n`,
    );
    // Importing this file fails: a run can only succeed if the worker never imports it.
    const definitionPath = join(dir, 'def.ts');
    writeFileSync(definitionPath, "throw new Error('this definition file was imported');\n");
    const raw = csvDefinition([4]);
    const resolved = resolveExperiment(raw, definitionPath, { variants: ['base'], overrides: [['seeds', [4]]] });
    if (E.isLeft(resolved)) throw new Error(resolved.left.problems.join('; '));
    const worker = await startWorker({
      name: 'worker 1',
      definitionPath,
      backend: 'cpu',
      runsDir: join(dir, 'runs'),
      fresh: true,
      debug: false,
    });
    const request = {
      kind: 'run' as const,
      variant: 'base',
      seed: 4,
      sets: [],
      hash: resolved.right.variants[0]!.hash,
      backend: 'cpu',
    };
    const handed = await runRequest(worker, { ...request, definition: raw });
    expect(handed.ending).toBeUndefined();
    expect(handed.record?.seed).toBe(4);
    // Without it the worker imports the file, which here fails, and says so.
    const error = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    try {
      expect(await runRequest(worker, request)).toEqual({ label: 'base s4', ending: 'refused: definition' });
      expect(error.mock.calls.join('\n')).toContain('this definition file was imported');
    } finally {
      error.mockRestore();
    }
  });
});

describe("a worker's Node flags", () => {
  it("are this process's, without tsx's own loader (the worker entry registers it)", () => {
    expect(
      nodeFlags([
        '--require',
        '/w/node_modules/tsx/dist/preflight.cjs',
        '--import',
        'file:///w/node_modules/tsx/dist/loader.mjs',
        '--max-old-space-size=4096',
        '--import=file:///w/node_modules/tsx/dist/loader.mjs',
        '--import',
        './my-hooks.mjs',
        '--conditions=@losslab/source',
      ]),
    ).toEqual(['--max-old-space-size=4096', '--import', './my-hooks.mjs', '--conditions=@losslab/source']);
  });
});

/** Whether `pid` is a live process (a zombie waiting to be reaped counts as ended). */
function alive(pid: number): boolean {
  const stat = `/proc/${pid}/stat`;
  if (!existsSync(stat)) return false;
  try {
    return readFileSync(stat, 'utf8').split(') ')[1]?.startsWith('Z') === false;
  } catch {
    return false;
  }
}

async function ended(pids: readonly number[]): Promise<boolean> {
  for (let tries = 0; tries < 100 && pids.some(alive); tries++) await new Promise((r) => setTimeout(r, 100));
  return !pids.some(alive);
}

/** The live pool worker processes this test process started. */
function poolWorkers(): number[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .map(Number)
    .filter((pid) => {
      try {
        const parent = Number(readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ')[1]);
        return (
          parent === process.pid &&
          readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('pool-worker.mjs') &&
          alive(pid)
        );
      } catch {
        return false; // ended meanwhile
      }
    })
    .sort();
}

describe('--jobs=N workers started early (cli.ts, before the run command loads)', () => {
  it("are the ones the command's pool runs on; a pool with other settings closes them; --dry-run starts none", async () => {
    const dir = folders.make();
    const options = parseRunArguments([join(dir, 'def.ts'), '--jobs=2', `--runs-dir=${join(dir, 'runs')}`]).options!;
    startWorkersEarly(options);
    const early = poolWorkers();
    expect(early).toHaveLength(2);
    const pool = new WorkerPool(options, 2);
    expect(poolWorkers()).toEqual(early);
    pool.close();
    expect(await ended(early)).toBe(true);

    startWorkersEarly(options);
    const stale = poolWorkers();
    expect(stale).toHaveLength(2);
    const other = new WorkerPool({ ...options, fresh: true }, 2);
    expect(await ended(stale)).toBe(true);
    const own = poolWorkers();
    expect(own).toHaveLength(2);
    other.close();
    expect(await ended(own)).toBe(true);

    startWorkersEarly({ ...options, dryRun: true });
    startWorkersEarly({ ...options, jobs: 1 });
    expect(poolWorkers()).toEqual([]);
  });
});

/** A definition with a run too long to finish before the test stops it, and quick ones. */
const SLOW_AND_QUICK = `import { adam, categoricalCrossentropy, classification, defineExperiment, mlp, mnist, oneHot } from '@losslab/experiment';

export default defineExperiment({
  name: 'pool',
  description: 'one slow variant, one quick',
  data: mnist({ limit: 64 }),
  labels: { digit: oneHot(10) },
  model: mlp({ hidden: [], output: { units: 10, activation: 'softmax' } }),
  loss: categoricalCrossentropy(),
  optimizer: adam(),
  train: { epochs: 1, batchSize: 64 },
  evaluation: classification({ split: 'train', target: 'digit' }),
  seeds: [0, 1],
  variants: { slow: { train: { epochs: 5000 } }, quick: {} },
});
`;

/**
 * Starts `losslab run` on SLOW_AND_QUICK with --jobs=2; `onLine` sees each stdout line and the
 * CLI's pid as they come. Resolves with the exit code (or signal) and the output.
 */
function startPool(
  args: readonly string[],
  onLine: (line: string, cli: number) => void,
): Promise<{ code: number | null; signal: string | null; stdout: string; stderr: string; runs: string }> {
  const dir = folders.make();
  writeFileSync(join(dir, 'def.ts'), SLOW_AND_QUICK);
  const runs = join(dir, 'runs');
  const child = spawn(
    process.execPath,
    [LAUNCHER, 'run', join(dir, 'def.ts'), '--jobs=2', `--runs-dir=${runs}`, `--reports-dir=${dir}/reports`, ...args],
    { env: { ...process.env, LOSSLAB_BACKEND: 'cpu' } },
  );
  let stdout = '';
  let stderr = '';
  let pending = '';
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
    pending += chunk.toString();
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    lines.forEach((line) => onLine(line, child.pid!));
  });
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((done) =>
    child.on('close', (code, signal) => done({ code, signal, stdout, stderr, runs: `${runs}/pool` })),
  );
}

const workerOf = (line: string, label: string): number | undefined => {
  const match = new RegExp(`^\\[${label}\\] run in worker process (\\d+)`).exec(line);
  return match ? Number(match[1]) : undefined;
};

describe('--jobs=2 worker processes', () => {
  it('a killed worker fails only its run, and the next runs start on fresh workers', async () => {
    const killed = new Map<string, number>();
    const result = await startPool([], (line) => {
      for (const label of ['slow s0', 'slow s1']) {
        const pid = workerOf(line, label);
        if (pid !== undefined) {
          killed.set(label, pid);
          process.kill(pid, 'SIGKILL');
        }
      }
    });
    expect(result.code, result.stderr).toBe(1);
    expect(killed.size).toBe(2);
    for (const [label, pid] of killed) {
      expect(result.stderr).toMatch(
        new RegExp(`error: ${label}: its worker process \\(pid ${pid}\\) ended during the run \\(killed by SIGKILL\\)`),
      );
      expect(result.stderr).toContain(`failed: ${label} (worker killed by SIGKILL)`);
    }
    // Both quick runs completed, on workers 3 and 4 (started after the kills), never on a killed one.
    expect(result.stdout).toMatch(/\[worker 3\] worker process \d+/);
    expect(result.stdout).toMatch(/\[worker 4\] worker process \d+/);
    const quick = ['quick s0', 'quick s1'].map((label) =>
      result.stdout
        .split('\n')
        .map((line) => workerOf(line, label))
        .find((pid) => pid !== undefined),
    );
    expect(quick.every((pid) => pid !== undefined && ![...killed.values()].includes(pid))).toBe(true);
    expect(readdirSync(result.runs).filter((run) => existsSync(join(result.runs, run, 'record.json')))).toHaveLength(2);
  });

  it.each(['SIGTERM'] as const)(
    '%s to the command ends every worker process (SIGINT is handled alike; SIGKILL: cli.test.ts)',
    async (signal) => {
      const workers = new Set<number>();
      let sent = false;
      const result = await startPool(['--variant=slow'], (line, cli) => {
        for (const label of ['slow s0', 'slow s1']) {
          const pid = workerOf(line, label);
          if (pid !== undefined) workers.add(pid);
        }
        if (!sent && workers.size === 2 && [...workers].every(alive)) {
          sent = true;
          process.kill(cli, signal);
        }
      });
      expect(workers.size).toBe(2);
      expect(result.code).toBe(143);
      expect(await ended([...workers])).toBe(true);
    },
  );
});
