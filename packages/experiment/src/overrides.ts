import { hostname } from 'node:os';
import { BACKENDS } from '@losslab/runtime';
import type { Overrides } from './resolve.js';
import { parseQueueUrl, type QueueTarget } from './queue/connection.js';
import { unknownOption } from './suggest.js';

/** Options the `run` command understands, beyond the definition path. */
export interface RunOptions {
  readonly definitionPath: string;
  readonly variants?: readonly string[];
  readonly seeds?: readonly number[];
  readonly backend?: string;
  /**
   * Runs at once (`--parallel=N`, or its alias `--jobs=N`; default 1). With 1 the runs execute one
   * after another in the CLI's own process; with more, each run is a child process. Through
   * `nx run` write `--jobs`: Nx takes `--parallel` for itself and does not pass it on.
   */
  readonly jobs: number;
  /** Print the resolved run matrix and settings, run nothing. */
  readonly dryRun: boolean;
  /** Print stack traces of unexpected errors. */
  readonly debug: boolean;
  readonly runsDir: string;
  readonly reportsDir: string;
  readonly check: boolean;
  readonly fresh: boolean;
  /** Dotted path → value, applied to the raw definition before validation. */
  readonly sets: Overrides;
  /** `--queue=redis://…`: run the matrix on `losslab worker`s through this Redis queue. */
  readonly queue?: QueueTarget;
  /** `--attempts=N` (with --queue): times a run may fail before it is recorded as failed (default 2). */
  readonly attempts: number;
}

/** Shorthand flags and the definition path each one sets. */
const SHORTHANDS: Readonly<Record<string, string>> = {
  epochs: 'train.epochs',
  'batch-size': 'train.batchSize',
  'learning-rate': 'optimizer.learningRate',
};

/** Flags that take no value (`--check`, or `--check=false`). */
const SWITCHES = ['check', 'fresh', 'dry-run', 'debug'];
const KNOWN = [
  'definition',
  'variant',
  'seeds',
  'backend',
  'parallel',
  'jobs',
  'runs-dir',
  'reports-dir',
  'queue',
  'attempts',
  ...SWITCHES,
  'set',
  ...Object.keys(SHORTHANDS),
];
const BACKEND_CHOICES = [...BACKENDS, 'auto'];

/**
 * The problem with a backend choice given by `source` (`--backend`, `LOSSLAB_BACKEND`), or
 * undefined when it names a backend or `auto`.
 */
export const backendChoiceProblem = (source: string, value: string): string | undefined =>
  BACKEND_CHOICES.includes(value)
    ? undefined
    : `${source}: expected one of ${BACKEND_CHOICES.join(', ')}, got "${value}"`;

/** `--check`, `--check=true` (as Nx forwards it) → true; `--check=false` → false. */
const switchValue = (value: string | undefined): boolean => value === undefined || value !== 'false';

