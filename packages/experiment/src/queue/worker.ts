import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'bullmq';
import type { WorkerOptions } from '../command-options.js';
import { redisProblem, scrub } from './connection.js';
import { definitionRoots, WORKER_DEFINITION_ROOTS_ENV } from './definition-access.js';
import { messageOf } from '../message.js';
import { WORKER_ARTIFACTS_ENV } from './artifacts.js';
import { QUEUE_NAME, WORKER_NAME_ENV, WORKER_RUNS_DIR_ENV, type RunJobData, type RunJobResult } from './job.js';

/** The sandboxed processor BullMQ forks for each job slot (a .mjs file: it registers tsx first). */
const SANDBOX_FILE = fileURLToPath(new URL('./sandbox.mjs', import.meta.url));

/**
 * `losslab worker`: takes run jobs from the queue until SIGINT/SIGTERM (then finishes the runs in
 * progress and exits 0). Resolves to the exit code: 1 when Redis cannot be used.
 */
export async function workerCommand(options: WorkerOptions): Promise<number> {
  const problem = await redisProblem(options.target);
  if (problem !== undefined) {
    console.error(`error: ${problem}`);
    return 1;
  }
  let roots: string[];
  try {
    roots = await definitionRoots(process.cwd(), options.allowDefinitions);
  } catch (error) {
    console.error(`error: --allow-definitions: ${messageOf(error)}`);
    return 2;
  }
  // The sandboxed children inherit this process's environment.
  process.env[WORKER_RUNS_DIR_ENV] = resolve(options.runsDir);
  process.env[WORKER_DEFINITION_ROOTS_ENV] = JSON.stringify(roots);
  process.env[WORKER_NAME_ENV] = options.name;
  if (options.artifacts !== undefined) process.env[WORKER_ARTIFACTS_ENV] = options.artifacts.url;
  const worker = new Worker<RunJobData, RunJobResult>(QUEUE_NAME, SANDBOX_FILE, {
    connection: { ...options.target.options, maxRetriesPerRequest: null },
    concurrency: options.concurrency,
    name: options.name,
    lockDuration: options.lockDurationMs,
    // Stalled jobs are looked for as often as a lock can expire, so a dead worker's job waits at
    // most about two lock durations before it runs again.
    stalledInterval: options.lockDurationMs,
    // A job stalled a third time (a run that kills every machine it lands on) fails instead of looping.
    maxStalledCount: 2,
  });
  const label = (job: { data: RunJobData; id?: string | undefined }) =>
    `${job.data.experiment} / ${job.data.variant} s${job.data.seed} (job ${job.id ?? '?'})`;
  worker.on('active', (job) => console.log(`started ${label(job)}`));
  worker.on('completed', (job) => console.log(`finished ${label(job)}`));
  worker.on('failed', (job, error) => {
    if (job !== undefined) console.log(`failed ${label(job)}: ${scrub(options.target, error.message)}`);
  });
  worker.on('stalled', (jobId) => console.log(`requeued job ${jobId}: its worker stopped renewing its lock`));
  worker.on('error', (error) => console.error(`worker: ${scrub(options.target, error.message)}`));
  console.log(
    `losslab worker ${options.name}: queue ${options.target.display}, concurrency ${options.concurrency}, runs kept in ${options.runsDir}, ${options.artifacts === undefined ? 'run files through Redis' : `run files into ${options.artifacts.url}`}, lock ${options.lockDurationMs} ms, definitions from ${roots.join(', ')} (pid ${process.pid})`,
  );
  return new Promise((done) => {
    let stopping = false;
    for (const signal of ['SIGINT', 'SIGTERM'] as const) {
      process.on(signal, () => {
        // A second signal stops at once; the runs in progress go back to the queue when their locks expire.
        if (stopping) process.exit(130);
        stopping = true;
        console.log(`losslab worker ${options.name}: ${signal}, finishing the runs in progress (again to stop now)`);
        worker.close().then(
          () => done(0),
          () => done(1),
        );
      });
    }
  });
}
