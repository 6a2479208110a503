import * as tf from '@tensorflow/tfjs-core';
import * as E from 'fp-ts/lib/Either.js';
import { formatErrors, type RunRecord } from '@losslab/schema';
import { describeBackend, selectBackend, type BackendInfo } from '@losslab/runtime';
import { registry } from '../kinds/index.js';
import { loadDefinitionFile } from '../load-definition.js';
import { firstLineOf } from '../message.js';
import type { SourceLoader } from '../pipeline.js';
import { resolveExperiment } from '../resolve.js';
import { cellLabel, type CellResult } from './execution.js';
import { runHere } from './in-process.js';
import { keptSourceLoader } from './kept-data.js';
import { RunRequest, WORKER_SETTINGS_ENV, WorkerSettings, type RunReply } from './pool-messages.js';

/**
 * The worker side of a `--jobs=N` pool (worker-pool.ts), started through pool-worker.mjs: loads
 * the backend once, then runs one (variant, seed) after another as the parent asks, keeping the
 * loaded data between runs of the same data settings (kept-data.ts). Each run resolves its variant
 * again here — from the definition the parent hands over with the request when that is safe, else
 * from the definition file, imported once — and must come to the parent's settings hash, and must
 * ask for this worker's backend; each run's output lines carry its label, as a `run-one` child's did.
 */

/**
 * What a worker keeps between runs.
 * @internal exported for its tests
 */
export interface WorkerState {
  readonly settings: WorkerSettings;
  /**
   * The definition file's default export, imported on first use and kept (importing it registers
   * its user kinds). Runs whose request carries the parent's definition never import it: no tsx,
   * no compile of the file.
   */
  readonly definitionFile: () => Promise<unknown>;
  readonly backend: BackendInfo;
  readonly loadSource: SourceLoader;
}

/**
 * Loads the backend the pool's runs share; throws when it cannot load. The definition file is
 * imported only when a run needs it.
 * @internal exported for its tests
 */
export async function startWorker(settings: WorkerSettings): Promise<WorkerState> {
  const backend = await selectBackend({ requested: settings.backend });
  let imported: Promise<unknown> | undefined;
  const definitionFile = () => (imported ??= loadDefinitionFile(settings.definitionPath));
  return { settings, definitionFile, backend, loadSource: keptSourceLoader(registry) };
}

/**
 * Runs one request in this worker and says how it ended; never throws. A run asking for another
 * backend than the one this worker (and TF.js, right now) runs on is refused, not run on the wrong one.
 * @internal exported for its tests
 */
export async function runRequest(worker: WorkerState, request: RunRequest): Promise<CellResult> {
  const label = cellLabel(request.variant, request.seed);
  const active = tf.getBackend();
  if (request.backend !== worker.backend.name || active !== worker.backend.name) {
    console.error(
      `error: ${label}: refused: the run asks for backend ${request.backend}, this worker process runs on ${active}`,
    );
    return { label, ending: 'refused: other backend' };
  }
  const { settings } = worker;
  let raw: unknown;
  try {
    raw = request.definition ?? (await worker.definitionFile());
  } catch (error) {
    console.error(`error: ${label}: ${firstLineOf(error)}`);
    return { label, ending: 'refused: definition' };
  }
  const resolved = resolveExperiment(raw, settings.definitionPath, {
    variants: [request.variant],
    overrides: [...request.sets.filter(([path]) => path !== 'seeds'), ['seeds', [request.seed]]],
  });
  const variant = E.isRight(resolved) ? resolved.right.variants[0] : undefined;
  if (E.isLeft(resolved) || variant === undefined) {
    const problems = E.isLeft(resolved) ? resolved.left.problems.join('; ') : `no variant ${request.variant}`;
    console.error(`error: ${label}: the definition does not resolve in this worker process: ${problems}`);
    return { label, ending: 'refused: definition' };
  }
  if (variant.hash !== request.hash) {
    console.error(
      `error: ${label}: ${settings.definitionPath} resolves to other settings in this worker process (${variant.hash.slice(0, 12)}) than in the parent (${request.hash.slice(0, 12)}); was it edited during the runs?`,
    );
    return { label, ending: 'refused: settings differ' };
  }
  return runHere(
    resolved.right.definition,
    { variant, seed: request.seed },
    settings,
    worker.backend,
    worker.loadSource,
  );
}