/** A command-line value: JSON when it parses (numbers, booleans, arrays, objects), else the string. */
export function parseValue(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/**
 * Parses `run` arguments: `<definition.ts> --epochs=5 --seeds=0,1,2 --variant=a,b --backend=cpu
 * --set train.batchSize=64 --parallel=2 --check` (`--jobs` is the same as `--parallel`; the last
 * of them wins). Returns the problems instead of throwing so
 * they can be listed together with the definition's.
 */
export function parseRunArguments(argv: readonly string[]): { options?: RunOptions; problems: string[] } {
  const problems: string[] = [];
  const sets: (readonly [string, unknown])[] = [];
  let definitionPath: string | undefined;
  let variants: string[] | undefined;
  let seeds: number[] | undefined;
  let backend: string | undefined;
  let jobs = 1;
  let runsDir = 'runs';
  let reportsDir = 'reports';
  let queue: QueueTarget | undefined;
  let attempts = 2;
  const switches = new Map<string, boolean>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    if (!arg.startsWith('--')) {
      if (definitionPath === undefined) definitionPath = arg;
      else problems.push(`${arg}: unexpected argument (the definition is already ${definitionPath})`);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = arg.slice(2, eq === -1 ? undefined : eq);
    const takesValue = !SWITCHES.includes(name);
    let value = eq === -1 ? undefined : arg.slice(eq + 1);
    if (value === undefined && takesValue) value = argv[++i];
    if (!KNOWN.includes(name)) {
      problems.push(unknownOption(name, KNOWN));
      continue;
    }
    if (takesValue && (value === undefined || value === '')) {
      problems.push(`--${name}: expected a value`);
      continue;
    }
    const v = value ?? '';
    switch (name) {
      case 'definition':
        definitionPath = v;
        break;
      case 'variant':
        variants = v.split(',').filter((s) => s !== '');
        break;
      case 'seeds': {
        const parts = v.split(',');
        if (parts.some((p) => !/^\d+$/.test(p.trim())))
          problems.push(`--seeds: expected comma-separated non-negative integers, got "${v}"`);
        else seeds = parts.map((p) => Number(p.trim()));
        break;
      }
      case 'backend': {
        const problem = backendChoiceProblem('--backend', v);
        if (problem !== undefined) problems.push(problem);
        else backend = v;
        break;
      }
      case 'parallel':
      case 'jobs':
        if (!/^\d+$/.test(v) || Number(v) < 1) problems.push(`--${name}: expected a positive integer, got "${v}"`);
        else jobs = Number(v);
        break;
      case 'runs-dir':
        runsDir = v;
        break;
      case 'reports-dir':
        reportsDir = v;
        break;
      case 'queue': {
        const parsed = parseQueueUrl(v);
        if (parsed.problem !== undefined) problems.push(parsed.problem);
        queue = parsed.target;
        break;
      }
      case 'attempts':
        if (!/^\d+$/.test(v) || Number(v) < 1) problems.push(`--attempts: expected a positive integer, got "${v}"`);
        else attempts = Number(v);
        break;
      case 'check':
      case 'fresh':
      case 'dry-run':
      case 'debug':
        switches.set(name, switchValue(value));
        break;
      case 'set': {
        const at = v.indexOf('=');
        if (at <= 0) problems.push(`--set: expected path=value, got "${v}"`);
        else sets.push([v.slice(0, at), parseValue(v.slice(at + 1))]);
        break;
      }
      default: {
        const path = SHORTHANDS[name];
        if (path !== undefined) sets.push([path, parseValue(v)]);
      }
    }
  }
  if (definitionPath === undefined)
    problems.push('definition: expected the path of a definition file (e.g. experiments/mnist-odd.ts)');
  if (problems.length > 0 || definitionPath === undefined) return { problems };
  return {
    problems,
    options: {
      definitionPath,
      ...(variants ? { variants } : {}),
      ...(seeds ? { seeds } : {}),
      ...(backend ? { backend } : {}),
      jobs,
      runsDir,
      reportsDir,
      ...(queue ? { queue } : {}),
      attempts,
      check: switches.get('check') ?? false,
      fresh: switches.get('fresh') ?? false,
      dryRun: switches.get('dry-run') ?? false,
      debug: switches.get('debug') ?? false,
      sets: seeds ? [...sets, ['seeds', seeds] as const] : sets,
    },
  };
}

/** Options of `losslab worker`. */
export interface WorkerOptions {
  readonly target: QueueTarget;
  /** Runs at once on this machine, each in its own child process. */
  readonly concurrency: number;
  /** This worker's own run store: runs it already holds are reused, not retrained. */
  readonly runsDir: string;
  /**
   * How long a job's lock lasts without renewal. A worker that dies (SIGKILL, power) stops
   * renewing; after this long another worker's stalled-job check puts the job back in the queue.
   */
  readonly lockDurationMs: number;
  /** Shown by the coordinator as the machine a run is on (default `<hostname>:<pid>`). */
  readonly name: string;
}

const positive = (name: string, v: string): number | string =>
  /^\d+$/.test(v) && Number(v) > 0 ? Number(v) : `--${name}: expected a positive integer, got "${v}"`;

/**
 * Parses `worker --queue=redis://host:port[/db] [--concurrency=N] [--runs-dir=runs]
 * [--lock-duration=ms] [--name=text]`; returns the problems instead of throwing.
 */
export function parseWorkerArguments(argv: readonly string[]): { options?: WorkerOptions; problems: string[] } {
  const problems: string[] = [];
  const values = new Map<string, string>();
  const known = ['queue', 'concurrency', 'runs-dir', 'lock-duration', 'name'];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    const match = /^--([a-z-]+)(?:=(.*))?$/s.exec(arg);
    if (match === null) {
      problems.push(`${arg}: unexpected argument (worker takes only options)`);
      continue;
    }
    const name = match[1] ?? '';
    const value = match[2] ?? argv[++i];
    if (!known.includes(name)) problems.push(unknownOption(name, known));
    else if (value === undefined || value === '') problems.push(`--${name}: expected a value`);
    else values.set(name, value);
  }
  const queue = values.get('queue');
  const parsed =
    queue === undefined ? { problem: '--queue: expected the Redis URL of the run queue' } : parseQueueUrl(queue);
  if (parsed.problem !== undefined) problems.push(parsed.problem);
  const concurrency = positive('concurrency', values.get('concurrency') ?? '1');
  const lock = positive('lock-duration', values.get('lock-duration') ?? '30000');
  for (const value of [concurrency, lock]) if (typeof value === 'string') problems.push(value);
  if (problems.length > 0 || parsed.target === undefined || typeof concurrency === 'string' || typeof lock === 'string')
    return { problems };
  return {
    problems,
    options: {
      target: parsed.target,
      concurrency,
      runsDir: values.get('runs-dir') ?? 'runs',
      lockDurationMs: lock,
      name: values.get('name') ?? `${hostname()}:${process.pid}`,
    },
  };
}
