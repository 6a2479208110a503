import { readdir, readFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { UnrecoverableError } from 'bullmq';
import * as E from 'fp-ts/lib/Either.js';
import { formatErrors, RECORD_FILE } from '@losslab/schema';
import { describeBackend, selectBackend, type BackendInfo } from '@losslab/runtime';
import { kerasProgress, type ProgressReporter } from '@losslab/train';
import { codeFingerprint, codeParts } from '../environment.js';
import { registry } from '../kinds/index.js';
import { loadDefinitionFile } from '../load-definition.js';
import { messageOf } from '../message.js';
import { resolveExperiment, type ResolvedVariant } from '../resolve.js';
import { describeFailure, runHash, runOne } from '../run.js';
import { codeDifferences, dataDifferences, RunJobData, WORKER_RUNS_DIR_ENV, type RunJobResult } from './job.js';
import { sourceFingerprint } from './data-check.js';

/**
 * The body of a queued run, executed by BullMQ in a sandboxed child process of `losslab worker`
 * (see sandbox.mjs), so training never blocks the worker's lock renewal. It refuses, without
 * retries, a job this machine would run differently (other code, other data, other settings);
 * it runs everything else exactly as `losslab run` would and returns the record and run folder.
 */

/** The part of a BullMQ sandboxed job this processor uses. */
export interface SandboxedRunJob {
  readonly id?: string;
  readonly data: unknown;
  readonly attemptsMade: number;
  updateProgress(progress: object): Promise<void>;
}

/** A refusal: this job can never succeed on this worker, so BullMQ must not retry it. */
const refuse = (message: string): UnrecoverableError => new UnrecoverableError(`[Refused] ${message}`);

let backend: BackendInfo | undefined;

/** The files of a run folder, base64 by path relative to it, except the record (sent as a value). */
async function folderFiles(folder: string, root = folder): Promise<Record<string, string>> {
  const files: Record<string, string> = {};
  for (const entry of await readdir(folder, { withFileTypes: true })) {
    const path = join(folder, entry.name);
    if (entry.isDirectory()) Object.assign(files, await folderFiles(path, root));
    else if (entry.isFile() && !(folder === root && entry.name === RECORD_FILE))
      files[relative(root, path)] = (await readFile(path)).toString('base64');
  }
  return files;
}

/** Runs one queued (variant, seed) and returns its record and folder; throws (refusal or failure) otherwise. */
export async function processRunJob(job: SandboxedRunJob): Promise<RunJobResult> {
  const decoded = RunJobData.decode(job.data);
  if (E.isLeft(decoded))
    throw refuse(`the job's data is not a losslab run job: ${formatErrors(decoded.left).join('; ')}`);
  const data = decoded.right;
  const label = `${data.variant} s${data.seed}`;

  let raw: unknown;
  try {
    raw = await loadDefinitionFile(data.definitionPath);
  } catch (error) {
    throw refuse(`${label}: cannot load the definition here (cwd ${process.cwd()}): ${messageOf(error)}`);
  }
  const resolved = resolveExperiment(raw, data.definitionPath, {
    variants: [data.variant],
    overrides: [...data.sets, ['seeds', [data.seed]]],
  });
  if (E.isLeft(resolved))
    throw refuse(`${label}: the definition is invalid here: ${resolved.left.problems.join('; ')}`);
  const variant: ResolvedVariant | undefined = resolved.right.variants[0];
  if (variant === undefined) throw refuse(`${label}: variant ${data.variant} is not in the definition here`);
  // Loading the definition registered its user kinds: their files are part of the code compared.
  const code = codeFingerprint(registry);
  if (code !== data.codeFingerprint) {
    const differing = codeDifferences(codeParts(registry), data.code);
    throw refuse(
      `${label}: this worker's code differs from the submitter's (fingerprint ${code.slice(0, 12)} here, ${data.codeFingerprint.slice(0, 12)} submitted): ${differing.slice(0, 5).join('; ')}${differing.length > 5 ? `; and ${differing.length - 5} more` : ''}`,
    );
  }
  const definitionHash = runHash(variant.spec);
  if (definitionHash !== data.definitionHash)
    throw refuse(
      `${label}: the definition resolves to other settings here (${definitionHash.slice(0, 12)} ≠ ${data.definitionHash.slice(0, 12)}); is ${data.definitionPath} the same file?`,
    );
  const baseDir = dirname(resolve(data.definitionPath));
  let here: Record<string, string>;
  try {
    here = await sourceFingerprint(variant.spec, registry, baseDir);
  } catch (error) {
    throw refuse(`${label}: cannot read the data here: ${messageOf(error)}`);
  }
  const differing = dataDifferences(here, data.dataFingerprint);
  if (differing.length > 0)
    throw refuse(`${label}: this worker's data differs from the submitter's: ${differing.join('; ')}`);

  if (backend === undefined) {
    try {
      backend = await selectBackend({ requested: data.backend });
    } catch (error) {
      throw refuse(`${label}: backend ${data.backend} does not load here: ${messageOf(error).split('\n')[0] ?? ''}`);
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
  const outcome = await runOne(
    { definition: resolved.right.definition, variant, seed: data.seed },
    {
      runsDir: process.env[WORKER_RUNS_DIR_ENV] ?? 'runs',
      backend,
      progress,
      reuse: !data.fresh,
      log: (line) => console.log(line),
      definitionFile: data.definitionPath,
      registry,
    },
  )();
  if (E.isLeft(outcome))
    throw new Error(
      `[${outcome.left.tag}] ${describeFailure(outcome.left, { variant: data.variant, seed: data.seed })}`,
    );
  const { record, folder, reused } = outcome.right;
  // Belt and braces: the data the run read is the data the coordinator fingerprinted.
  const recorded = Object.fromEntries(
    Object.keys(data.dataFingerprint).map((k) => [k, record.dataFingerprint[k] ?? '']),
  );
  const readOther = dataDifferences(recorded, data.dataFingerprint);
  if (readOther.length > 0) throw refuse(`${label}: the run read other data: ${readOther.join('; ')}`);
  console.log(`job ${job.id ?? '?'}: ${reused ? 'reused' : 'wrote'} ${folder}`);
  return { record, files: await folderFiles(folder) };
}