/** Puts `[label] ` before every line written to `stream`, the label of the moment it is written. */
function labelLines(stream: NodeJS.WriteStream, label: () => string): void {
  const write = stream.write.bind(stream) as (chunk: string, ...rest: unknown[]) => boolean;
  let lineStart = true;
  stream.write = (chunk: string | Uint8Array, ...rest: unknown[]) => {
    const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString();
    let labelled = '';
    for (const piece of text.split(/(?<=\n)/)) {
      if (lineStart && piece !== '') labelled += `[${label()}] `;
      labelled += piece;
      lineStart = piece.endsWith('\n');
    }
    return write(labelled, ...rest);
  };
}

const send = (message: object): Promise<void> =>
  new Promise((done) => {
    if (process.send === undefined) done();
    else process.send(message, undefined, {}, () => done());
  });

/**
 * Imports the definition file for a run that needs it; when it cannot be imported, tells the
 * parent that this worker cannot run anything (as when its backend does not load) and exits.
 */
async function importDefinitionOrEnd(worker: WorkerState): Promise<void> {
  try {
    await worker.definitionFile();
  } catch (error) {
    await send({ kind: 'unusable', problem: firstLineOf(error) });
    process.exit(1);
  }
}

/** The worker process: set up from its environment, then serves the parent's requests one at a time until it disconnects. */
export async function serveRuns(): Promise<void> {
  const decoded = WorkerSettings.decode(JSON.parse(process.env[WORKER_SETTINGS_ENV] ?? 'null'));
  if (E.isLeft(decoded)) {
    await send({ kind: 'unusable', problem: `bad worker settings: ${formatErrors(decoded.left).join('; ')}` });
    process.exit(2);
  }
  const settings = decoded.right;
  let label = settings.name;
  labelLines(process.stdout, () => label);
  labelLines(process.stderr, () => label);
  let running = false;
  let runs = 0;
  process.once('disconnect', () => {
    if (running) console.error(`the parent losslab process ended; stopping this run`);
    process.exit(running ? 129 : 0);
  });
  let queue: Promise<unknown> = Promise.resolve();
  // Listened for at once, so requests sent while the worker loads wait for it instead of being lost.
  const started = startWorker(settings);
  process.on('message', (message: unknown) => {
    queue = queue.then(async () => {
      const worker = await started;
      const request = RunRequest.decode(message);
      if (E.isLeft(request)) return;
      if (request.right.definition === undefined) await importDefinitionOrEnd(worker);
      label = cellLabel(request.right.variant, request.right.seed);
      running = true;
      console.log(`run in worker process ${process.pid} (its run ${++runs})`);
      const tensorsBefore = tf.memory().numTensors;
      const result = await runRequest(worker, request.right);
      const record: RunRecord | undefined = result.record;
      const reply: RunReply = {
        kind: 'result',
        tensorsBefore,
        tensorsAfter: tf.memory().numTensors,
        ...(record === undefined ? {} : { record }),
        ...(result.ending === undefined ? {} : { ending: result.ending }),
      };
      running = false;
      label = settings.name;
      await send(reply);
    });
  });
  try {
    const worker = await started;
    console.log(`worker process ${process.pid}: ${describeBackend(worker.backend)}`);
  } catch (error) {
    // Said by the parent, once, when it asks this worker for a run (it may have stopped already).
    await send({ kind: 'unusable', problem: firstLineOf(error) });
    process.exit(1);
  }
}
