import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { CommandSpec } from '../arguments.js';
import { main } from '../cli.js';
import {
  COMMANDS,
  EVALUATE,
  parseEvaluateArguments,
  parseReportArguments,
  parseRunArguments,
  parseWorkerArguments,
  REPORT,
  RUN,
  WORKER,
} from '../command-options.js';
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
    [['--help'], '  losslab run <definition.ts> [options]'],
    [['run', '--help'], '--parallel=N'],
    [['run', 'experiments/mnist-odd.ts', '-h'], '--dry-run'],
    [['worker', '--help'], "--lock-duration=MS        a job's lock without renewal"],
    [['report', '--help'], '--experiment=NAME'],
    [['evaluate', '--help'], '--split=train|validation|test'],
    [['help', 'worker'], 'usage: losslab worker --queue='],
  ])('%j prints its options with their defaults and exits 0', async (argv, line) => {
    const { code, out } = await capture(() => main(argv));
    expect(code).toBe(0);
    expect(out).toContain(line);
  });

  it('shows written lines as written: the form, the text and the default', async () => {
    const run = (await capture(() => main(['run', '--help']))).out.split('\n');
    expect(run).toContain('  --runs-dir=DIR            where runs are stored');
    expect(run).toContain(
      '                            (default: runs here, or beside a definition outside this folder)',
    );
    expect(run).toContain(
      '  --set path=value          set a field of every variant, checked like the file; repeatable',
    );
    expect(run).toContain('                            (default: none)');
    const report = (await capture(() => main(['report', '--help']))).out.split('\n');
    expect(report[0]).toBe('usage: losslab report (--experiment=NAME | --runs=ID,ID) [options]');
    expect(report).toContain(
      '  --check                   exit 1 unless every claim holds and the variants differ only in their',
    );
    const worker = (await capture(() => main(['worker', '--help']))).out.split('\n');
    expect(worker).toContain('  --concurrency=N           runs at once on this machine (default: 1)');
    const evaluate = (await capture(() => main(['evaluate', '-h']))).out.split('\n');
    const backend = evaluate.indexOf('  --backend=wasm|cpu|tensorflow');
    expect(evaluate[backend + 1]).toBe("                            the TF.js backend (default: the run's own)");
  });

  /** What the help of `command` must say about one option, worked out here from the table alone. */
  const expectedEntry = (name: string, spec: CommandSpec['options'][string]): string => {
    const form =
      spec.type === 'boolean' ? `--${name}` : `--${name}${spec.value.includes('=') ? ' ' : '='}${spec.value}`;
    const fallback =
      spec.type === 'boolean' ? 'off' : typeof spec.default === 'string' ? spec.default : spec.default.shown;
    return `${form} ${spec.description} (default: ${fallback})`;
  };
  /** The help as one line, so an entry matches however it was wrapped. */
  const flattened = (text: string): string => text.replace(/\s+/g, ' ');

  it.each(COMMANDS.map((command): [string, CommandSpec] => [command.name, command]))(
    '%s --help lists every option of its table with its default, in the table order',
    async (name, command) => {
      const { code, out } = await capture(() => main([name, '--help']));
      expect(code).toBe(0);
      const help = flattened(out);
      let at = 0;
      for (const [option, spec] of Object.entries(command.options)) {
        const entry = expectedEntry(option, spec);
        const found = help.indexOf(entry, at);
        expect(found, entry).toBeGreaterThan(at);
        at = found;
      }
      expect(help).toContain('-h, --help print this help');
      for (const line of out.split('\n')) expect(line.length, line).toBeLessThanOrEqual(100);
    },
  );

  it('losslab --help is a short summary: every command with its line and usage, no option tables', async () => {
    const { code, out } = await capture(() => main(['--help']));
    expect(code).toBe(0);
    expect(COMMANDS.map((command) => command.name)).toEqual([
      'run',
      'report',
      'runs',
      'serve',
      'evaluate',
      'worker',
      'init',
    ]);
    for (const command of COMMANDS) {
      expect(out).toContain(`\n  ${command.name.padEnd(10)}${command.summary}\n`);
      expect(out).toContain(`  losslab ${command.name} ${command.synopsis}`);
    }
    // the options stay in each command's own help
    expect(out).not.toContain('options:');
    expect(out).not.toContain('--parallel');
    expect(out.split('\n').length).toBeLessThan(30);
    expect(out).toContain('losslab <command> --help');
    expect(out).toContain('exit codes: 0 ok;');
  });

  it('losslab --version prints the version of @losslab/experiment', async () => {
    const { code, out } = await capture(() => main(['--version']));
    expect(code).toBe(0);
    const own = JSON.parse(readFileSync(resolve(fileURLToPath(import.meta.url), '../../../package.json'), 'utf8')) as {
      version: string;
    };
    expect(out).toBe(own.version);
    expect(out).toMatch(/^\d+\.\d+\.\d+/);
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
    ['hepl', 'help'],
  ])('run --%s → --%s', (typo, known) => {
    const { problems } = parseRunArguments(['experiments/mnist-odd.ts', `--${typo}=1`]);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(new RegExp(`^--${typo}: unknown option; did you mean --${known}\\? \\(known: `));
  });

  it('says nothing when no known option is close', () => {
    const { problems } = parseRunArguments(['experiments/mnist-odd.ts', '--colour=red']);
    expect(problems[0]).toMatch(/^--colour: unknown option \(known: /);
    expect(closestName('colour', ['epochs', 'seeds', 'jobs'])).toBeUndefined();
  });

  it('an unknown option written with a space takes its value along: one typo, one line', () => {
    expect(parseRunArguments(['x.ts', '--epoch', '1']).problems).toEqual([
      expect.stringMatching(/^--epoch: unknown option; did you mean --epochs\?/),
    ]);
    // a known switch after it is not taken as its value
    expect(parseRunArguments(['x.ts', '--dryrun', '--check']).problems).toHaveLength(1);
  });

  it.each([
    ['report', () => parseReportArguments(['--experimnt=blink']).problems, 'experimnt', 'experiment'],
    [
      'worker',
      () => parseWorkerArguments(['--queue=redis://h:1', '--concurency=2']).problems,
      'concurency',
      'concurrency',
    ],
    ['evaluate', () => parseEvaluateArguments(['runs/x', '--splt=test']).problems, 'splt', 'split'],
    ['run', () => parseRunArguments(['x.ts', '--backedn=cpu']).problems, 'backedn', 'backend'],
  ])('for %s too', (_command, problems, typo, known) => {
    const found = problems();
    expect(found).toHaveLength(1);
    expect(found[0]).toMatch(new RegExp(`^--${typo}: unknown option; did you mean --${known}\\? \\(known: --`));
  });

  it.each([
    [['run', 'x.ts', '--epoch=1'], '--epoch: unknown option; did you mean --epochs?'],
    [['report', '--experimnt=blink'], '--experimnt: unknown option; did you mean --experiment?'],
    [['worker', '--concurency=2'], '--concurency: unknown option; did you mean --concurrency?'],
    [['evaluate', 'dir', '--splt=test'], '--splt: unknown option; did you mean --split?'],
  ])('losslab %j: the first line names the option and the closest one; exit 2', async (argv, line) => {
    const { code, err } = await capture(() => main(argv));
    expect(code).toBe(2);
    expect(err.split('\n')[0]).toMatch(new RegExp(`^error: ${line.replace(/[?]/g, '\\?')} \\(known: `));
    expect(err).toContain(`(losslab ${argv[0]} --help lists every option)`);
  });
});

