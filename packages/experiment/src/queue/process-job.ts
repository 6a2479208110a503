import { readdir, readFile, stat } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { DelayedError, UnrecoverableError } from 'bullmq';
import * as E from 'fp-ts/lib/Either.js';
import { formatErrors, type RunRecord } from '@losslab/schema';
import { describeBackend, hashOf, selectBackend, sha256Hex, type BackendInfo } from '@losslab/runtime';
import { kerasProgress, type ProgressReporter } from '@losslab/train';
import { codeFingerprint, codeParts, type CodeParts } from '../environment.js';
import { registry } from '../kinds/index.js';
import { loadDefinitionFile } from '../load-definition.js';
import type { LoadedRows } from '../kinds/table.js';
import { messageOf } from '../message.js';
import type { SourceLoader } from '../pipeline.js';
import { resolveExperiment, type ResolvedVariant } from '../resolve.js';
import { describeFailure, runOne } from '../run.js';
import { RunIndex } from '../run-index.js';
import { RECORD_PARTS } from '../store.js';
import {
  checkInlineSize,
  openArtifactStore,
  parseArtifactsUrl,
  WORKER_ARTIFACTS_ENV,
  type ArtifactStore,
} from './artifacts.js';
import {
  CodeMap,
  codeDifferences,
  dataDifferences,
  MAX_REFUSALS,
  refusalDelayMs,
  RunJobData,
  WORKER_NAME_ENV,
  WORKER_RUNS_DIR_ENV,
  type RunJobResult,
} from './job.js';
import { checkDefinitionFile, rootsFromEnvironment } from './definition-access.js';
import { sourceFingerprint } from './data-check.js';

/**
 * The body of a queued run, executed by BullMQ in a sandboxed child process of `losslab worker`
 * (see sandbox.mjs), so training never blocks the worker's lock renewal. Before importing anything
 * it checks the job (its codec, then the definition file's place and sha256); it refuses a job
 * this machine would run differently (other definition file, code, data, settings or backend) and
 * hands it back to the queue for another worker, at most {@link MAX_REFUSALS} times; it runs
 * everything else exactly as `losslab run` would and returns the record and run folder.
 */

/** The part of a BullMQ sandboxed job this processor uses. */
export interface SandboxedRunJob {
  readonly id?: string;
  readonly data: unknown;
  readonly attemptsMade: number;
  updateProgress(progress: object): Promise<void>;
  updateData(data: RunJobData): Promise<void>;
  moveToDelayed(timestamp: number, token?: string): Promise<void>;
}

/** Why this worker does not run a job; `final` when no other worker could run it either. */
class Refusal extends Error {
  constructor(
    message: string,
    readonly final = false,
  ) {
    super(message);
  }
}

let backend: BackendInfo | undefined;

/** The files of a run folder by path relative to it, except those the record holds (the submitter writes them again). */
async function folderFiles(folder: string, root = folder): Promise<Map<string, Buffer>> {
  const files = new Map<string, Buffer>();
  for (const entry of await readdir(folder, { withFileTypes: true })) {
    const path = join(folder, entry.name);
    if (entry.isDirectory()) (await folderFiles(path, root)).forEach((bytes, name) => files.set(name, bytes));
    else if (entry.isFile() && !(folder === root && RECORD_PARTS.has(entry.name)))
      files.set(relative(root, path), await readFile(path));
  }
  return files;
}

/** The worker's runs of an experiment by reuse key, with the version of its folder they were read from. */
interface KeptIndex {
  readonly index: RunIndex;
  seen: string;
}
const runIndexes = new Map<string, KeptIndex>();

/** The modification time of an experiment's runs folder: it changes when a run folder is added or removed. */
const folderVersion = async (runsDir: string, experiment: string): Promise<string> =>
  String((await stat(join(runsDir, experiment), { bigint: true }).catch(() => undefined))?.mtimeNs ?? 'absent');

