import { execFileSync } from 'node:child_process';

/**
 * Runs `git args…` in `cwd` with a fixed author and committer, so that a test's commits work on a
 * machine with no git identity configured (a fresh CI machine); output is discarded.
 */
export function git(cwd: string, ...args: string[]): void {
  execFileSync('git', args, {
    cwd,
    stdio: 'ignore',
    env: {
      ...process.env,
      GIT_AUTHOR_NAME: 't',
      GIT_AUTHOR_EMAIL: 't@t',
      GIT_COMMITTER_NAME: 't',
      GIT_COMMITTER_EMAIL: 't@t',
    },
  });
}
