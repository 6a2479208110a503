import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import * as E from 'fp-ts/lib/Either.js';
import { formatErrors, RunRecord } from '@losslab/schema';
import type { BackendInfo } from '@losslab/runtime';
import type { RunOptions } from '../command-options.js';
import { forgetChild, forwardStopSignals, keepChild, relayLines } from './child-processes.js';
import { cellLabel, type CellResult, type Execution, type RunCell } from './execution.js';
import {
  RunReply,
  WORKER_SETTINGS_ENV,
  WorkerUnusable,
  type RunRequest,
  type WorkerSettings,
} from './pool-messages.js';

/**
 * `--jobs=N` (N > 1): N long-lived worker processes (pool-worker.mjs → worker-child.ts), each
 * running one run after another and keeping its loaded definition, backend and data between runs.
 * A worker that dies fails only the run it was running; the next run starts a fresh worker. A
 * worker whose run left tensors behind is replaced too, so no run inherits another's memory.
 */

/** The worker entry, beside this file in src/ (run through the loaders it registers) and in dist/. */
const WORKER_ENTRY = fileURLToPath(new URL('./pool-worker.mjs', import.meta.url));

/**
 * This process's Node flags without tsx's own loader (`npx tsx …` adds `--require …/tsx/…` and
 * `--import …/tsx/…`): the worker entry registers tsx itself, and twice costs each worker about
 * 0.4 s of CPU at start.
 * @internal exported for its tests
 */
export function nodeFlags(execArgv: readonly string[]): string[] {
  const flags: string[] = [];
  for (let i = 0; i < execArgv.length; i++) {
    const flag = execArgv[i]!;
    const [name, inline] = flag.split(/=(.*)/s);
    const isLoader = name === '--require' || name === '-r' || name === '--import';
    const value = inline ?? (isLoader ? execArgv[i + 1] : undefined);
    if (isLoader && value !== undefined && /[\\/]tsx[\\/]/.test(value)) {
      if (inline === undefined) i++;
      continue;
    }
    flags.push(flag);
  }
  return flags;
}

/** How a request to a worker came back: its reply, or the worker's end (and why it could not run). */
type Outcome = { readonly reply: RunReply } | { readonly ended: string; readonly unusable?: string };

/** One worker process of the pool, asked for one run at a time. */
class PoolWorker {
  private readonly child: ChildProcess;
  private pending: ((outcome: Outcome) => void) | undefined;
  private why: string | undefined;
  private problem: string | undefined;

