/**
 * The environment of an `nx` process a test starts: no daemon, no cloud and the cache in
 * `cacheDirectory`, a throw-away folder the test makes and removes, so a test neither reuses nor
 * leaves cached results.
 */
export function isolatedNxEnv(cacheDirectory: string): NodeJS.ProcessEnv {
  return { ...process.env, NX_DAEMON: 'false', NX_NO_CLOUD: 'true', NX_CACHE_DIRECTORY: cacheDirectory };
}
