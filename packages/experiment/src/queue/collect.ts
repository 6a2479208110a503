import { existsSync } from 'node:fs';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, isAbsolute, join, normalize } from 'node:path';
import * as E from 'fp-ts/lib/Either.js';
import { formatErrors, RECORD_FILE, RunRecord } from '@losslab/schema';
import { hashOf, sha256Hex } from '@losslab/runtime';
import { completeRun, failRun, RECORD_PARTS, runFolder, startRun } from '../store.js';
import type { ArtifactStore } from './artifacts.js';
import { RunJobResult, type RunJobData } from './job.js';

/**
 * The coordinator's side of a finished job: the run a worker returned becomes a run folder in the
 * local runs folder, as if it had run here (same run id, model files, record written last); a
 * failed job becomes a folder with `started.json` and `failed.json`, which the report lists.
 */

/** A relative path that stays inside its folder (a worker's file names are checked like any input). */
const isInside = (path: string): boolean =>
  path !== '' && !isAbsolute(path) && !normalize(path).split(/[/\\]/).includes('..');

/** A field of a returned record that differs from the job submitted, as `seed 3 (submitted 0)`. */
const differs = (field: string, returned: unknown, submitted: unknown): string[] =>
  returned === submitted ? [] : [`${field} ${JSON.stringify(returned)} (submitted ${JSON.stringify(submitted)})`];

/**
 * Where a returned record is not the run of the job submitted: its identity (experiment, variant,
 * seed, settings hash, code fingerprint, backend, the data files fingerprinted at submission) and
 * its own hash (the settings it holds must hash to its settings hash). Empty when it is that run.
 */
function recordDifferences(record: RunRecord, job: RunJobData): string[] {
  const ownHash = hashOf(record.definition);
  return [
    ...differs('experiment', record.experiment, job.experiment),
    ...differs('variant', record.variant, job.variant),
    ...differs('seed', record.seed, job.seed),
    ...differs('definitionHash', record.definitionHash, job.definitionHash),
    ...differs('codeFingerprint', record.codeFingerprint, job.codeFingerprint),
    ...differs('environment.backend', record.environment.backend, job.backend),
    ...Object.keys(job.dataFingerprint).flatMap((name) =>
      differs(`dataFingerprint.${name}`, record.dataFingerprint[name], job.dataFingerprint[name]),
    ),
    ...(ownHash === record.definitionHash
      ? []
      : [
          `definition (its sha256 ${ownHash.slice(0, 12)} is not the record's definitionHash ${record.definitionHash.slice(0, 12)})`,
        ]),
  ];
}

/**
 * The bytes of a file returned by reference, fetched from the submitter's own store (a reference
 * is only a sha256, so it names nothing outside it) and refused, naming the file and both hashes,
 * unless they hash to the record's sha256 (for a model file) and to the reference.
 */
async function fetchChecked(
  store: ArtifactStore,
  path: string,
  reference: string,
  recorded: ReadonlyMap<string, string>,
  jobId: string,
): Promise<Buffer> {
  const expected = recorded.get(path) ?? reference;
  if (expected !== reference)
    throw new Error(
      `job ${jobId}: artifact ${path} is referenced as sha256 ${reference}, the record says ${expected} (damaged or forged); nothing written`,
    );
  const bytes = await store.get(reference);
  const found = sha256Hex(bytes);
  if (found !== expected)
    throw new Error(
      `job ${jobId}: artifact ${path} from ${store.url} has sha256 ${found}, expected ${expected} (damaged or forged); nothing written`,
    );
  return bytes;
}

/**
 * Checks a job's return value (the record by the run-record codec, against the job that was
 * submitted, and each model file by the sha256 the record gives; a file returned by reference is
 * fetched from `store`, the submitter's own `--artifacts`, and checked before it is written) and writes the run folder under
 * `runsDir`; an already collected run is left as it is. Writes into a hidden folder first and
 * renames it, so a killed coordinator never leaves a half-written run. Throws a one-line reason
 * naming the job and what differs when the value is not the run submitted; then nothing is written.
 */
export async function collectRun(
  runsDir: string,
  returned: unknown,
  job: RunJobData,
  jobId: string,
  store?: ArtifactStore,
): Promise<{ record: RunRecord; folder: string }> {
  const result = RunJobResult.decode(returned);
  if (E.isLeft(result)) throw new Error(`job ${jobId} returned no run: ${formatErrors(result.left).join('; ')}`);
  const decoded = RunRecord.decode(result.right.record);
  if (E.isLeft(decoded))
    throw new Error(`job ${jobId} returned an invalid record: ${formatErrors(decoded.left).join('; ')}`);
  const record = decoded.right;
  const differing = recordDifferences(record, job);
  if (differing.length > 0)
    throw new Error(`job ${jobId} returned a record that is not the run submitted: ${differing.join('; ')}`);
  const files = new Map<string, Buffer>();
  const references = Object.entries(result.right.artifacts ?? {});
  const named = new Set<string>();
  for (const path of [...Object.keys(result.right.files), ...references.map(([name]) => name)]) {
    if (!isInside(path) || path === RECORD_FILE || named.has(path))
      throw new Error(`job ${jobId} returned a run holding a file named "${path}"`);
    named.add(path);
  }
  // The record's parts (history, evaluation, …) are written from the record itself, whatever came with it.
  for (const [path, base64] of Object.entries(result.right.files))
    if (!RECORD_PARTS.has(path)) files.set(path, Buffer.from(base64, 'base64'));
  const recorded = new Map((record.model?.files ?? []).map((file) => [file.path, file.sha256]));
  if (references.length > 0) {
    if (store === undefined)
      throw new Error(
        `job ${jobId} returned its files (${references.map(([path]) => path).join(', ')}) in the workers' artifact store; give this command the same --artifacts as the workers`,
      );
    for (const [path, reference] of references)
      files.set(path, await fetchChecked(store, path, reference, recorded, jobId));
  }
  for (const [path, sha256] of recorded) {
    const bytes = files.get(path);
    if (bytes === undefined) throw new Error(`job ${jobId} returned a run without its model file ${path}`);
    if (sha256Hex(bytes) !== sha256)
      throw new Error(`job ${jobId}: model file ${path} differs from the record's sha256 (damaged or forged)`);
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