/**
 * The worker's runs folder read once and kept between jobs, read again only when another process
 * (a sibling job process, the user) has added or removed a run folder since.
 */
async function workerRunIndex(runsDir: string, experiment: string): Promise<KeptIndex> {
  const name = JSON.stringify([runsDir, experiment]);
  const version = await folderVersion(runsDir, experiment);
  const kept = runIndexes.get(name);
  if (kept?.seen === version) return kept;
  const fresh = { index: await RunIndex.read(runsDir, experiment), seen: version };
  runIndexes.set(name, fresh);
  return fresh;
}

/** The rows of the last job's data source, by its settings, folder and files' sha256. */
let keptRows: { key: string; rows: Promise<LoadedRows> } | undefined;

/**
 * A data source loader that keeps the rows of the last job, so a sweep's jobs on the same data
 * (every seed of a variant, usually every variant) load it once per worker process. Keyed by the
 * files' sha256 as this job's data check found them: changed files are loaded again. The rows are
 * typed arrays that training reads and never writes.
 */
const keptSource =
  (files: Readonly<Record<string, string>>): SourceLoader =>
  (data, baseDir) => {
    const key = hashOf([data, baseDir, files]);
    if (keptRows?.key !== key) {
      const rows = registry.data.get(data.kind).load(data, { baseDir });
      keptRows = { key, rows };
      // A failed load is not kept: the next job tries again.
      rows.catch(() => {
        if (keptRows?.rows === rows) keptRows = undefined;
      });
    }
    return keptRows.rows;
  };

/**
 * The submitter's code map, stored once per sweep in the artifact store under its hash (the code
 * fingerprint): read only to name what differs, and used only when its bytes hash to that
 * fingerprint and it decodes as a code map.
 */
async function storedCode(fingerprint: string): Promise<CodeParts | undefined> {
  try {
    const bytes = await workerStore()?.get(fingerprint);
    if (bytes === undefined || sha256Hex(bytes) !== fingerprint) return undefined;
    const decoded = CodeMap.decode(JSON.parse(bytes.toString('utf8')));
    return E.isRight(decoded) ? decoded.right : undefined;
  } catch {
    return undefined;
  }
}

/** Files at least this large go into the artifact store (the model's always do); smaller ones cost Redis less than a round trip. */
const ARTIFACT_MIN_BYTES = 16 * 1024;

let store: ArtifactStore | undefined;

/** The worker's artifact store (`losslab worker --artifacts`, passed down in the environment), opened once per process. */
function workerStore(): ArtifactStore | undefined {
  const text = process.env[WORKER_ARTIFACTS_ENV];
  if (text === undefined || text === '') return undefined;
  if (store === undefined) {
    const { location, problem } = parseArtifactsUrl(text);
    if (location === undefined) throw new UnrecoverableError(`[Refused] ${problem ?? text}`);
    store = openArtifactStore(location);
  }
  return store;
}

/**
 * The run folder's files as a job returns them: with an artifact store, the model files and every
 * large file are put into it and returned as their sha256; the rest (and, without a store, all of
 * them, up to the inline limit of artifacts.ts) inline as base64.
 */
async function returnedFiles(
  record: RunRecord,
  files: ReadonlyMap<string, Buffer>,
  label: string,
): Promise<Omit<RunJobResult, 'record'>> {
  const target = workerStore();
  if (target === undefined) {
    try {
      checkInlineSize(files);
    } catch (error) {
      // Trying again cannot make the files smaller: fail at once, with the way out.
      throw new UnrecoverableError(`[TooLarge] ${label}: ${messageOf(error)}`);
    }
    return { files: Object.fromEntries([...files].map(([path, bytes]) => [path, bytes.toString('base64')])) };
  }
  const modelFiles = new Set((record.model?.files ?? []).map((file) => file.path));
  const inline: Record<string, string> = {};
  const artifacts: Record<string, string> = {};
  for (const [path, bytes] of files) {
    if (!modelFiles.has(path) && bytes.byteLength < ARTIFACT_MIN_BYTES) inline[path] = bytes.toString('base64');
    else {
      const sha256 = sha256Hex(bytes);
      await target.put(sha256, bytes);
      artifacts[path] = sha256;
    }
  }
  return { files: inline, artifacts };
}

