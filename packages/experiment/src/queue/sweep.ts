import { readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { dirname, resolve } from 'node:path';
import type { ExperimentDefinition } from '@losslab/schema';
import { canonicalJson, hashOf, sha256Hex } from '@losslab/runtime';
import type { CodeParts } from '../environment.js';
import { registry } from '../kinds/index.js';
import { messageOf } from '../message.js';
import type { Overrides } from '../resolve.js';
import { cellLabel, metricsLine, type CellResult, type Execution, type RunCell } from '../execution/execution.js';
import { RunIndex } from '../run-index.js';
import { reuseKey } from '../store.js';
import { collectRun, recordQueueFailure } from './collect.js';
import { redisProblem, scrub, type QueueTarget } from './connection.js';
import type { ArtifactStore } from './artifacts.js';
import { sourceFingerprint } from './data-check.js';
import { MAX_REFUSALS, QUEUE_NAME, Refusal, runJobId, type RunJobData, type RunJobResult } from './job.js';

/**
 * How long a finished job stays in Redis when no coordinator collects it (one that does removes it
 * as soon as the run folder is written; the runs folder then answers a resubmit).
 */
const FINISHED_JOBS_KEPT_SECONDS = 7 * 24 * 3600;

/**
 * The length BullMQ's event stream is trimmed to (its default is 10,000 events, each `completed`
 * one holding the whole returned record): losslab's coordinator reads job states, not events, so
 * a short tail for debugging with `XRANGE` is enough, and Redis stays flat in the number of runs.
 * @internal exported for its test
 */
export const EVENTS_KEPT = 100;

/** How many pending jobs the coordinator reads at once while waiting. */
const POLL_BATCH = 200;

/** How the coordinator submits a sweep (from `losslab run --queue=…`). */
export interface SweepOptions {
  readonly target: QueueTarget;
  readonly runsDir: string;
  readonly definitionPath: string;
  readonly sets: Overrides;
  readonly fresh: boolean;
  /** Times a run may fail before it is recorded as failed (`--attempts`). */
  readonly attempts: number;
  /** The backend every worker must run on (the one this process chose). */
  readonly backend: string;
  /** The code the workers must run, taken once by the caller after the definition was loaded (its user kinds are part of it). */
  readonly code: CodeParts;
  /** How often the queue is read while waiting. */
  readonly pollMs?: number;
  /** The artifact store the workers put run files in (`--artifacts`); fetched from and checked here. */
  readonly artifacts?: ArtifactStore;
}

/** What the coordinator last saw of a job, so it prints changes only. */
interface Seen {
  state?: string;
  attemptsStarted: number;
  stalled: number;
  /** Refusals by workers seen so far (each handed the job back). */
  refusals: number;
  progress?: string;
  worker?: string;
  result?: CellResult;
}

/** The refusals workers added to a job's data (read back from Redis, so checked like any input). */
const refusalsOf = (data: unknown): Refusal[] => {
  const refusals = typeof data === 'object' && data !== null ? (data as { refusals?: unknown }).refusals : undefined;
  return Array.isArray(refusals) ? refusals.filter((r): r is Refusal => Refusal.is(r)) : [];
};

/** The job data of every cell, with the data fingerprinted once per data source. */
async function jobData(
  definition: ExperimentDefinition,
  cells: readonly RunCell[],
  options: SweepOptions,
): Promise<RunJobData[]> {
  const { code } = options;
  const fingerprint = hashOf(code);
  // What every job shares is stored once: the code map goes into the artifact store under its own
  // hash (the code fingerprint), and the jobs carry only that hash.
  if (options.artifacts !== undefined) await options.artifacts.put(fingerprint, Buffer.from(canonicalJson(code)));
  const baseDir = dirname(resolve(options.definitionPath));
  // Workers import the definition file only when their copy has these bytes.
  const definitionSha256 = sha256Hex(await readFile(options.definitionPath));
  const dataPrints = new Map<string, Record<string, string>>();
  const sets = options.sets
    .filter(([path]) => path !== 'seeds')
    .map(([path, value]) => [path, value] as [string, unknown]);
  const data: RunJobData[] = [];
  for (const { variant, seed } of cells) {
    const source = hashOf([variant.spec.data, variant.spec.transforms ?? null]);
    let dataFingerprint = dataPrints.get(source);
    if (dataFingerprint === undefined) {
      dataFingerprint = await sourceFingerprint(variant.spec, registry, baseDir);
      dataPrints.set(source, dataFingerprint);
    }
    data.push({
      schema: 'losslab.job/2',
      experiment: definition.name,
      variant: variant.name,
      seed,
      definitionPath: options.definitionPath,
      definitionSha256,
      sets,
      definitionHash: variant.hash,
      backend: options.backend,
      codeFingerprint: fingerprint,
      ...(options.artifacts === undefined ? { code } : {}),
      dataFingerprint,
      fresh: options.fresh,
    });
  }
  return data;
}

/**
 * Runs a sweep on the workers of a Redis queue: enqueues one job per cell (keyed by its run, so a
 * resubmitted sweep adds nothing twice), prints each change (queued, running on which worker,
 * epoch, requeued, retried, done, failed), writes every finished run into `runsDir` as a local
 * run would, records every failed one, and resolves once all have ended. A cell with a matching
 * complete run in `runsDir` is reused, as locally. Resolves to undefined (after one line on
 * stderr, with nothing written) when Redis cannot be used.
 */
async function runSweep(
  definition: ExperimentDefinition,
  cells: readonly RunCell[],
  options: SweepOptions,
): Promise<CellResult[] | undefined> {
  const { target } = options;
  const problem = await redisProblem(target);
  if (problem !== undefined) {
    console.error(`error: ${problem}`);
    return undefined;
  }
  const all = await jobData(definition, cells, options);
  const results = new Array<CellResult | undefined>(all.length);
  // Imported here: `losslab run` loads this file, and only runs with --queue use BullMQ.
  const { Queue } = await import('bullmq');
  const queue = new Queue<RunJobData, RunJobResult, string>(QUEUE_NAME, {
    connection: target.options,
    streams: { events: { maxLen: EVENTS_KEPT } },
  });
  queue.on('error', (error) => console.error(`queue: ${scrub(target, error.message)}`));
  try {
    const pending = new Map<number, Seen>();
    // The runs folder, read once for the whole sweep rather than once per run.
    let runIndex: RunIndex | undefined;
    for (const [index, data] of all.entries()) {
      const label = cellLabel(data.variant, data.seed);
      const id = runJobId(data);
      if (!options.fresh) {
        runIndex ??= await RunIndex.read(options.runsDir, definition.name);
        const local = runIndex.find(
          reuseKey({ hash: data.definitionHash }, data.seed, data.backend, data.codeFingerprint),
        );
        if (local !== undefined) {
          console.log(`reused ${label}: ${local.runId} is already in ${options.runsDir}`);
          results[index] = { label, record: local };
          continue;
        }
      }
      const existing = await queue.getJob(id);
      if (existing !== undefined && options.fresh) {
        const state = await existing.getState();
        // --fresh reruns what ended; a run still queued or running is simply waited for.
        if (state === 'completed' || state === 'failed') await existing.remove();
      }
      const before = options.fresh ? await queue.getJob(id) : existing;
      if (before === undefined) {
        await queue.add(label, data, {
          jobId: id,
          attempts: options.attempts,
          backoff: { type: 'exponential', delay: 1000 },
          // Removed once collected; kept for a week while no coordinator collects it, so a
          // restarted one still finds it; then evicted (BullMQ does so when a later job ends).
          removeOnComplete: { age: FINISHED_JOBS_KEPT_SECONDS },
          removeOnFail: { age: FINISHED_JOBS_KEPT_SECONDS },
        });
        console.log(`queued ${label} (job ${id})`);
      } else {
        console.log(`already in the queue: ${label} (job ${id}, ${await before.getState()})`);
      }
      pending.set(index, { attemptsStarted: 0, stalled: 0, refusals: 0 });
    }
    const counts = () => {
      const seen = [...pending.values()];
      const of = (state: string) => seen.filter((s) => s.result === undefined && s.state === state).length;
      const done = results.filter((r) => r?.record !== undefined).length;
      const failed = results.filter((r) => r !== undefined && r.record === undefined).length;
      const retried = seen.filter((s) => s.attemptsStarted > 1 || s.stalled > 0).length;
      return `queue: ${of('waiting') + of('delayed') + of('prioritized')} queued, ${of('active')} running, ${done} done, ${failed} failed, ${retried} retried`;
    };
    let lastCounts = '';
    while ([...pending.values()].some((s) => s.result === undefined)) {
      const open = [...pending].filter(([, seen]) => seen.result === undefined);
      for (let from = 0; from < open.length; from += POLL_BATCH) {
        const batch = open.slice(from, from + POLL_BATCH);
        const ids = batch.map(([index]) => runJobId(all[index]!));
        // The states first, then the jobs: a job read first could finish before its state is read,
        // and would then be 'completed' without the return value it had not yet when read. Each
        // batch's requests go out together (pipelined on one connection), not one round trip each.
        const states = await Promise.all(ids.map((id) => queue.getJobState(id)));
        const jobs = await Promise.all(ids.map((id) => queue.getJob(id)));
        for (const [position, [index, seen]] of batch.entries()) {
          const data = all[index]!;
          const label = cellLabel(data.variant, data.seed);
          const id = ids[position]!;
          const state = states[position]!;
          const job = jobs[position];
          if (job === undefined || state === 'unknown') {
            seen.result = results[index] = { label, ending: 'removed from the queue' };
            console.error(`failed: ${label}: job ${id} was removed from the queue`);
            continue;
          }
          const worker = job.processedBy;
          if (job.stalledCounter > seen.stalled) {
            console.log(
              `requeued ${label}: worker ${seen.worker ?? worker ?? '?'} stopped renewing its lock (stalled ${job.stalledCounter}×)`,
            );
            seen.stalled = job.stalledCounter;
          }
          if (state === 'active' && (seen.state !== 'active' || job.attemptsStarted !== seen.attemptsStarted)) {
            const retry = job.attemptsStarted > 1 ? `, retry ${job.attemptsStarted - 1}` : '';
            console.log(`running ${label} on ${worker ?? '?'} (attempt ${job.attemptsStarted}${retry})`);
          }
          const refusals = refusalsOf(job.data);
          if (refusals.length > seen.refusals) {
            const last = refusals[refusals.length - 1];
            console.log(
              `handed back ${label} (job ${id}, refusal ${refusals.length} of ${MAX_REFUSALS}): worker ${last?.worker ?? '?'} refused it: ${scrub(target, last?.reason ?? '')}`,
            );
            seen.refusals = refusals.length;
          } else if (
            state === 'delayed' &&
            seen.state !== 'delayed' &&
            // Typed as a string, yet unset on a job handed back by a refusal (delayed without failing).
            (job.failedReason as string | undefined) !== undefined
          )
            console.log(
              `retrying ${label} after attempt ${job.attemptsMade} failed: ${scrub(target, job.failedReason)}`,
            );
          seen.state = state;
          seen.attemptsStarted = job.attemptsStarted;
          if (worker !== undefined) seen.worker = worker;
          const progress = (typeof job.progress === 'object' ? job.progress : {}) as { epoch?: number; loss?: number };
          const shown = progress.epoch === undefined ? undefined : `${job.attemptsStarted}/${progress.epoch}`;
          if (state === 'active' && shown !== undefined && shown !== seen.progress) {
            console.log(
              `${label}: epoch ${progress.epoch}, loss ${progress.loss?.toFixed(4) ?? '?'} (${worker ?? '?'})`,
            );
            seen.progress = shown;
          }
          if (state === 'completed') {
            try {
              const { record, folder } = await collectRun(
                options.runsDir,
                job.returnvalue,
                data,
                id,
                options.artifacts,
              );
              // The run folder now answers for this run: Redis keeps only what is in flight.
              await job
                .remove()
                .catch((error: unknown) =>
                  console.error(`queue: job ${id} stays in Redis until it expires: ${scrub(target, messageOf(error))}`),
                );
              console.log(
                `done ${label} on ${worker ?? '?'} after ${job.attemptsStarted} attempt(s): wrote ${folder} — ${metricsLine(record)}`,
              );
              seen.result = results[index] = { label, record };
            } catch (error) {
              console.error(`failed: ${label}: ${messageOf(error)}`);
              seen.result = results[index] = { label, ending: 'invalid result' };
            }
          } else if (state === 'failed') {
            const reason = scrub(target, job.failedReason);
            const folder = await recordQueueFailure(options.runsDir, {
              experiment: data.experiment,
              variant: data.variant,
              seed: data.seed,
              definitionHash: data.definitionHash,
              jobId: id,
              reason,
              attempts: job.attemptsMade,
              startedAt: new Date(job.processedOn ?? job.timestamp),
              failedAt: new Date(job.finishedOn ?? Date.now()),
            });
            console.error(
              `error: ${label} failed after ${job.attemptsMade} attempt(s) (recorded in ${folder}): ${reason}`,
            );
            seen.result = results[index] = { label, ending: `failed after ${job.attemptsMade} attempt(s)` };
          }
        }
      }
      const now = counts();
      if (now !== lastCounts) console.log(now);
      lastCounts = now;
      if ([...pending.values()].some((s) => s.result === undefined)) await sleep(options.pollMs ?? 500);
    }
  } finally {
    await queue.close();
  }
  return results.map(
    (result, index) =>
      result ?? { label: cellLabel(cells[index]!.variant.name, cells[index]!.seed), ending: 'not run' },
  );
}

/** `--queue=redis://…`: the runs on the workers of a Redis queue (see {@link runSweep}). */
export const queueExecution = (definition: ExperimentDefinition, options: SweepOptions): Execution => ({
  where: `on the workers of ${options.target.display}`,
  run: (cells) => runSweep(definition, cells, options),
});
