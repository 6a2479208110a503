// The entry of a `--jobs=N` pool's worker process (worker-pool.ts starts it; worker-child.ts is
// its body). It registers losslab's loaders first (as bin/losslab.mjs does), then loads the body
// from worker-child.ts (worker-child.js once built), so it works from the sources and from dist/.
import process from 'node:process';
import { registerLoaders } from '../register-loaders.mjs';

// The IPC channel to the parent closes when the parent dies, even by SIGKILL: stop at once rather
// than load for nothing. Listened for before the slow imports below, and checked once, so an early
// death is not missed; the body listens for itself once loaded.
const orphaned = () => process.exit(129);
process.once('disconnect', orphaned);
if (process.send !== undefined && !process.connected) process.exit(129);

await registerLoaders();
const { serveRuns } = await import('./worker-child.js');
process.off('disconnect', orphaned);
await serveRuns();
