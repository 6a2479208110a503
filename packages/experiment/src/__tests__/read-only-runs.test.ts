import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { startRun } from '../store.js';

const STORE = resolve(fileURLToPath(import.meta.url), '../../store.ts');

/** True when this machine lets an unprivileged user mount in a namespace of its own (`unshare -rm`). */
const canMountReadOnly = (() => {
  const probe = spawnSync('unshare', ['-rm', 'sh', '-c', 'mount -t tmpfs -o ro tmpfs /mnt'], { stdio: 'ignore' });
  return probe.status === 0;
})();

const made: string[] = [];
afterEach(() => {
  for (const folder of made.splice(0)) {
    chmodSync(folder, 0o755);
    rmSync(folder, { recursive: true, force: true });
  }
});

describe('(22) a runs folder that may not be written is reported as read-only, naming it (not ENOENT)', () => {
  // Node's recursive mkdir says ENOENT on a read-only file system; the folder is asked directly.
  it.runIf(canMountReadOnly)('on a read-only file system (EROFS)', () => {
    const folder = mkdtempSync(join(tmpdir(), 'losslab-read-only-'));
    made.push(folder);
    // startRun in a process of its own, with a read-only tmpfs mounted over `folder` in its namespace
    const script = [
      `import { startRun } from ${JSON.stringify(STORE)};`,
      `for (const run of ['runs/tiny/run-1', 'run-2'])`,
      `  await startRun(${JSON.stringify(folder)} + '/' + run, {}).then(() => console.log('written'), (e) => console.log(e.message));`,
    ].join('\n');
    const output = execFileSync(
      'unshare',
      [
        '-rm',
        'sh',
        '-c',
        'mount -t tmpfs -o ro tmpfs "$0" && exec "$@"',
        folder,
        process.execPath,
        '--conditions=@losslab/source',
        '--import',
        'tsx',
        '--input-type=module',
        '-e',
        script,
      ],
      { encoding: 'utf8' },
    );
    const message = `${folder}: the runs folder is read-only (EROFS): it is on a read-only file system; give a writable --runs-dir`;
    expect(output.trim().split('\n')).toEqual([message, message]);
  });

  it.runIf(process.getuid?.() !== 0)('without permission to write (EACCES)', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'losslab-read-only-'));
    made.push(folder);
    chmodSync(folder, 0o555);
    await expect(startRun(join(folder, 'runs', 'tiny', 'run-1'), {})).rejects.toThrow(
      `${folder}: the runs folder is read-only (EACCES): it may not be written by this user; give a writable --runs-dir`,
    );
  });
});
