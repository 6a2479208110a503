import type { ChildProcess } from 'node:child_process';
import type { RunRecord } from '@losslab/schema';

/**
 * What this process's run children share: the parent side (stop signals reach every child, their
 * output relayed line by line) and the child side of `run-one` (the record sent back, ending with
 * the parent). The `--jobs=N` pool itself: worker-pool.ts.
 */

/** The message a `run-one` child sends its parent when its run is complete. */
interface RecordMessage {
  readonly kind: 'record';
  readonly record: unknown;
}

/** Run children still alive, so a signal to this process reaches them too. */
const liveChildren = new Set<ChildProcess>();

/** Counts `child` among those a stop signal ends. */
export const keepChild = (child: ChildProcess): void => void liveChildren.add(child);

/** `child` has ended. */
export const forgetChild = (child: ChildProcess): void => void liveChildren.delete(child);

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

/** Writes each whole line of `stream` to `out`, so the lines of two children never interleave mid-line. */
export function relayLines(stream: NodeJS.ReadableStream | null, out: NodeJS.WriteStream): void {
  let buffered = '';
  stream?.on('data', (chunk: Buffer) => {
    buffered += chunk.toString();
    const end = buffered.lastIndexOf('\n');
    if (end < 0) return;
    out.write(buffered.slice(0, end + 1));
    buffered = buffered.slice(end + 1);
  });
  stream?.on('end', () => buffered && out.write(`${buffered}\n`));
}

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