/**
 * Runs one queued (variant, seed) and returns its record and folder. A refusal hands the job back
 * (moved to delayed with the refusal added to its data, then BullMQ's DelayedError) until it has
 * been refused {@link MAX_REFUSALS} times; then, or for a job that is no losslab job at all, it
 * fails for good (UnrecoverableError, `[Refused] …`). A run that fails throws `[Tag] …`.
 */
export async function processRunJob(job: SandboxedRunJob, token?: string): Promise<RunJobResult> {
  const jobName = `job ${job.id ?? '?'}`;
  const decoded = RunJobData.decode(job.data);
  if (E.isLeft(decoded))
    throw new UnrecoverableError(
      `[Refused] ${jobName}: its data is not a losslab run job: ${formatErrors(decoded.left).join('; ')}`,
    );
  const data = decoded.right;
  try {
    return await runJob(job, data);
  } catch (error) {
    if (!(error instanceof Refusal)) throw error;
    const refusals = [
      ...(data.refusals ?? []),
      { worker: process.env[WORKER_NAME_ENV] ?? `pid ${process.pid}`, reason: error.message },
    ];
    const prefix = `[Refused] ${data.variant} s${data.seed} (${jobName})`;
    if (error.final || token === undefined) throw new UnrecoverableError(`${prefix}: ${error.message}`);
    if (refusals.length >= MAX_REFUSALS)
      throw new UnrecoverableError(
        `${prefix}: refused ${refusals.length} times, the limit: ${refusals.map((r) => `${r.worker}: ${r.reason}`).join(' | ')}`,
      );
    console.log(`${jobName}: refused (${refusals.length} of ${MAX_REFUSALS}), handed back: ${error.message}`);
    await job.updateData({ ...data, refusals });
    await job.moveToDelayed(Date.now() + refusalDelayMs(refusals.length), token);
    throw new DelayedError(`${prefix}: handed back after refusal ${refusals.length}: ${error.message}`);
  }
}

