import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import type { Evaluation, RunRecord } from '@losslab/schema';
import { temporaryFolders } from '@losslab/test-utils';
import { main } from '../cli.js';

const ROOT = resolve(fileURLToPath(import.meta.url), '../../../../..');
const BIN = join(ROOT, 'packages/experiment/bin/losslab.mjs');

/** Runs the `losslab` command (its bin script) and resolves to its exit code and output. */
function losslab(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) =>
    execFile(
      process.execPath,
      [BIN, ...args],
      { cwd: ROOT, env: { ...process.env, LOSSLAB_BACKEND: '' } },
      (error, stdout, stderr) =>
        done({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : 1, stdout, stderr }),
    ),
  );
}

describe('losslab evaluate <run-folder>', () => {
  const scratchFolders = temporaryFolders('losslab-evaluate-');
  const copyFolders = temporaryFolders('losslab-evaluate-copy-');
  let folder = '';
  let record: RunRecord;
  beforeAll(async () => {
    const runs = join(scratchFolders.make(), 'runs');
    const run = await losslab([
      'run',
      'examples/tiny-mnist-odd.ts',
      '--variant=adam',
      '--seeds=0',
      '--epochs=1',
      '--backend=wasm',
      `--runs-dir=${runs}`,
      `--reports-dir=${join(runs, '..', 'reports')}`,
    ]);
    expect(run.code, run.stderr).toBe(0);
    const [name] = readdirSync(join(runs, 'tiny-mnist-odd'));
    folder = join(runs, 'tiny-mnist-odd', name!);
    record = JSON.parse(readFileSync(join(folder, 'record.json'), 'utf8')) as RunRecord;
  }, 120_000);

  it('re-evaluates the saved model on the run’s split, on the run’s backend, identical to the record', async () => {
    const { code, stdout } = await losslab(['evaluate', folder]);
    expect(code).toBe(0);
    expect(stdout).toContain(
      `tiny-mnist-odd / adam / seed 0: the saved model on train (${record.evaluation.size} samples)`,
    );
    expect(stdout).toContain('wasm');
    expect(stdout).toContain(`accuracy ${record.evaluation.metrics.accuracy!.toFixed(4)}`);
    expect(stdout).toContain('identical to the recorded evaluation');
  }, 60_000);

  it('--json prints the evaluation; --split=test evaluates another split of the same data', async () => {
    const same = await losslab(['evaluate', folder, '--json']);
    expect(JSON.parse(same.stdout)).toEqual(record.evaluation);
    const test = await losslab(['evaluate', folder, '--split=test', '--json']);
    expect(test.code).toBe(0);
    const evaluation = JSON.parse(test.stdout) as Evaluation;
    expect(evaluation.split).toBe('test');
    // mnist({ limit: 512 }) limits every split; the test images are other images
    expect(evaluation.size).toBe(512);
    expect(evaluation.metrics.accuracy).not.toBe(record.evaluation.metrics.accuracy);
  }, 60_000);

  it('a changed weight file is refused before it is loaded, naming it and both sha256s', async () => {
    const copy = copyFolders.make();
    for (const file of ['record.json', 'model.json', 'weights.bin'])
      writeFileSync(join(copy, file), readFileSync(join(folder, file)));
    const weights = readFileSync(join(copy, 'weights.bin'));
    new Float32Array(weights.buffer, weights.byteOffset, weights.byteLength / 4).fill(0);
    writeFileSync(join(copy, 'weights.bin'), weights);
    const { code, stdout, stderr } = await losslab(['evaluate', copy]);
    expect(code).toBe(1);
    expect(stdout).toBe('');
    const recorded = record.model!.files.find((file) => file.path === 'weights.bin')!.sha256;
    expect(stderr).toContain(
      `error: ${join(copy, 'weights.bin')}: sha256 expected ${recorded} (the record's), found ${createHash('sha256').update(weights).digest('hex')}: not the file this run saved`,
    );
  }, 60_000);

  it('a model saved before IDX images had their channel axis ([28, 28]) is evaluated as it was', async () => {
    const copy = copyFolders.make();
    const topology = readFileSync(join(folder, 'model.json'), 'utf8');
    expect(topology).toContain('[null,28,28,1]');
    const older = topology.replace('[null,28,28,1]', '[null,28,28]');
    const files = record.model!.files.map((file) =>
      file.path === 'model.json' ? { ...file, sha256: createHash('sha256').update(older).digest('hex') } : file,
    );
    writeFileSync(join(copy, 'model.json'), older);
    writeFileSync(join(copy, 'weights.bin'), readFileSync(join(folder, 'weights.bin')));
    writeFileSync(join(copy, 'record.json'), JSON.stringify({ ...record, model: { ...record.model!, files } }));
    const { code, stdout, stderr } = await losslab(['evaluate', copy]);
    expect(code, stderr).toBe(0);
    expect(stdout).toContain('identical to the recorded evaluation');
  }, 60_000);

  it('every `npx losslab evaluate` line of the README works as printed (on a run of its own)', async () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const lines = [...readme.matchAll(/```sh\n([\s\S]*?)```/g)]
      .flatMap((block) => (block[1] ?? '').split('\n'))
      .map((line) => line.replace(/\s+#.*$/, '').trim())
      .filter((line) => line.startsWith('npx losslab evaluate '));
    expect(lines).toHaveLength(3);
    for (const line of lines) {
      const args = line
        .split(/\s+/)
        .slice(2)
        .map((word) => (word === 'runs/mnist-odd/<run-id>' ? folder : word));
      expect(args).toContain(folder);
      const { code, stdout, stderr } = await new Promise<{ code: number; stdout: string; stderr: string }>((done) =>
        execFile('npx', ['losslab', ...args], { cwd: ROOT }, (error, out, err) =>
          done({ code: error === null ? 0 : 1, stdout: out, stderr: err }),
        ),
      );
      expect(code, `${line}\n${stderr}`).toBe(0);
      expect(stdout).toMatch(args.includes('--json') ? /^\{/ : /the saved model on (train|test)/);
    }
  }, 120_000);

  it.each([
    [['evaluate'], 2, 'error: run folder: expected the folder of a complete run (e.g. runs/mnist-odd/<run-id>)'],
    [
      ['evaluate', 'x', '--split=bogus'],
      2,
      'error: --split: expected one of "train", "validation", "test", got "bogus"',
    ],
    [['evaluate', 'x', '--splt=test'], 2, 'error: --splt: unknown option; did you mean --split?'],
    [
      ['evaluate', 'no/such/run'],
      1,
      'error: no/such/run/record.json: no such file; expected the folder of a complete run',
    ],
  ])('wrong input %j exits %i with one line', async (args, expectedCode, line) => {
    const printed: string[] = [];
    const spy = vi.spyOn(console, 'error').mockImplementation((text: string) => void printed.push(text));
    const code = await main(args);
    spy.mockRestore();
    expect(code).toBe(expectedCode);
    expect(printed.join('\n').split('\n')[0]).toContain(line);
  });
});