  constructor(settings: WorkerSettings) {
    // Started with this process's Node flags; the IPC channel is the worker's lifeline: it closes
    // when this process dies, even by SIGKILL.
    this.child = spawn(process.execPath, [...nodeFlags(process.execArgv), WORKER_ENTRY], {
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      env: { ...process.env, [WORKER_SETTINGS_ENV]: JSON.stringify(settings) },
    });
    keepChild(this.child);
    // The worker labels its own lines (it knows which run wrote them); whole lines are relayed.
    relayLines(this.child.stdout, process.stdout);
    relayLines(this.child.stderr, process.stderr);
    this.child.on('message', (message: unknown) => {
      const unusable = WorkerUnusable.decode(message);
      if (E.isRight(unusable)) this.problem = unusable.right.problem;
      const reply = RunReply.decode(message);
      if (E.isRight(reply)) this.settle({ reply: reply.right });
    });
    this.child.on('error', (error) => this.end(`failed: ${error.message}`));
    // 'close', not 'exit': the worker's last lines are relayed before its run is reported failed.
    this.child.on('close', (code, signal) => this.end(signal ? `killed by ${signal}` : `exit code ${code ?? 1}`));
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Whether the process has ended. */
  get ended(): boolean {
    return this.why !== undefined;
  }

  /** Why it cannot run anything, when it said so before it ended. */
  get unusable(): string | undefined {
    return this.problem;
  }

  private end(why: string): void {
    forgetChild(this.child);
    this.why ??= why;
    this.settle(this.endOutcome(this.why));
  }

  private endOutcome(why: string): Outcome {
    return { ended: why, ...(this.problem === undefined ? {} : { unusable: this.problem }) };
  }

  private settle(outcome: Outcome): void {
    const pending = this.pending;
    this.pending = undefined;
    pending?.(outcome);
  }

  /** Asks for one run; resolves with its reply, or with the worker's end if it dies first. */
  run(request: RunRequest): Promise<Outcome> {
    return new Promise((done) => {
      if (this.why !== undefined) {
        done(this.endOutcome(this.why));
        return;
      }
      this.pending = done;
      this.child.send(request, (error) => {
        if (error !== null) this.end(`not reachable: ${error.message}`);
      });
    });
  }

  /** Lets the worker end: it exits once its IPC channel closes. */
  close(): void {
    if (this.child.connected) this.child.disconnect();
  }
}

/** A cell's result from its worker's outcome; says on stderr why a run has no record. */
function cellResult(label: string, outcome: Outcome, worker: PoolWorker): CellResult {
  if ('ended' in outcome) {
    if (outcome.unusable !== undefined) return { label, ending: `worker could not start: ${outcome.unusable}` };
    console.error(
      `error: ${label}: its worker process (pid ${worker.pid ?? '?'}) ended during the run (${outcome.ended}); the other runs go on`,
    );
    return { label, ending: `worker ${outcome.ended}` };
  }
  const { reply } = outcome;
  if (reply.record === undefined) return { label, ending: reply.ending ?? 'no record' };
  // Checked like a record read from disk: the worker is another program run.
  const record = RunRecord.decode(reply.record);
  if (E.isRight(record)) return { label, record: record.right };
  console.error(`error: ${label}: the record its worker sent is invalid: ${formatErrors(record.left).join('; ')}`);
  return { label, ending: 'invalid record' };
}

/** What a pool's workers are started from. */
type PoolOptions = Pick<RunOptions, 'definitionPath' | 'runsDir' | 'fresh' | 'debug' | 'backend'>;

const poolSettings = ({
  definitionPath,
  runsDir,
  fresh,
  debug,
  backend,
}: PoolOptions): Omit<WorkerSettings, 'name'> => ({
  definitionPath,
  runsDir,
  fresh,
  debug,
  ...(backend === undefined ? {} : { backend }),
});

/** The workers {@link startWorkersEarly} started, under their settings, until a pool adopts them. */
let earlyWorkers: { readonly settings: string; readonly workers: PoolWorker[] } | undefined;

/**
 * `losslab run --jobs=N` starts its N workers first thing (cli.ts), before this process imports
 * the run command's own modules (about 0.3 s of CPU), so they load while it does; the command's
 * {@link WorkerPool} adopts them. Only when the command makes a pool (run-command.ts: N > 1, no
 * --queue, no --dry-run); a pool made with other settings closes them and starts its own.
 */
export function startWorkersEarly(options: RunOptions): void {
  if (options.jobs <= 1 || options.queue !== undefined || options.dryRun) return;
  const settings = poolSettings(options);
  earlyWorkers = {
    settings: JSON.stringify(settings),
    workers: Array.from({ length: options.jobs }, (_, i) => new PoolWorker({ ...settings, name: `worker ${i + 1}` })),
  };
}

/** The early workers started with `settings`, at most `size`; any others are closed. */
function adoptEarlyWorkers(settings: Omit<WorkerSettings, 'name'>, size: number): PoolWorker[] {
  const early = earlyWorkers;
  earlyWorkers = undefined;
  if (early === undefined) return [];
  const adopted = early.settings === JSON.stringify(settings) ? early.workers.splice(0, size) : [];
  early.workers.forEach((worker) => worker.close());
  return adopted;
}

/** The ending of a run a worker refused because it runs on another backend (worker-child.ts). */
const OTHER_BACKEND = 'refused: other backend';

/**
 * The worker processes of one `losslab run --jobs=N`, started as early as the command knows N (so
 * they load while the command checks the definition and data) and kept for every matrix the command
 * runs (a search's trials, then the runs). Closing it lets every worker end.
 */
export class WorkerPool {
  private readonly idle: PoolWorker[] = [];
  private started = 0;
  /** Set when a worker could not even load: every later worker would fail the same way. */
  private unusable: string | undefined;
  private settings: Omit<WorkerSettings, 'name'>;

