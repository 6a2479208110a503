import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseCommand, type CommandSpec, type Decoded } from '../arguments.js';
import { parseEvaluateArguments, parseReportArguments, parseRunArguments } from '../command-options.js';

describe('losslab run: where runs and reports go', () => {
  it('runs/ and reports/ of the working folder for a definition inside it', () => {
    expect(parseRunArguments(['experiments/mnist-odd.ts']).options).toMatchObject({
      runsDir: 'runs',
      reportsDir: 'reports',
    });
  });

  it('beside a definition outside the working folder, unless --runs-dir / --reports-dir say otherwise', () => {
    const outside = join(tmpdir(), 'study');
    expect(parseRunArguments([join(outside, 'def.ts')]).options).toMatchObject({
      runsDir: join(outside, 'runs'),
      reportsDir: join(outside, 'reports'),
    });
    expect(parseRunArguments([join(outside, 'def.ts'), '--runs-dir=r', '--reports-dir=p']).options).toMatchObject({
      runsDir: 'r',
      reportsDir: 'p',
    });
  });
});

describe('losslab report options', () => {
  it('fill in the defaults', () => {
    expect(parseReportArguments(['--experiment=blink', '--check']).options).toEqual({
      experiment: 'blink',
      runsDir: 'runs',
      out: join('reports', 'blink'),
      check: true,
      groupBy: 'variant',
    });
    expect(parseReportArguments(['--runs', 'a, b,', '--runs-dir=x']).options).toEqual({
      runIds: ['a', 'b'],
      runsDir: 'x',
      out: join('reports', 'compare'),
      check: false,
      groupBy: 'auto',
    });
    expect(parseReportArguments(['--experiment=lt', '--primary=macroF1,loss:lower']).options).toMatchObject({
      primary: [{ metric: 'macroF1' }, { metric: 'loss', direction: 'lower' }],
    });
    expect(parseReportArguments(['--runs=a', '--group-by=commit', '--baseline=a']).options).toMatchObject({
      groupBy: 'commit',
      baseline: 'a',
    });
  });

  it('take a switch as Nx forwards it: --check=true, --check=false', () => {
    expect(parseReportArguments(['--experiment=b', '--check=true']).options?.check).toBe(true);
    expect(parseReportArguments(['--experiment=b', '--check=false']).options?.check).toBe(false);
  });

  it('name the bad argument', () => {
    expect(parseReportArguments([]).problems).toEqual(['expected --experiment=<name> or --runs=<id>,<id>']);
    expect(parseReportArguments(['--experiment=blink', '--group-by=seed']).problems).toEqual([
      '--group-by: expected one of variant, commit, run, auto, got "seed"',
    ]);
    expect(parseReportArguments(['blink']).problems).toEqual([
      'blink: unexpected argument (losslab report takes only options)',
      'expected --experiment=<name> or --runs=<id>,<id>',
    ]);
    expect(parseReportArguments(['--experiment=lt', '--primary=macroF1:up']).problems).toEqual([
      '--primary: expected <metric> or <metric>:higher or <metric>:lower, comma-separated, got "macroF1:up"',
    ]);
  });
});

describe('losslab evaluate options', () => {
  it('take the run folder, the split, the backend and --json', () => {
    expect(parseEvaluateArguments(['runs/x/1', '--split', 'test', '--backend=cpu', '--json']).options).toEqual({
      folder: 'runs/x/1',
      split: 'test',
      backend: 'cpu',
      json: true,
    });
    expect(parseEvaluateArguments(['runs/x/1']).options).toEqual({ folder: 'runs/x/1', json: false });
  });

  it('need exactly one run folder', () => {
    expect(parseEvaluateArguments([]).problems).toEqual([
      'run folder: expected the folder of a complete run (e.g. runs/mnist-odd/<run-id>)',
    ]);
    expect(parseEvaluateArguments(['a', 'b']).problems).toEqual([
      'b: unexpected argument (the run folder is already a)',
    ]);
  });
});

