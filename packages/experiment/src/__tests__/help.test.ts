import { execFile } from 'node:child_process';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { main } from '../cli.js';
import { evaluateCommand } from '../evaluate-command.js';
import { parseRunArguments, parseWorkerArguments } from '../overrides.js';
import { closestName } from '../suggest.js';

/** Runs `main` in this process and collects what it prints. */
async function capture(run: () => Promise<number>): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  vi.spyOn(console, 'log').mockImplementation((text: string) => void out.push(text));
  vi.spyOn(console, 'error').mockImplementation((text: string) => void err.push(text));
  const code = await run();
  return { code, out: out.join('\n'), err: err.join('\n') };
}

afterEach(() => vi.restoreAllMocks());

describe('losslab <command> --help', () => {
  it.each([
    [['--help'], 'usage: losslab run <definition.ts> [options]'],
    [['run', '--help'], '--parallel=N'],
    [['run', 'experiments/mnist-odd.ts', '-h'], '--dry-run'],
    [['worker', '--help'], '--lock-duration=MS   a job'],
    [['report', '--help'], '--experiment=<name>'],
  ])('%j prints its options with their defaults and exits 0', async (argv, line) => {
    const { code, out } = await capture(() => main(argv));
    expect(code).toBe(0);
    expect(out).toContain(line);
  });

  it('evaluate --help lists its options', async () => {
    const { code, out } = await capture(() => evaluateCommand(['--help']));
    expect(code).toBe(0);
    expect(out).toContain('--split=train|validation|test');
  });

  it('an unknown command is answered with the closest one, exit 2', async () => {
    const { code, err } = await capture(() => main(['rnu', 'x.ts']));
    expect(code).toBe(2);
    expect(err.split('\n')[0]).toBe('error: unknown command "rnu"; did you mean "run"?');
    const far = await capture(() => main(['deploy']));
    expect(far.err.split('\n')[0]).toBe('error: unknown command "deploy"');
  });
});

describe('unknown options get the closest known one', () => {
  it.each([
    ['epoch', 'epochs'],
    ['seed', 'seeds'],
    ['jbos', 'jobs'],
    ['dryrun', 'dry-run'],
    ['runs', 'runs-dir'],
  ])('--%s → --%s', (typo, known) => {
    const { problems } = parseRunArguments(['experiments/mnist-odd.ts', `--${typo}=1`]);
    expect(problems[0]).toMatch(new RegExp(`^--${typo}: unknown option; did you mean --${known}\\? \\(known: `));
  });

  it('says nothing when no known option is close', () => {
    const { problems } = parseRunArguments(['experiments/mnist-odd.ts', '--colour=red']);
    expect(problems[0]).toMatch(/^--colour: unknown option \(known: /);
    expect(closestName('colour', ['epochs', 'seeds', 'jobs'])).toBeUndefined();
  });

  it('for worker and evaluate too', async () => {
    expect(parseWorkerArguments(['--queue=redis://h:1', '--concurency=2']).problems[0]).toMatch(
      /^--concurency: unknown option; did you mean --concurrency\?/,
    );
    const { code, err } = await capture(() => evaluateCommand(['runs/x', '--splt=test']));
    expect(code).toBe(2);
    expect(err).toMatch(/^error: --splt: unknown option; did you mean --split\?/);
  });
});

describe('--dry-run with --queue', () => {
  it('shows where the runs would go, the password hidden, and how many attempts each gets', async () => {
    const root = resolve(fileURLToPath(import.meta.url), '../../../../..');
    const { code, stdout } = await new Promise<{ code: number; stdout: string }>((done) =>
      execFile(
        process.execPath,
        [
          join(root, 'packages/experiment/bin/losslab.mjs'),
          'run',
          'examples/tiny-mnist-odd.ts',
          '--queue=redis://:s3cret@10.0.0.5:6380/2',
          '--attempts=3',
          '--dry-run',
        ],
        { cwd: root },
        (error, out) => done({ code: error === null ? 0 : 1, stdout: out }),
      ),
    );
    expect(code).toBe(0);
    expect(stdout).toContain('  on the workers of redis://:***@10.0.0.5:6380/2, 3 attempt(s) per run');
    expect(stdout).not.toContain('s3cret');
  }, 60_000);
});
