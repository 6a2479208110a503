/**
 * The scale check of queued sweeps (issue 30): N tiny MNIST runs (MLP 784→32→10, 25,450
 * parameters) through a private redis-server and W local `losslab worker`s with a shared-folder
 * artifact store, then the same sweep submitted again (every run reused). Prints wall time,
 * per-job overhead beyond training, Redis memory (before, peak, after), peak RSS of the submitter
 * and of each worker with its job processes, and the resubmit's time.
 *
 *   npx tsx tools/queue-scale.ts --runs=1000 --workers=2
 *
 * A command, never a test: it takes minutes and its numbers depend on the machine's load.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = resolve(fileURLToPath(import.meta.url), '../..');
const LAUNCHER = join(ROOT, 'packages/experiment/bin/losslab.mjs');
const option = (name: string, fallback: number): number =>
  Number(process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1] ?? fallback);
const RUNS = option('runs', 1000);
const WORKERS = option('workers', 2);
const PASSWORD = 'scale-check';

const freePort = (): Promise<number> =>
  new Promise((done) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => done(port));
    });
  });

interface Started {
  readonly child: ChildProcess;
  output: string;
  readonly exited: Promise<number>;
}
const started: Started[] = [];
function start(command: string, args: string[], env: Record<string, string> = {}): Started {
  const child = spawn(command, args, {
    cwd: ROOT,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, LOSSLAB_BACKEND: 'cpu', ...env },
  });
  const entry: Started = {
    child,
    output: '',
    exited: new Promise((done) => child.on('exit', (code) => done(code ?? 1))),
  };
  child.stdout.on('data', (chunk: Buffer) => (entry.output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (entry.output += chunk.toString()));
  started.push(entry);
  return entry;
}
const losslab = (args: string[]) => start(process.execPath, [LAUNCHER, ...args]);
const stopAll = () =>
  started.forEach((p) => {
    try {
      if (p.child.pid !== undefined) process.kill(-p.child.pid, 'SIGKILL');
    } catch {
      // already ended
    }
  });
const until = async (test: () => boolean) => {
  while (!test()) await new Promise((r) => setTimeout(r, 100));
};

/** Resident memory (KB) of a process and all its descendants, from /proc. */
function groupRss(pid: number): number {
  let total = 0;
  for (const entry of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const pgrp = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]);
      if (pgrp !== pid) continue;
      total += Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${entry}/status`, 'utf8'))?.[1] ?? 0);
    } catch {
      // the process ended meanwhile
    }
  }
  return total;
}

const dir = mkdtempSync(join(tmpdir(), 'losslab-scale-'));
const definition = join(dir, 'scale.ts');
writeFileSync(
  definition,
  `import { adam, categoricalCrossentropy, classification, defineExperiment, mlp, mnist, oneHot } from '@losslab/experiment';