/** The checks and the run of {@link processRunJob}; throws a {@link Refusal} for a job this worker must not run. */
async function runJob(job: SandboxedRunJob, data: RunJobData): Promise<RunJobResult> {
  const label = `${data.variant} s${data.seed}`;

  // Where the file lies and what it holds, before anything is imported or compiled.
  const checked = await checkDefinitionFile(
    data.definitionPath,
    data.definitionSha256,
    await rootsFromEnvironment(process.env),
  );
  if ('problem' in checked) throw new Refusal(`${checked.problem}; nothing was imported`);
  const definitionFile = checked.file;
  let raw: unknown;
  try {
    raw = await loadDefinitionFile(definitionFile);
  } catch (error) {
    throw new Refusal(`cannot load the definition here (cwd ${process.cwd()}): ${messageOf(error)}`);
  }
  const resolved = resolveExperiment(raw, definitionFile, {
    variants: [data.variant],
    overrides: [...data.sets, ['seeds', [data.seed]]],
  });
  if (E.isLeft(resolved)) throw new Refusal(`the definition is invalid here: ${resolved.left.problems.join('; ')}`);
  if (resolved.right.definition.name !== data.experiment)
    throw new Refusal(
      `the definition file here defines experiment "${resolved.right.definition.name}", the job "${data.experiment}"`,
    );
  const variant: ResolvedVariant | undefined = resolved.right.variants[0];
  if (variant === undefined) throw new Refusal(`variant ${data.variant} is not in the definition here`);
  // Loading the definition registered its user kinds: their files are part of the code compared.
  const code = codeFingerprint(registry);
  if (code !== data.codeFingerprint) {
    const submitted = data.code ?? (await storedCode(data.codeFingerprint));
    const differing =
      submitted === undefined
        ? [
            "the submitter's code map is not in this worker's artifact store (give the worker the submitter's --artifacts)",
          ]
        : codeDifferences(codeParts(registry), submitted);
    throw new Refusal(
      `this worker's code differs from the submitter's (fingerprint ${code.slice(0, 12)} here, ${data.codeFingerprint.slice(0, 12)} submitted): ${differing.slice(0, 5).join('; ')}${differing.length > 5 ? `; and ${differing.length - 5} more` : ''}`,
    );
  }
  const definitionHash = variant.hash;
  if (definitionHash !== data.definitionHash)
    throw new Refusal(
      `the definition resolves to other settings here (${definitionHash.slice(0, 12)} ≠ ${data.definitionHash.slice(0, 12)}); is ${data.definitionPath} the same file?`,
    );
  const baseDir = dirname(definitionFile);
  let here: Record<string, string>;
  try {
    here = await sourceFingerprint(variant.spec, registry, baseDir);
  } catch (error) {
    throw new Refusal(`cannot read the data here: ${messageOf(error)}`);
  }
  const differing = dataDifferences(here, data.dataFingerprint);
  if (differing.length > 0)
    throw new Refusal(`this worker's data differs from the submitter's: ${differing.join('; ')}`);

  if (backend === undefined) {
    try {
      backend = await selectBackend({ requested: data.backend });
    } catch (error) {
      throw new Refusal(`backend ${data.backend} does not load here: ${messageOf(error).split('\n')[0] ?? ''}`);
    }
    console.log(`worker process ${process.pid}: ${describeBackend(backend)}`);
  }
  console.log(`job ${job.id ?? '?'}: ${data.experiment} / ${label} (attempt ${job.attemptsMade + 1})`);
  const keras = kerasProgress(process.stdout);
  const progress: ProgressReporter = {
    epochStart: (epoch, epochs, steps) => keras.epochStart(epoch, epochs, steps),
    step: (step, meanLoss) => keras.step(step, meanLoss),
    epochEnd: (summary) => {
      keras.epochEnd(summary);
      // Shown by the coordinator; a lost progress update must never fail the run.
      job.updateProgress({ epoch: summary.epoch, loss: summary.loss }).catch(() => {});
    },
  };
  const runsDir = process.env[WORKER_RUNS_DIR_ENV] ?? 'runs';
  const runIndex = await workerRunIndex(runsDir, data.experiment);
  const outcome = await runOne(
    { definition: resolved.right.definition, variant, seed: data.seed },
    {
      runsDir,
      runIndex: runIndex.index,
      loadSource: keptSource(here),
      backend,
      progress,
      reuse: !data.fresh,
      log: (line) => console.log(line),
      definitionFile,
      registry,
    },
  );
  if (E.isLeft(outcome))
    throw new Error(
      `[${outcome.left.tag}] ${describeFailure(outcome.left, { variant: data.variant, seed: data.seed })}`,
    );
  runIndex.seen = await folderVersion(runsDir, data.experiment);
  const { record, folder, reused } = outcome.right;
  // Belt and braces: the data the run read is the data the coordinator fingerprinted.
  const recorded = Object.fromEntries(
    Object.keys(data.dataFingerprint).map((k) => [k, record.dataFingerprint[k] ?? '']),
  );
  const readOther = dataDifferences(recorded, data.dataFingerprint);
  if (readOther.length > 0) throw new Refusal(`the run read other data: ${readOther.join('; ')}`);
  console.log(`job ${job.id ?? '?'}: ${reused ? 'reused' : 'wrote'} ${folder}`);
  return { record, ...(await returnedFiles(record, await folderFiles(folder), label)) };
}
