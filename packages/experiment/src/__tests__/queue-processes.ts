import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LAUNCHER } from './outside-definition.js';

/**
 * Test helpers for the Redis queue: a private redis-server on a free loopback port, and the
 * losslab processes of a sweep (coordinator, workers), each the leader of its own process group
 * so that stopping it also stops every child it forked (BullMQ's sandboxed job processes). Every
 * process started here is registered and ended by `stopAll`, which the tests call in afterAll.
 */

/** Debian's redis-server (`apt-get install redis-server`). */
export const REDIS_SERVER = '/usr/bin/redis-server';

/**
 * Whether the queue tests run: always when redis-server is installed; otherwise skipped with a
 * notice, unless LOSSLAB_REQUIRE_REDIS=1 (set by .ci/run, which installs it) makes its absence a
 * failure, so CI can never skip them silently.
 */
export function redisCheck(
  env: Readonly<Record<string, string | undefined>>,
  installed: boolean,
): 'run' | 'skip' | 'fail' {
  if (installed) return 'run';
  return env.LOSSLAB_REQUIRE_REDIS === '1' ? 'fail' : 'skip';
}

/** A started process and everything it printed so far. */
export interface Started {
  readonly name: string;
  readonly child: ChildProcess;
  readonly output: () => string;
  /** Resolves with the exit code (or 128 + signal number for a signal) once the process has ended. */
  readonly exited: Promise<number>;
}

const started = new Set<Started>();

/** Starts `command args` in its own process group with the cpu backend, from the repository root. */
function start(
  name: string,
  command: string,
  args: readonly string[],
  cwd: string,
  env: Readonly<Record<string, string>> = {},
): Started {
  const child = spawn(command, args, {
    cwd,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, LOSSLAB_BACKEND: 'cpu', ...env },
  });
  let text = '';
  child.stdout.on('data', (chunk: Buffer) => (text += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (text += chunk.toString()));
  const exited = new Promise<number>((done) =>
    child.on('exit', (code, signal) => done(code ?? (signal === 'SIGKILL' ? 137 : signal === 'SIGTERM' ? 143 : 1))),
  );
  const process_ = { name, child, output: () => text, exited };
  started.add(process_);
  void exited.then(() => started.delete(process_));
  return process_;
}

/** Starts the `losslab` command (its launcher, as `npx losslab` runs it), with `env` added to this process's environment. */
export const losslab = (
  name: string,
  args: readonly string[],
  cwd: string,
  env: Readonly<Record<string, string>> = {},
): Started => start(name, process.execPath, [LAUNCHER, ...args], cwd, env);

/** Kills a started process and its whole group (a machine that dies takes its children with it). */
export function killGroup(target: Started, signal: NodeJS.Signals = 'SIGKILL'): void {
  if (target.child.pid === undefined) return;
  try {
    process.kill(-target.child.pid, signal);
  } catch {
    // already gone
  }
}

/** Ends every process these helpers started that is still running (SIGKILL to each group). */
export async function stopAll(): Promise<void> {
  const running = [...started];
  running.forEach((p) => killGroup(p));
  await Promise.all(running.map((p) => p.exited));
}