export default defineExperiment({
  name: 'scale',
  description: 'many tiny runs through the queue',
  data: mnist({ limit: 512 }),
  labels: { digit: oneHot(10) },
  model: mlp({ hidden: [{ units: 32, activation: 'relu' }], output: { units: 10, activation: 'softmax' } }),
  loss: categoricalCrossentropy(),
  optimizer: adam(),
  train: { epochs: 1, batchSize: 128 },
  evaluation: classification({ split: 'train', target: 'digit' }),
  seeds: [0],
  variants: { base: {} },
});
`,
);

try {
  const port = await freePort();
  const redisServer = start('/usr/bin/redis-server', [
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    '--save',
    '',
    '--appendonly',
    'no',
    '--requirepass',
    PASSWORD,
  ]);
  await until(() => redisServer.output.includes('Ready to accept connections'));
  const queue = `redis://:${PASSWORD}@127.0.0.1:${port}/0`;
  const store = pathToFileURL(join(dir, 'store')).href;
  // Debian's redis-cli, the password from its environment variable (never on a command line).
  const usedMemory = () =>
    new Promise<number>((done, fail) =>
      execFile(
        '/usr/bin/redis-cli',
        ['-h', '127.0.0.1', '-p', String(port), 'INFO', 'memory'],
        { env: { ...process.env, REDISCLI_AUTH: PASSWORD } },
        (error, stdout) =>
          error !== null ? fail(new Error(error.message)) : done(Number(/used_memory:(\d+)/.exec(stdout)?.[1])),
      ),
    );
  const workers = Array.from({ length: WORKERS }, (_, i) =>
    losslab([
      'worker',
      `--queue=${queue}`,
      `--artifacts=${store}`,
      `--runs-dir=${dir}/w${i}-runs`,
      `--name=w${i}`,
      `--allow-definitions=${dir}`,
    ]),
  );
  await until(() => workers.every((w) => w.output.includes('losslab worker ')));
  const memoryBefore = await usedMemory();
  const seeds = `--seeds=${Array.from({ length: RUNS }, (_, s) => s).join(',')}`;
  const submitArgs = ['run', definition, seeds, `--queue=${queue}`, `--artifacts=${store}`, `--runs-dir=${dir}/runs`];
  const t0 = performance.now();
  const sweep = losslab([...submitArgs, `--reports-dir=${dir}/reports`]);
  let memoryPeak = memoryBefore;
  let submitterRss = 0;
  const workerRss = workers.map(() => 0);
  const doneAt: number[] = [];
  let seen = 0;
  const status = { ended: false };
  void sweep.exited.then(() => (status.ended = true));
  while (!status.ended) {
    memoryPeak = Math.max(memoryPeak, await usedMemory());
    submitterRss = Math.max(submitterRss, groupRss(sweep.child.pid!));
    workers.forEach((w, i) => (workerRss[i] = Math.max(workerRss[i]!, groupRss(w.child.pid!))));
    const done = sweep.output.match(/^done /gm)?.length ?? 0;
    for (; seen < done; seen++) doneAt.push(performance.now());
    await new Promise((r) => setTimeout(r, 250));
  }
  const wall = (performance.now() - t0) / 1000;
  if ((await sweep.exited) !== 0)
    throw new Error(`the sweep failed: ${/^error: .*$/m.exec(sweep.output)?.[0] ?? sweep.output.slice(-3000)}`);
  const memoryAfter = await usedMemory();
  // Training time from the records; the jobs between the first and the last "done" are the steady state.
  const runs = join(dir, 'runs', 'scale');
  const training = readdirSync(runs).map((id) =>
    (JSON.parse(readFileSync(join(runs, id, 'record.json'), 'utf8')) as { history: { seconds: number }[] }).history
      .map((e) => e.seconds)
      .reduce((a, b) => a + b, 0),
  );
  const meanTraining = training.reduce((a, b) => a + b, 0) / training.length;
  const steady = doneAt.length > 1 ? (doneAt.at(-1)! - doneAt[0]!) / 1000 / (doneAt.length - 1) : wall / RUNS;
  const perJob = steady * WORKERS;
  const t1 = performance.now();
  const again = losslab([...submitArgs, `--reports-dir=${dir}/reports-again`]);
  if ((await again.exited) !== 0) throw new Error(`the resubmit failed:\n${again.output.slice(-3000)}`);
  const resubmit = (performance.now() - t1) / 1000;
  const reused = again.output.match(/^reused /gm)?.length ?? 0;
  const mb = (bytes: number) => (bytes / 1024 / 1024).toFixed(2);
  console.log(`| runs | workers | wall s | s per job (steady, per worker) | training s per job | overhead s per job | Redis MB before / peak / after | submitter peak RSS MB | worker peak RSS MB | resubmit s (reused) |
| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |
| ${RUNS} | ${WORKERS} | ${wall.toFixed(1)} | ${perJob.toFixed(3)} | ${meanTraining.toFixed(3)} | ${(perJob - meanTraining).toFixed(3)} | ${mb(memoryBefore)} / ${mb(memoryPeak)} / ${mb(memoryAfter)} | ${(submitterRss / 1024).toFixed(0)} | ${workerRss.map((kb) => (kb / 1024).toFixed(0)).join(', ')} | ${resubmit.toFixed(1)} (${reused}) |`);
} finally {
  stopAll();
  rmSync(dir, { recursive: true, force: true });
}