  constructor(
    options: PoolOptions,
    readonly size: number,
  ) {
    this.settings = poolSettings(options);
    this.idle.push(...adoptEarlyWorkers(this.settings, size));
    this.started = this.idle.length;
    while (this.idle.length < size) this.idle.push(this.startWorker());
  }

  /** Says once that workers cannot start; the runs not begun yet then fail with the reason. */
  private markUnusable(problem: string): void {
    if (this.unusable !== undefined) return;
    this.unusable = `worker could not start: ${problem}`;
    console.error(`error: a worker process could not start: ${problem}`);
  }

  private startWorker(): PoolWorker {
    return new PoolWorker({ ...this.settings, name: `worker ${++this.started}` });
  }

  /** Runs `cells` on at most `size` workers, on `backend`, with the overrides `sets`. */
  async run(cells: readonly RunCell[], backend: BackendInfo, sets: RunOptions['sets']): Promise<CellResult[]> {
    // A worker started from now on runs on this backend by name; one started before and found on
    // another refuses its run, which then goes to a fresh worker.
    this.settings = { ...this.settings, backend: backend.name };
    // Imported here, not at the top: cli.ts imports this file to start the workers early.
    const definition = await (
      await import('./definition-handoff.js')
    ).definitionForWorkers(this.settings.definitionPath);
    const results = new Array<CellResult>(cells.length);
    let next = 0;
    let begun = 0;
    const slot = async () => {
      let worker = this.idle.pop();
      while (next < cells.length) {
        const index = next++;
        const { variant, seed } = cells[index]!;
        const label = cellLabel(variant.name, seed);
        if (this.unusable !== undefined) {
          results[index] = { label, ending: this.unusable };
          continue;
        }
        console.log(`run ${++begun}/${cells.length}: ${variant.name} seed ${seed}`);
        const request: RunRequest = {
          kind: 'run',
          variant: variant.name,
          seed,
          sets: sets.map(([path, value]) => [path, value]),
          hash: variant.hash,
          backend: backend.name,
          ...(definition === undefined ? {} : { definition }),
        };
        // An idle worker that died before its first run (not for a reason every worker shares) is replaced.
        if (worker?.ended === true && worker.unusable === undefined) worker = undefined;
        worker ??= this.startWorker();
        let outcome = await worker.run(request);
        if ('reply' in outcome && outcome.reply.ending === OTHER_BACKEND) {
          worker.close();
          worker = this.startWorker();
          outcome = await worker.run(request);
        }
        results[index] = cellResult(label, outcome, worker);
        if ('ended' in outcome) {
          if (outcome.unusable !== undefined) this.markUnusable(outcome.unusable);
          worker = undefined;
        } else if (outcome.reply.tensorsAfter !== outcome.reply.tensorsBefore) {
          console.error(
            `warning: ${label} left ${outcome.reply.tensorsAfter - outcome.reply.tensorsBefore} tensor(s) in its worker process (pid ${worker.pid ?? '?'}); the next run starts a fresh one`,
          );
          worker.close();
          worker = undefined;
        }
      }
      if (worker !== undefined) this.idle.push(worker);
    };
    await Promise.all(Array.from({ length: Math.min(this.size, cells.length) }, slot));
    return results;
  }

  /** Lets every idle worker end (each exits once its IPC channel closes). */
  close(): void {
    this.idle.splice(0).forEach((worker) => worker.close());
  }
}

/**
 * `--jobs=N` (N > 1): the runs on the worker processes of `pool`, or of a pool of `options.jobs`
 * started now (closed when the runs are done).
 */
export const workerPoolExecution = (
  options: RunOptions,
  backend: BackendInfo,
  pool: WorkerPool | undefined,
): Execution => ({
  where: `${options.jobs} worker processes, each running one run after another`,
  async run(cells) {
    forwardStopSignals();
    const workers = pool ?? new WorkerPool(options, options.jobs);
    try {
      return await workers.run(cells, backend, options.sets);
    } finally {
      if (pool === undefined) workers.close();
    }
  },
});
