import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(fileURLToPath(import.meta.url), '../../../../..');
const CLI = join(ROOT, 'packages/experiment/src/cli.ts');
const EXAMPLE = 'examples/tiny-mnist-odd.ts';

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the losslab CLI as a user would (through tsx), from the repository root. */
function cli(args: string[]): Promise<Result> {
  return new Promise((done) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CLI, ...args], { cwd: ROOT, env: { ...process.env, LOSSLAB_BACKEND: 'cpu' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('close', (code) => done({ code: code ?? 1, stdout, stderr }));
  });
}

const scratch = () => {
  const dir = mkdtempSync(join(tmpdir(), 'losslab-cli-'));
  return { runs: join(dir, 'runs'), reports: join(dir, 'reports') };
};

describe('losslab run: invalid input stops before training, lists problems by path, writes nothing', () => {
  const cases: Array<{ name: string; args: string[]; problems: string[] }> = [
    {
      name: 'wrong types and unknown keys',
      args: ['--epochs=abc', '--set', 'train.colour=1', '--set', 'model.output.activation=swish'],
      problems: [
        'train.epochs: expected a positive integer, got "abc"',
        'train.colour: unknown key (expected one of: epochs, batchSize, shuffle, remainder, reduction)',
        'model.output.activation: expected one of "linear", "relu", "sigmoid", "softmax", "tanh", got "swish"',
      ],
    },
    { name: 'negative epochs', args: ['--epochs=-2'], problems: ['train.epochs: expected a positive integer, got -2'] },
    {
      name: 'a loss block absent from the layout',
      args: ['--set', 'loss.target=digits'],
      problems: ['variants.adam → loss.target: block "digits" is not in labels {digit: 10, isOdd: 1}'],
    },
    {
      name: 'an output width different from the target block',
      args: ['--set', 'model.output.units=9', '--variant=adam'],
      problems: ['variants.adam → model.output.units: the model outputs 9 columns but loss target block "digit" has width 10'],
    },
    { name: 'an unknown option', args: ['--epoch=2'], problems: ['--epoch: unknown option'] },
  ];

  it.each(cases)('$name', async ({ args, problems }) => {
    const dirs = scratch();
    const { code, stderr } = await cli(['run', EXAMPLE, `--runs-dir=${dirs.runs}`, `--reports-dir=${dirs.reports}`, ...args]);
    expect(code).toBe(2);
    for (const problem of problems) expect(stderr).toContain(problem);
    expect(existsSync(dirs.runs)).toBe(false);
    expect(existsSync(dirs.reports)).toBe(false);
  });
});

describe('losslab run: a definition outside experiments/', () => {
  it('runs the variant × seed matrix, keeps the runs that succeed when one fails, and reports', async () => {
    const dirs = scratch();
    // SGD with an absurd learning rate diverges: that run fails, the Adam run must survive it.
    const { code, stdout, stderr } = await cli([
      'run',
      EXAMPLE,
      '--epochs=1',
      '--seeds=3',
      '--set',
      'variants.sgd.optimizer.learningRate=1e30',
      '--parallel=2',
      `--runs-dir=${dirs.runs}`,
      `--reports-dir=${dirs.reports}`,
    ]);
    expect(code).toBe(1);
    expect(stderr).toMatch(/train failed \(variant sgd, seed 3\): loss became (NaN|Infinity|-Infinity) at epoch 1, step \d+ of 8/);
    expect(stderr).toContain('failed: sgd s3');
    expect(stdout).toContain('1/2 run(s) complete');
    const runFolders = readdirSync(join(dirs.runs, 'tiny-mnist-odd'));
    expect(runFolders).toHaveLength(2);
    const complete = runFolders.filter((f) => existsSync(join(dirs.runs, 'tiny-mnist-odd', f, 'record.json')));
    expect(complete).toHaveLength(1);
    expect(complete[0]).toMatch(/-adam-s3-/);
    const html = readFileSync(join(dirs.reports, 'tiny-mnist-odd', 'index.html'), 'utf8');
    expect(html).toContain('tiny-mnist-odd');
  });
});
