import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import * as E from 'fp-ts/lib/Either.js';
import { formatErrors, RunRecord } from '@losslab/schema';
import type { BackendInfo } from '@losslab/runtime';
import type { RunOptions } from '../command-options.js';
import { forgetChild, forwardStopSignals, keepChild, relayLines } from './child-processes.js';
import { cellLabel, type CellResult, type Execution } from './execution.js';
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

/** How a request to a worker came back: its reply, or the worker's end (and why it could not run). */
type Outcome = { readonly reply: RunReply } | { readonly ended: string; readonly unusable?: string };

/** One worker process of the pool, asked for one run at a time. */
class PoolWorker {
  private readonly child: ChildProcess;
  private pending: ((outcome: Outcome) => void) | undefined;
  private unusable: string | undefined;
  private ended: string | undefined;

  constructor(settings: WorkerSettings) {
    // Started the way this process was (same Node flags, e.g. tsx's loader); the IPC channel is
    // the worker's lifeline: it closes when this process dies, even by SIGKILL.
    this.child = spawn(process.execPath, [...process.execArgv, WORKER_ENTRY], {
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      env: { ...process.env, [WORKER_SETTINGS_ENV]: JSON.stringify(settings) },
    });
    keepChild(this.child);
    // The worker labels its own lines (it knows which run wrote them); whole lines are relayed.
    relayLines(this.child.stdout, process.stdout);
    relayLines(this.child.stderr, process.stderr);
    this.child.on('message', (message: unknown) => {
      const unusable = WorkerUnusable.decode(message);
      if (E.isRight(unusable)) this.unusable = unusable.right.problem;
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

  private end(why: string): void {
    forgetChild(this.child);
    this.ended ??= why;
    this.settle({ ended: this.ended, ...(this.unusable === undefined ? {} : { unusable: this.unusable }) });
  }

  private settle(outcome: Outcome): void {
    const pending = this.pending;
    this.pending = undefined;
    pending?.(outcome);
  }

  /** Asks for one run; resolves with its reply, or with the worker's end if it dies first. */
  run(request: RunRequest): Promise<Outcome> {
    return new Promise((done) => {
      if (this.ended !== undefined) {
        done({ ended: this.ended });
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

/** `--jobs=N` (N > 1): the runs on at most N worker processes of this backend at a time. */
export const workerPoolExecution = (options: RunOptions, backend: BackendInfo): Execution => ({
  where: `${options.jobs} worker processes, each running one run after another`,
  async run(cells) {
    forwardStopSignals();
    const settings: Omit<WorkerSettings, 'name'> = {
      definitionPath: options.definitionPath,
      sets: options.sets.map(([path, value]) => [path, value]),
      backend: backend.name,
      runsDir: options.runsDir,
      fresh: options.fresh,
      debug: options.debug,
    };
    const results = new Array<CellResult>(cells.length);
    let next = 0;
    let begun = 0;
    let workers = 0;
    // Set when a worker could not even load: every later worker would fail the same way.
    let unusable: string | undefined;
    const slot = async () => {
      let worker: PoolWorker | undefined;
      while (next < cells.length) {
        const index = next++;
        const { variant, seed } = cells[index]!;
        const label = cellLabel(variant.name, seed);
        if (unusable !== undefined) {
          results[index] = { label, ending: unusable };
          continue;
        }
        console.log(`run ${++begun}/${cells.length}: ${variant.name} seed ${seed}`);
        worker ??= new PoolWorker({ ...settings, name: `worker ${++workers}` });
        const outcome = await worker.run({
          kind: 'run',
          variant: variant.name,
          seed,
          hash: variant.hash,
          backend: backend.name,
        });
        results[index] = cellResult(label, outcome, worker);
        if ('ended' in outcome) {
          if (outcome.unusable !== undefined) unusable ??= `worker could not start: ${outcome.unusable}`;
          worker = undefined;
        } else if (outcome.reply.tensorsAfter !== outcome.reply.tensorsBefore) {
          console.error(
            `warning: ${label} left ${outcome.reply.tensorsAfter - outcome.reply.tensorsBefore} tensor(s) in its worker process (pid ${worker.pid ?? '?'}); the next run starts a fresh one`,
          );
          worker.close();
          worker = undefined;
        }
      }
      worker?.close();
    };
    await Promise.all(Array.from({ length: Math.min(options.jobs, cells.length) }, slot));
    return results;
  },
});
