import { spawn, type ChildProcess } from 'node:child_process';
import * as E from 'fp-ts/lib/Either.js';
import { RunRecord } from '@losslab/schema';
import type { BackendInfo } from '@losslab/runtime';
import type { RunOptions } from '../command-options.js';
import { cellLabel, type CellResult, type Execution } from './execution.js';

/**
 * `--parallel=N` (N > 1): each run is a child process (`losslab run-one`) started the way this
 * process was, at most N at a time, that hands its record back over IPC.
 */

/** The message a `run-one` child sends its parent when its run is complete. */
interface RecordMessage {
  readonly kind: 'record';
  readonly record: unknown;
}

const isRecordMessage = (message: unknown): message is RecordMessage =>
  typeof message === 'object' && message !== null && (message as { kind?: unknown }).kind === 'record';

/** Arguments that make a child process resolve exactly the same definition. */
function forwardedArguments(options: RunOptions, backend: string): string[] {
  const args = [options.definitionPath, `--backend=${backend}`, `--runs-dir=${options.runsDir}`];
  for (const [path, value] of options.sets) {
    if (path !== 'seeds') args.push(`--set=${path}=${JSON.stringify(value)}`);
  }
  if (options.fresh) args.push('--fresh');
  if (options.debug) args.push('--debug');
  return args;
}

/** Run children still alive, so a signal to this process reaches them too. */
const liveChildren = new Set<ChildProcess>();

/**
 * Ends every run child when this process is told to stop (a child also ends by itself when its
 * IPC channel closes), and says how to continue: the killed runs keep their checkpoints.
 */
export function forwardStopSignals(): void {
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      liveChildren.forEach((child) => child.kill(signal));
      console.error(
        `losslab: stopped by ${signal}. Run the same command again to continue each unfinished run from its last checkpoint (--fresh starts over).`,
      );
      process.exit(128 + (signal === 'SIGINT' ? 2 : signal === 'SIGTERM' ? 15 : 1));
    });
  }
}

/** Writes each line of `stream` to `out` behind `[label] `. */
function relayLines(stream: NodeJS.ReadableStream | null, out: NodeJS.WriteStream, label: string): void {
  let buffered = '';
  stream?.on('data', (chunk: Buffer) => {
    buffered += chunk.toString();
    const lines = buffered.split('\n');
    buffered = lines.pop() ?? '';
    for (const line of lines) out.write(`[${label}] ${line}\n`);
  });
  stream?.on('end', () => buffered && out.write(`[${label}] ${buffered}\n`));
}

/**
 * Runs `losslab run-one <args>` as a child started the way this process was (`entry` with the same
 * Node flags, e.g. tsx's loader), its output prefixed with `label`, and resolves with the record it
 * sends back over IPC.
 */
function runChild(entry: string, args: readonly string[], label: string): Promise<CellResult> {
  return new Promise((done) => {
    // The IPC channel is the child's lifeline: it closes when this process dies, even by SIGKILL.
    const child = spawn(process.execPath, [...process.execArgv, entry, 'run-one', ...args], {
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      env: process.env,
    });
    liveChildren.add(child);
    let record: RunRecord | undefined;
    child.on('message', (message: unknown) => {
      if (!isRecordMessage(message)) return;
      // Checked like a record read from disk: the child is another program run.
      const decoded = RunRecord.decode(message.record);
      if (E.isRight(decoded)) record = decoded.right;
    });
    relayLines(child.stdout, process.stdout, label);
    relayLines(child.stderr, process.stderr, label);
    child.on('close', (code, signal) => {
      liveChildren.delete(child);
      if (code === 0 && record !== undefined) done({ label, record });
      else done({ label, ending: signal ? `killed by ${signal}` : `exit code ${code ?? 1}` });
    });
  });
}

/** Runs `tasks` with at most `limit` in flight; one failing never stops the others. */
async function pool<T>(tasks: readonly (() => Promise<T>)[], limit: number): Promise<T[]> {
  const results = new Array<T>(tasks.length);
  let next = 0;
  const worker = async () => {
    while (next < tasks.length) {
      const index = next++;
      results[index] = await tasks[index]!();
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, tasks.length) }, worker));
  return results;
}

/** `--parallel=N`: each run a `run-one` child of `entry`, at most `options.jobs` at a time. */
export const childPoolExecution = (entry: string, options: RunOptions, backend: BackendInfo): Execution => ({
  where: `${options.jobs} child processes at a time`,
  run(cells) {
    forwardStopSignals();
    let begun = 0;
    return pool(
      cells.map(({ variant, seed }) => () => {
        console.log(`run ${++begun}/${cells.length}: ${variant.name} seed ${seed}`);
        return runChild(
          entry,
          [...forwardedArguments(options, backend.name), `--variant=${variant.name}`, `--seeds=${seed}`],
          cellLabel(variant.name, seed),
        );
      }),
      options.jobs,
    );
  },
});

/** The child side: sends the run's record to the parent and resolves once it is on its way (before this process exits). */
export const sendRecordToParent = (record: RunRecord): Promise<void> =>
  new Promise((done) => {
    const message: RecordMessage = { kind: 'record', record };
    if (process.send === undefined) done();
    else process.send(message, undefined, {}, () => done());
  });

/**
 * The child side: started by a parent `run`, end with it (its IPC channel closes when it dies,
 * even by SIGKILL), saying which run stopped.
 */
export function endWithParent(label: string): void {
  if (process.send === undefined) return;
  process.once('disconnect', () => {
    console.error(`${label}: the parent losslab process ended; stopping this run`);
    process.exit(129);
  });
}