describe('wrong values name the option, the value and what was expected', () => {
  it.each([
    [
      RUN.name,
      () => parseRunArguments(['x.ts', '--parallel=abc']).problems,
      '--parallel: expected a positive integer, got "abc"',
    ],
    [
      RUN.name,
      () => parseRunArguments(['x.ts', '--jobs', '0']).problems,
      '--jobs: expected a positive integer, got "0"',
    ],
    [
      RUN.name,
      () => parseRunArguments(['x.ts', '--attempts=1.5']).problems,
      '--attempts: expected a positive integer, got "1.5"',
    ],
    [
      RUN.name,
      () => parseRunArguments(['x.ts', '--check=maybe']).problems,
      '--check: takes no value (or =true, =false), got "maybe"',
    ],
    [RUN.name, () => parseRunArguments(['x.ts', '--runs-dir']).problems, '--runs-dir: expected a value'],
    [RUN.name, () => parseRunArguments(['x.ts', '--runs-dir=']).problems, '--runs-dir: expected a value'],
    [
      RUN.name,
      () => parseRunArguments(['x.ts', '--runs-dir', '--fresh']).problems,
      '--runs-dir: expected a value, got the option --fresh (a value that starts with "-": --runs-dir=--fresh)',
    ],
    [
      WORKER.name,
      () => parseWorkerArguments(['--queue=redis://h', '--concurrency=0']).problems,
      '--concurrency: expected a positive integer, got "0"',
    ],
    [
      WORKER.name,
      () => parseWorkerArguments(['--queue=redis://h', '--lock-duration=1s']).problems,
      '--lock-duration: expected a positive integer, got "1s"',
    ],
    [
      WORKER.name,
      () => parseWorkerArguments(['--queue=localhost:6379']).problems,
      '--queue: expected a redis:// or rediss:// URL, got localhost:6379',
    ],
    [
      EVALUATE.name,
      () => parseEvaluateArguments(['dir', '--backend=gpu']).problems,
      '--backend: expected one of tensorflow, wasm, cpu, got "gpu"',
    ],
    [REPORT.name, () => parseReportArguments(['--runs=,']).problems, '--runs: expected at least one run id, got ","'],
  ])('%s: one line', (_command, problems, line) => {
    expect(problems()).toEqual([line]);
  });

  it('a usage error exits 2 from the losslab process, before anything runs', async () => {
    const root = resolve(fileURLToPath(import.meta.url), '../../../../..');
    const { code, stderr } = await new Promise<{ code: number | null; stderr: string }>((done) =>
      execFile(
        process.execPath,
        [join(root, 'packages/experiment/bin/losslab.mjs'), 'worker', '--queue=redis://h', '--concurrency=0'],
        { cwd: root },
        (error, _out, err) => done({ code: error === null ? 0 : (error.code as number | null), stderr: err }),
      ),
    );
    expect(code).toBe(2);
    expect(stderr.split('\n')[0]).toBe('error: --concurrency: expected a positive integer, got "0"');
  }, 60_000);
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
