import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import type { Checkpoint, RunRecord } from '@losslab/schema';
// `npx losslab`'s launcher: in a checkout it runs the sources, so no dist/ is needed.
import { LAUNCHER } from './outside-definition.js';

const ROOT = resolve(fileURLToPath(import.meta.url), '../../../../..');

/** 4 epochs of 3,000 real MNIST images in batches of 64: slow enough to be killed between epochs. */
const runArgs = (runs: string, more: string[] = []): string[] => [
  LAUNCHER,
  'run',
  'examples/tiny-mnist-odd.ts',
  '--variant=adam',
  '--seeds=0',
  '--epochs=4',
  '--set',
  'data.limit=3000',
  `--runs-dir=${runs}`,
  `--reports-dir=${join(runs, '..', 'reports')}`,
  ...more,
];

function runCli(args: string[], backend: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    const child = spawn(process.execPath, args, { cwd: ROOT, env: { ...process.env, LOSSLAB_BACKEND: backend } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('close', (code) => done({ code: code ?? 1, stdout, stderr }));
  });
}

const roots: string[] = [];
afterAll(() => roots.forEach((root) => rmSync(root, { recursive: true, force: true })));

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The one run folder of the experiment in `runs`. */
function onlyRun(runs: string): string {
  const dir = join(runs, 'tiny-mnist-odd');
  const folders = readdirSync(dir);
  expect(folders).toHaveLength(1);
  return join(dir, folders[0]!);
}

const recordOf = (folder: string) => JSON.parse(readFileSync(join(folder, 'record.json'), 'utf8')) as RunRecord;
const timeless = (record: RunRecord) => record.history.map(({ seconds: _s, samplesPerSecond: _r, ...rest }) => rest);

/** Augmented training batches (flip, shift, noise), drawn per (run seed, epoch): a resumed run must see the same ones. */
const AUGMENT = [
  '--set',
  'train.augment=[{"kind":"horizontalFlip"},{"kind":"randomCrop","padding":2},{"kind":"gaussianNoise","stddev":0.1}]',
];

// Ctrl-C (SIGINT, which losslab answers with how to continue) on one backend, a hard kill on the
// other, that one with augmentation on.
describe.each([
  ['cpu', 'SIGINT', []],
  ['wasm', 'SIGKILL', AUGMENT],
] as const)('a killed run resumes bit-identically on %s', (backend, signal, augment) => {
  it(`${signal} after the checkpoint of epoch 2 of 4, then the same command: same weights, history and evaluation`, async () => {
    const root = mkdtempSync(join(tmpdir(), 'losslab-resume-'));
    roots.push(root);
    const whole = join(root, 'whole', 'runs');
    const killed = join(root, 'killed', 'runs');

    const uninterrupted = await runCli(runArgs(whole, [...augment, '--set', 'train.keepCheckpoints=true']), backend);
    expect(uninterrupted.code, uninterrupted.stderr).toBe(0);
    const wholeFolder = onlyRun(whole);
    // keepCheckpoints: one per epoch that training continued past
    expect(readdirSync(join(wholeFolder, 'checkpoints'))).toEqual([
      'epoch-0001.json',
      'epoch-0002.json',
      'epoch-0003.json',
    ]);

    const child = spawn(process.execPath, runArgs(killed, [...augment]), {
      cwd: ROOT,
      env: { ...process.env, LOSSLAB_BACKEND: backend },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let childErrors = '';
    child.stderr.on('data', (chunk: Buffer) => (childErrors += chunk.toString()));
    const exited = new Promise((r) => child.on('close', r));
    let folder: string | undefined;
    for (let i = 0; i < 6000 && folder === undefined; i++) {
      const dir = join(killed, 'tiny-mnist-odd');
      const [name] = existsSync(dir) ? readdirSync(dir) : [];
      if (name !== undefined && existsSync(join(dir, name, 'checkpoints', 'epoch-0002.json'))) folder = join(dir, name);
      else await sleep(10);
    }
    child.kill(signal);
    await exited;
    if (folder === undefined) throw new Error('no checkpoint of epoch 2 appeared');
    if (signal === 'SIGINT')
      expect(childErrors).toContain(
        'losslab: stopped by SIGINT. Run the same command again to continue each unfinished run from its last checkpoint',
      );
    expect(existsSync(join(folder, 'record.json'))).toBe(false);

    // The same killed run with one weight of its checkpoint changed (same length) is refused.
    const tampered = join(root, 'tampered', 'runs');
    cpSync(killed, tampered, { recursive: true });
    const tamperedFolder = join(tampered, 'tiny-mnist-odd', folder.split(/[/\\]/).pop()!);
    // A kill during a checkpoint's write can leave its temporary file (`epoch-0003.json.tmp-<pid>`),
    // which sorts last but is never read: tamper with the newest checkpoint the run will read.
    const [newest] = readdirSync(join(tamperedFolder, 'checkpoints'))
      .filter((name) => /^epoch-\d+\.json$/.test(name))
      .sort()
      .reverse();
    const checkpointFile = join(tamperedFolder, 'checkpoints', newest!);
    const checkpoint = JSON.parse(readFileSync(checkpointFile, 'utf8')) as Checkpoint;
    const first = checkpoint.weights[0]!;
    first.base64 = `${first.base64.startsWith('A') ? 'B' : 'A'}${first.base64.slice(1)}`;
    writeFileSync(checkpointFile, JSON.stringify(checkpoint));
    const refused = await runCli(runArgs(tampered, [...augment]), backend);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain(`${checkpointFile}: sha256 expected `);
    expect(refused.stderr).toContain('rerun with --fresh to start a new run');
    expect(readdirSync(join(tampered, 'tiny-mnist-odd'))).toHaveLength(1);
    expect(existsSync(join(tamperedFolder, 'record.json'))).toBe(false);

    const again = await runCli(runArgs(killed, [...augment]), backend);
    expect(again.code, again.stderr).toBe(0);
    const runId = folder.split(/[/\\]/).pop()!;
    expect(again.stdout).toMatch(new RegExp(`resuming ${runId} after epoch [23] from its checkpoint`));
    // the same folder, completed; its checkpoints removed (keepCheckpoints is false)
    expect(onlyRun(killed)).toBe(folder);
    expect(existsSync(join(folder, 'checkpoints'))).toBe(false);

    const resumed = recordOf(folder);
    const reference = recordOf(wholeFolder);
    expect(resumed.resumes?.map((r) => r.afterEpoch)).toEqual([expect.any(Number)]);
    expect(timeless(resumed)).toEqual(timeless(reference));
    // augmentation, when declared, is in the record's data fingerprint
    expect(reference.dataFingerprint.augment === undefined).toBe(augment.length === 0);
    for (const file of ['evaluation.json', 'weights.bin'])
      expect(readFileSync(join(folder, file)).equals(readFileSync(join(wholeFolder, file))), file).toBe(true);

    // a complete run is reused, never resumed again
    const reused = await runCli(runArgs(killed, [...augment]), backend);
    expect(reused.stdout).toContain(`reusing ${runId}`);
    rmSync(root, { recursive: true, force: true });
  }, 240_000);
});
