import { existsSync } from 'node:fs';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, isAbsolute, join, normalize } from 'node:path';
import * as E from 'fp-ts/lib/Either.js';
import { formatErrors, RECORD_FILE, RunRecord } from '@losslab/schema';
import { sha256Hex } from '@losslab/runtime';
import { completeRun, failRun, runFolder, startRun } from '../store.js';
import { RunJobResult } from './job.js';

/**
 * The coordinator's side of a finished job: the run a worker returned becomes a run folder in the
 * local runs folder, as if it had run here (same run id, model files, record written last); a
 * failed job becomes a folder with `started.json` and `failed.json`, which the report lists.
 */

/** A relative path that stays inside its folder (a worker's file names are checked like any input). */
const isInside = (path: string): boolean =>
  path !== '' && !isAbsolute(path) && !normalize(path).split(/[/\\]/).includes('..');

/**
 * Checks a job's return value (the record by the run-record codec, each model file by the sha256
 * the record gives) and writes the run folder under `runsDir`; an already collected run is left
 * as it is. Writes into a hidden folder first and renames it, so a killed coordinator never
 * leaves a half-written run. Throws a one-line reason when the value is not a valid run.
 */
export async function collectRun(runsDir: string, returned: unknown): Promise<{ record: RunRecord; folder: string }> {
  const result = RunJobResult.decode(returned);
  if (E.isLeft(result)) throw new Error(`the job returned no run: ${formatErrors(result.left).join('; ')}`);
  const decoded = RunRecord.decode(result.right.record);
  if (E.isLeft(decoded)) throw new Error(`the returned record is invalid: ${formatErrors(decoded.left).join('; ')}`);
  const record = decoded.right;
  const files = new Map<string, Buffer>();
  for (const [path, base64] of Object.entries(result.right.files)) {
    if (!isInside(path) || path === RECORD_FILE) throw new Error(`the returned run holds a file named "${path}"`);
    files.set(path, Buffer.from(base64, 'base64'));
  }
  for (const model of record.model?.files ?? []) {
    const bytes = files.get(model.path);
    if (bytes === undefined) throw new Error(`the returned run lacks its model file ${model.path}`);
    if (sha256Hex(bytes) !== model.sha256)
      throw new Error(`model file ${model.path} arrived damaged (sha256 differs from the record's)`);
  }
  const folder = runFolder(runsDir, record.experiment, record.runId);
  if (existsSync(join(folder, RECORD_FILE))) return { record, folder };
  if (existsSync(folder)) throw new Error(`${folder} exists without a record; not overwriting it`);
  const incoming = join(dirname(folder), `.incoming-${record.runId}-${process.pid}`);
  await rm(incoming, { recursive: true, force: true });
  for (const [path, bytes] of files) {
    await mkdir(dirname(join(incoming, path)), { recursive: true });
    await writeFile(join(incoming, path), bytes);
  }
  // The derived files and the record, record last: exactly what a local run writes.
  await completeRun(incoming, record);
  await rename(incoming, folder);
  return { record, folder };
}

/** A job that ended without a run, as the coordinator learned it from the queue. */
export interface QueueFailure {
  readonly experiment: string;
  readonly variant: string;
  readonly seed: number;
  readonly definitionHash: string;
  readonly jobId: string;
  /** The worker's reason, `[TrainFailed] train failed (…): …` or `[Refused] …`. */
  readonly reason: string;
  readonly attempts: number;
  readonly startedAt: Date;
  readonly failedAt: Date;
}

/**
 * Records a failed job as a failed run folder (`started.json`, `failed.json` with the phase and
 * the reason), named after the time it failed so a restarted coordinator finds it instead of
 * writing it twice. Returns the folder.
 */
export async function recordQueueFailure(runsDir: string, failure: QueueFailure): Promise<string> {
  const runId = `${failure.failedAt.toISOString().replace(/[:.]/g, '-')}-${failure.variant}-s${failure.seed}-queue`;
  const folder = runFolder(runsDir, failure.experiment, runId);
  if (existsSync(folder)) return folder;
  const tagged = /^\[(\w+)\] ([\s\S]*)$/.exec(failure.reason);
  await startRun(folder, {
    runId,
    variant: failure.variant,
    seed: failure.seed,
    definitionHash: failure.definitionHash,
    startedAt: failure.startedAt.toISOString(),
    queueJob: failure.jobId,
  });
  await failRun(folder, {
    schema: 'losslab.failed/1',
    runId,
    experiment: failure.experiment,
    variant: failure.variant,
    seed: failure.seed,
    phase: tagged?.[1] ?? 'QueueFailed',
    message: `${tagged?.[2] ?? failure.reason} (job ${failure.jobId}, ${failure.attempts} attempt(s))`,
    startedAt: failure.startedAt.toISOString(),
    failedAt: failure.failedAt.toISOString(),
  });
  return folder;
}
