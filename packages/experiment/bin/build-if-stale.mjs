// In a losslab checkout the `losslab` command runs the packages' built JavaScript (dist/), not their
// TypeScript sources: compiling every source on every start cost seconds. This file keeps dist/ in
// step with the sources. It lists every build input (each package's src/ files outside tests, its
// package.json and tsconfig.build.json, and the shared tsconfig files) with size and modification
// time, and compares that listing's sha256 with the one stored when dist/ was last built. When
// they differ, or dist/ is missing (a fresh clone), it runs `tsc -b tsconfig.build.json` (which is
// incremental) under a lock, so that two commands started together do not build at once.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import process from 'node:process';
import { fileURLToPath, URL } from 'node:url';

const SHARED_INPUTS = ['tsconfig.base.json', 'tsconfig.build.base.json', 'tsconfig.build.json'];
const PACKAGE_INPUTS = ['package.json', 'tsconfig.build.json'];
/** Tests are no build input (tsconfig.build.base.json excludes them), so editing one rebuilds nothing. */
const isTest = (name) => name === '__tests__' || /\.test(?:-d)?\.ts$/.test(name);

/** `relative path size mtime` of every file under `dir`, recursively. */
function listFiles(root, dir, lines) {
  for (const entry of readdirSync(join(root, dir), { withFileTypes: true })) {
    if (isTest(entry.name)) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) listFiles(root, path, lines);
    else lines.push(describe(root, path));
  }
}

function describe(root, path) {
  const { size, mtimeMs } = statSync(join(root, path));
  return `${path} ${size} ${mtimeMs}`;
}

/** sha256 of the listing of every build input of the workspace at `root`. */
export function sourceStamp(root) {
  const lines = SHARED_INPUTS.map((file) => describe(root, file));
  for (const name of readdirSync(join(root, 'packages')).sort()) {
    const folder = join('packages', name);
    if (!existsSync(join(root, folder, 'tsconfig.build.json'))) continue;
    for (const file of PACKAGE_INPUTS) lines.push(describe(root, join(folder, file)));
    listFiles(root, join(folder, 'src'), lines);
  }
  return createHash('sha256').update(lines.join('\n')).digest('hex');
}

/** Whether the process with this id still runs (a lock left by a killed build is taken over). */
function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return error.code === 'EPERM';
  }
}

const statMs = (path) => {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return Date.now();
  }
};

/** Runs `act` holding the lock folder `lock`; waits while another live process holds it. */
function withLock(lock, act) {
  mkdirSync(dirname(lock), { recursive: true });
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch (error) {
      if (error.code !== 'EEXIST') throw error;
      let owner = NaN;
      try {
        owner = Number(readFileSync(join(lock, 'pid'), 'utf8'));
      } catch {
        // the owner has not written its id yet, or died before it did (then the lock grows old)
      }
      const abandoned = Number.isInteger(owner) ? !alive(owner) : Date.now() - statMs(lock) > 60_000;
      if (abandoned) rmSync(lock, { recursive: true, force: true });
      else Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 200);
    }
  }
  try {
    writeFileSync(join(lock, 'pid'), String(process.pid));
    return act();
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

/**
 * Builds the workspace at `root` when its sources changed since the last build (or were never
 * built); returns quietly when dist/ is current. Exits the process with the compiler's code when
 * the build fails (its errors are printed).
 */
export function buildIfStale(root) {
  const stampFile = join(root, 'packages/experiment/dist/.build-stamp');
  const current = () => existsSync(stampFile) && readFileSync(stampFile, 'utf8') === sourceStamp(root);
  if (current()) return;
  withLock(join(root, 'node_modules/.cache/losslab-build.lock'), () => {
    if (current()) return; // another command built it while this one waited
    const stamp = sourceStamp(root);
    const tsc = createRequire(join(root, 'package.json')).resolve('typescript/bin/tsc');
    process.stderr.write(
      'losslab: the sources changed since the last build; building dist/ (tsc -b tsconfig.build.json)\n',
    );
    const built = spawnSync(process.execPath, [tsc, '-b', 'tsconfig.build.json'], { cwd: root, stdio: 'inherit' });
    if (built.status !== 0) {
      process.stderr.write('losslab: the build failed (see above); fix the sources or run `npm run build`\n');
      process.exit(built.status ?? 1);
    }
    // The stamp of the sources as they were before compiling: an edit made meanwhile rebuilds next time.
    mkdirSync(dirname(stampFile), { recursive: true });
    writeFileSync(stampFile, stamp);
  });
}

/** The workspace root of this checkout (bin/ is packages/experiment/bin). */
export const WORKSPACE_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
