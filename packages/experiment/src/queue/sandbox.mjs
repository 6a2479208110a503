// The processor file of `losslab worker`: BullMQ forks a child process per concurrent job slot and
// imports this file there (a sandboxed processor), so a run's training never blocks the worker's
// lock renewal. The child first registers losslab's loaders (as bin/losslab.mjs does), then loads
// the job body from process-job.ts (process-job.js once built).
import process from 'node:process';
import { registerLoaders } from '../register-loaders.mjs';

// The IPC channel to the worker closes when the worker dies, even by SIGKILL: its job will be run
// again elsewhere once its lock expires, so this orphan stops instead of training on for nothing.
// Listened for before the slow imports below, and checked once, so an early death is not missed.
process.once('disconnect', () => process.exit(129));
if (process.send !== undefined && !process.connected) process.exit(129);

await registerLoaders();
const { processRunJob } = await import('./process-job.js');

/** BullMQ calls the default export with each job and its lock token; its return value becomes the job's result. */
export default (job, token) => processRunJob(job, token);
