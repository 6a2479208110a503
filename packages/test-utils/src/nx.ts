import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * The environment of an `nx` process a test starts: no daemon, no cloud and a throw-away cache,
 * so a test neither reuses nor leaves cached results.
 */
export function isolatedNxEnv(): NodeJS.ProcessEnv {
  return {
    ...process.env,
    NX_DAEMON: 'false',
    NX_NO_CLOUD: 'true',
    NX_CACHE_DIRECTORY: mkdtempSync(join(tmpdir(), 'losslab-nx-cache-')),
  };
}