describe('losslab run options', () => {
  it('apply --set and its shorthands in the order given', () => {
    expect(parseRunArguments(['d.ts', '--set', 'train.epochs=2', '--epochs=3']).options?.sets).toEqual([
      ['train.epochs', 2],
      ['train.epochs', 3],
    ]);
  });

  it('take a negative number after a space as a value, not as an option', () => {
    expect(parseRunArguments(['d.ts', '--learning-rate', '-0.5']).options?.sets).toEqual([
      ['optimizer.learningRate', -0.5],
    ]);
  });

  it('take the definition as the first argument or as --definition, not both', () => {
    expect(parseRunArguments(['--definition=a.ts']).options?.definitionPath).toBe('a.ts');
    expect(parseRunArguments(['a.ts', '--definition=a.ts']).options?.definitionPath).toBe('a.ts');
    expect(parseRunArguments(['--definition=a.ts', 'b.ts']).problems).toEqual([
      'b.ts: unexpected argument (the definition is already a.ts)',
    ]);
    expect(parseRunArguments(['a.ts', 'b.ts']).problems).toEqual([
      'b.ts: unexpected argument (the definition is already a.ts)',
    ]);
    // after `--`, a word that starts with a dash is the definition
    expect(parseRunArguments(['--', '-odd.ts']).options?.definitionPath).toBe('-odd.ts');
  });

  it('take a long option typed with one dash as one mistyped option, not as -e -p -o -c -h -s', () => {
    expect(parseRunArguments(['d.ts', '-epochs=3'])).toEqual({
      help: false,
      problems: [expect.stringMatching(/^-epochs: unknown option; did you mean --epochs\? \(known: --definition, /)],
    });
    expect(parseRunArguments(['d.ts', '-x']).problems).toEqual([
      expect.stringMatching(/^-x: unknown option \(known: /),
    ]);
  });

  it('--help wins over every problem', () => {
    expect(parseRunArguments(['--colour=red', '--help'])).toEqual({ help: true, problems: [] });
    expect(parseRunArguments(['-h']).help).toBe(true);
  });
});

describe('option values decoded once', () => {
  it("each given value and each written default goes through its option's decoder exactly once", () => {
    const seen: string[] = [];
    const table = {
      name: 'count',
      synopsis: '',
      summary: '',
      about: '',
      options: {
        size: {
          type: 'string',
          value: 'N',
          default: '4',
          description: 'a size',
          decode: (text: string, flag: string): Decoded<number> => {
            seen.push(text);
            return /^\d+$/.test(text)
              ? { value: Number(text) }
              : { problem: `${flag}: expected digits, got "${text}"` };
          },
        },
        name: { type: 'string', value: 'TEXT', default: { shown: 'none' }, description: 'a name' },
      },
    } as const satisfies CommandSpec;
    const parsed = parseCommand(table, ['--size=7', '--size=9', '--name=x']);
    expect(seen).toEqual(['7', '9', '4']);
    expect(parsed.values).toEqual({ size: 9, name: 'x' });
    expect(parsed.given).toEqual([
      { name: 'size', value: 7 },
      { name: 'size', value: 9 },
      { name: 'name', value: 'x' },
    ]);
    expect(parseCommand(table, ['--size=x']).problems).toEqual(['--size: expected digits, got "x"']);
  });

  it('the commands read the decoded values: numbers, seed lists, overrides, primary metrics', () => {
    expect(
      parseRunArguments(['d.ts', '--parallel=3', '--seeds=0, 2', '--set=train.epochs=5', '--epochs=6']).options,
    ).toMatchObject({
      jobs: 3,
      attempts: 2,
      seeds: [0, 2],
      sets: [
        ['train.epochs', 5],
        ['train.epochs', 6],
        ['seeds', [0, 2]],
      ],
    });
    expect(parseReportArguments(['--experiment=e', '--primary=f1,loss:lower']).options?.primary).toEqual([
      { metric: 'f1' },
      { metric: 'loss', direction: 'lower' },
    ]);
    expect(parseEvaluateArguments(['runs/e/r', '--split=test', '--backend=cpu']).options).toEqual({
      folder: 'runs/e/r',
      split: 'test',
      backend: 'cpu',
      json: false,
    });
  });
});