/** Resolves once `target` has printed a match of `pattern`; rejects after `timeoutMs` or when it exits first. */
export async function waitFor(target: Started, pattern: RegExp, timeoutMs = 90_000): Promise<RegExpMatchArray> {
  const deadline = Date.now() + timeoutMs;
  const status = { ended: false };
  void target.exited.then(() => (status.ended = true));
  for (;;) {
    const match = pattern.exec(target.output());
    if (match !== null) return match;
    if (status.ended) throw new Error(`${target.name} ended before printing ${pattern}:\n${target.output()}`);
    if (Date.now() > deadline)
      throw new Error(`${target.name} did not print ${pattern} in ${timeoutMs} ms:\n${target.output()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Resolves with the exit code; rejects (after killing it) when it takes longer than `timeoutMs`. */
export async function exitOf(target: Started, timeoutMs = 180_000): Promise<number> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, fail) => {
    timer = setTimeout(() => {
      killGroup(target);
      fail(new Error(`${target.name} did not end in ${timeoutMs} ms:\n${target.output()}`));
    }, timeoutMs);
  });
  try {
    return await Promise.race([target.exited, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** A TCP port on 127.0.0.1 that was free a moment ago. */
export function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address !== null ? done(address.port) : fail(new Error('no port')),
      );
    });
  });
}

/** Starts redis-server on a free loopback port without persistence, requiring `password`; resolves once it accepts connections. */
export async function startRedis(password: string, cwd: string): Promise<{ server: Started; port: number }> {
  const port = await freePort();
  const server = start(
    'redis-server',
    REDIS_SERVER,
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--requirepass', password],
    cwd,
  );
  await waitFor(server, /Ready to accept connections/, 20_000);
  return { server, port };
}

/** A fresh folder under the system's temporary folder. */
export const scratchDir = (): string => mkdtempSync(join(tmpdir(), 'losslab-queue-'));

/** The tiny matrix of these tests: 2 variants × 2 seeds of 128 MNIST images, 1 epoch, in `dir`. */
export function writeQueueDefinition(dir: string): string {
  const file = join(dir, 'queued.ts');
  writeFileSync(
    file,
    `import { adam, categoricalCrossentropy, classification, defineExperiment, flag, masked, mlp, mnist, oneHot, sgd } from '@losslab/experiment';

export default defineExperiment({
  name: 'queued',
  description: 'a sweep through the Redis queue',
  data: mnist({ limit: 128 }),
  labels: { digit: oneHot(10), isOdd: flag([1, 3, 5, 7, 9]) },
  model: mlp({ hidden: [{ units: 8, activation: 'relu' }], output: { units: 10, activation: 'softmax' } }),
  loss: masked(categoricalCrossentropy(), { target: 'digit', mask: 'isOdd' }),
  optimizer: adam(),
  train: { epochs: 1, batchSize: 64 },
  evaluation: classification({ split: 'train', target: 'digit' }),
  seeds: [0, 1],
  variants: { adam: {}, sgd: { optimizer: sgd(0.1) } },
});
`,
  );
  return file;
}

/**
 * A definition in a new folder under `parent`, on a CSV file beside it (`rows.csv`) and with a loss
 * kind of its own (`loss-kind.ts`), for the refusal tests: change either after submitting.
 */
export function writeCsvDefinition(parent: string): { file: string; csv: string; lossKind: string } {
  const dir = mkdtempSync(join(parent, 'csv-'));
  const lossKind = join(dir, 'loss-kind.ts');
  writeFileSync(
    lossKind,
    `import * as t from 'io-ts';
import { categoricalCrossentropy } from '@losslab/losses';
import { closed, defineLossKind } from '@losslab/experiment';

/** A user loss kind: its file becomes part of the run's code fingerprint. */
export const userCrossentropy = defineLossKind({
  kind: 'userCrossentropy',
  codec: closed('userCrossentropy loss', { kind: t.literal('userCrossentropy') }),
  build: () => categoricalCrossentropy(),
});
`,
  );
  const csv = join(dir, 'rows.csv');
  const rows = Array.from({ length: 40 }, (_, i) => `${(i % 7) / 7},${(i % 3) / 3},${i % 2 === 0 ? 'rest' : 'move'}`);
  writeFileSync(csv, `a,b,kind\n${rows.join('\n')}\n`);
  const file = join(dir, 'csv-def.ts');
  writeFileSync(
    file,
    `import { adam, classification, csv, defineExperiment, mlp, oneHot } from '@losslab/experiment';
import { userCrossentropy } from './loss-kind.js';

export default defineExperiment({
  name: 'queued-csv',
  description: 'a sweep on a CSV file',
  data: csv({ splits: { train: 'rows.csv' }, features: ['a', 'b'], label: 'kind', classNames: ['rest', 'move'] }),
  labels: { kind: oneHot(['rest', 'move']) },
  model: mlp({ hidden: [{ units: 4, activation: 'relu' }], output: { units: 2, activation: 'softmax' } }),
  loss: userCrossentropy({}),
  optimizer: adam(),
  train: { epochs: 1, batchSize: 8 },
  evaluation: classification({ split: 'train', target: 'kind' }),
  seeds: [0],
  variants: { base: {} },
});
`,
  );
  return { file, csv, lossKind };
}

/** Every file under `dir` (relative path → contents), for comparing folders and searching them. */
export function filesUnder(dir: string, root = dir): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  if (!existsSync(dir)) return files;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) filesUnder(path, root).forEach((bytes, name) => files.set(name, bytes));
    else files.set(path.slice(root.length + 1), readFileSync(path));
  }
  return files;
}

/** The complete runs of `experiment` under `runsDir`: `variant/seed` → run folder. */
export function runFolders(runsDir: string, experiment: string): Map<string, string> {
  const folders = new Map<string, string>();
  const dir = join(runsDir, experiment);
  if (!existsSync(dir)) return folders;
  for (const name of readdirSync(dir)) {
    const recordFile = join(dir, name, 'record.json');
    if (!existsSync(recordFile)) continue;
    const record = JSON.parse(readFileSync(recordFile, 'utf8')) as { variant: string; seed: number };
    folders.set(`${record.variant}/${record.seed}`, join(dir, name));
  }
  return folders;
}
