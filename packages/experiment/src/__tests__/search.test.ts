import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as E from 'fp-ts/lib/Either.js';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { RunRecord, SearchSpec } from '@losslab/schema';
import { choice, grid, logUniform, uniform } from '../builders.js';
import { parseRunArguments } from '../command-options.js';
import { resolveExperiment } from '../resolve.js';
import { runCommand } from '../run-command.js';
import { searchTrials, selectTrial, trialName } from '../search.js';

/** A two-feature, two-class problem: class c has features near (c, -c); fixed rows, no randomness. */
function rows(count: number, offset: number, flip = false): string {
  const lines = ['x,y,class'];
  for (let index = 0; index < count; index++) {
    const label = (index + offset) % 2;
    // A deterministic spread: the classes overlap a little, so the learning rate matters.
    const noise = (((index * 37 + offset * 11) % 17) - 8) / 8;
    lines.push(`${(label + 0.6 * noise).toFixed(3)},${(-label + 0.5 * noise).toFixed(3)},${flip ? 1 - label : label}`);
  }
  return `${lines.join('\n')}\n`;
}

/** A plain-data definition (no imports, so it loads from any folder): one variant, a search of `trials` random learning rates. */
function writeDefinition(dir: string, name: string, testFile: string): string {
  const definition = {
    name,
    description: 'a tiny search',
    data: {
      kind: 'csv',
      splits: { train: 'train.csv', validation: 'validation.csv', test: testFile },
      features: ['x', 'y'],
      label: 'class',
    },
    labels: { target: { kind: 'oneHot', classes: 2 } },
    model: { kind: 'mlp', hidden: [], output: { units: 2, activation: 'softmax' } },
    loss: { kind: 'meanSquaredError' },
    optimizer: { kind: 'sgd', learningRate: 0.1 },
    train: { epochs: 2, batchSize: 16 },
    evaluation: { kind: 'classification', split: 'test', target: 'target' },
    seeds: [0],
    search: {
      space: { 'optimizer.learningRate': logUniform(1e-3, 3) },
      trials: 8,
      seed: 100,
      select: { metric: 'accuracy', direction: 'max', split: 'validation' },
    },
    variants: { base: {} },
  };
  const file = join(dir, `${name}.mjs`);
  writeFileSync(file, `export default ${JSON.stringify(definition, null, 2)};\n`);
  return file;
}

/** Runs `losslab run <args>` in this process; its exit code and what it printed. */
async function run(args: readonly string[]): Promise<{ code: number; out: string[] }> {
  const out: string[] = [];
  vi.spyOn(console, 'log').mockImplementation((text: string) => void out.push(text));
  vi.spyOn(console, 'error').mockImplementation((text: string) => void out.push(text));
  vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
  const parsed = parseRunArguments([...args, '--backend=cpu']);
  if (parsed.options === undefined) throw new Error(parsed.problems.join('\n'));
  const code = await runCommand(parsed.options, '');
  vi.restoreAllMocks();
  return { code, out };
}

afterEach(() => vi.restoreAllMocks());

describe('search trials', () => {
  const space: SearchSpec['space'] = {
    'optimizer.learningRate': logUniform(1e-4, 1e-1),
    'train.batchSize': choice([64, 128]),
  };

  it('draws the same trials from the same seed and others from another seed', () => {
    const first = searchTrials({ space, trials: 8, seed: 3 });
    expect(searchTrials({ space, trials: 8, seed: 3 })).toEqual(first);
    expect(searchTrials({ space, trials: 8, seed: 4 })).not.toEqual(first);
    expect(first).toHaveLength(8);
    for (const [[, rate], [, batch]] of first as [[string, number], [string, number]][]) {
      expect(rate).toBeGreaterThanOrEqual(1e-4);
      expect(rate).toBeLessThan(1e-1);
      expect(Number(rate.toPrecision(3))).toBe(rate); // named by its exact value
      expect([64, 128]).toContain(batch);
    }
    // Log-uniform: over 200 draws about half fall below the geometric midpoint √(1e-4·1e-1) ≈ 3.16e-3
    // (a uniform draw would put about 3% there).
    const many = searchTrials({ space: { 'optimizer.learningRate': logUniform(1e-4, 1e-1) }, trials: 200, seed: 1 });
    const below = many.filter((trial) => Number(trial[0]?.[1]) < Math.sqrt(1e-5)).length / many.length;
    expect(below).toBeGreaterThan(0.35);
    expect(below).toBeLessThan(0.65);
  });

  it('crosses grid dimensions in full, in order, with the draws of the others per point', () => {
    expect(
      searchTrials({ space: { 'train.batchSize': grid([32, 64]), 'train.epochs': grid([1, 2, 3]) }, seed: 0 }),
    ).toEqual([
      [
        ['train.batchSize', 32],
        ['train.epochs', 1],
      ],
      [
        ['train.batchSize', 32],
        ['train.epochs', 2],
      ],
      [
        ['train.batchSize', 32],
        ['train.epochs', 3],
      ],
      [
        ['train.batchSize', 64],
        ['train.epochs', 1],
      ],
      [
        ['train.batchSize', 64],
        ['train.epochs', 2],
      ],
      [
        ['train.batchSize', 64],
        ['train.epochs', 3],
      ],
    ]);
    const mixed = searchTrials({
      space: { 'train.batchSize': grid([32, 64]), 'optimizer.learningRate': uniform(0.1, 0.2) },
      trials: 2,
      seed: 0,
    });
    expect(mixed.map((trial) => trial[0]?.[1])).toEqual([32, 32, 64, 64]);
  });
});

describe('trial names', () => {
  it('name a trial by its values and survive a --variant list (as children and workers receive them)', () => {
    const name = trialName('sgd', [
      ['optimizer.learningRate', 0.157],
      ['train.batchSize', 32],
    ]);
    expect(name).toBe('sgd~optimizer.learningRate=0.157~train.batchSize=32');
    expect(parseRunArguments(['d.ts', `--variant=${name}`]).options?.variants).toEqual([name]);
  });
});

describe('trial selection', () => {
  const record = (split: string, accuracy: number) =>
    ({ evaluation: { split, size: 10, metrics: { accuracy } } }) as unknown as RunRecord;
  const select = { metric: 'accuracy', direction: 'max', split: 'validation' } as const;

  it('chooses the best in the declared direction, the first on a tie', () => {
    const trials = [
      { name: 'a', record: record('validation', 0.5) },
      { name: 'b', record: record('validation', 0.9) },
      { name: 'c', record: record('validation', 0.9) },
    ];
    expect(selectTrial(select, trials).chosen).toBe('b');
    expect(selectTrial({ ...select, direction: 'min' }, trials).chosen).toBe('a');
  });

  it('refuses a trial evaluated on test', () => {
    expect(() => selectTrial(select, [{ name: 'a', record: record('test', 1) }])).toThrow(/evaluated on test/);
  });
});

describe('--set path=v1,v2,v3', () => {
  it('makes a grid: one variant per value (a sweep), each named by its value', () => {
    const parsed = parseRunArguments(['d.ts', '--set', 'optimizer.learningRate=0.001,0.01,0.1']);
    const sets = parsed.options?.sets ?? [];
    expect(sets).toEqual([['optimizer.learningRate', { kind: 'grid', values: [0.001, 0.01, 0.1] }]]);
    // A JSON value with a comma stays one value.
    expect(parseRunArguments(['d.ts', '--set', 'train.x=[1,2]']).options?.sets).toEqual([['train.x', [1, 2]]]);
    const raw = {
      name: 'sweep',
      description: '',
      data: { kind: 'csv', splits: { train: 't.csv' }, features: ['x'], label: 'class' },
      labels: { target: { kind: 'oneHot', classes: 2 } },
      model: { kind: 'mlp', hidden: [], output: { units: 2, activation: 'softmax' } },
      loss: { kind: 'meanSquaredError' },
      optimizer: { kind: 'sgd', learningRate: 0.5 },
      train: { epochs: 1, batchSize: 4 },
      evaluation: { kind: 'classification', split: 'train', target: 'target' },
      seeds: [0, 1],
      variants: { base: {} },
    };
    const resolved = resolveExperiment(raw, 'sweep.mjs', { overrides: sets });
    if (E.isLeft(resolved)) throw new Error(resolved.left.problems.join('\n'));
    expect(resolved.right.variants.map((v) => [v.name, v.spec.optimizer])).toEqual([
      ['base~optimizer.learningRate=0.001', { kind: 'sgd', learningRate: 0.001 }],
      ['base~optimizer.learningRate=0.01', { kind: 'sgd', learningRate: 0.01 }],
      ['base~optimizer.learningRate=0.1', { kind: 'sgd', learningRate: 0.1 }],
    ]);
  });
});

describe('a search run', () => {
  it('reuses all 8 trials on a rerun, and a poisoned test split does not change the chosen trial', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'losslab-search-'));
    writeFileSync(join(dir, 'train.csv'), rows(64, 0));
    writeFileSync(join(dir, 'validation.csv'), rows(32, 1));
    writeFileSync(join(dir, 'test.csv'), rows(32, 0));
    writeFileSync(join(dir, 'test-poisoned.csv'), rows(32, 0, true));
    const clean = writeDefinition(dir, 'clean', 'test.csv');
    const poisoned = writeDefinition(dir, 'poisoned', 'test-poisoned.csv');
    const where = [`--runs-dir=${join(dir, 'runs')}`, `--reports-dir=${join(dir, 'reports')}`];

    const dry = await run([clean, '--dry-run', ...where]);
    expect(dry.out.join('\n').match(/^ {4}trial base~optimizer\.learningRate=/gm)).toHaveLength(8);

    const first = await run([clean, ...where]);
    expect(first.code).toBe(0);
    const wrote = (out: string[]) => out.filter((line) => line.startsWith('wrote ')).length;
    const reused = (out: string[]) => out.filter((line) => line.startsWith('reused ')).length;
    expect(wrote(first.out)).toBe(9); // 8 trials + the tuned variant on seed 0
    const chosen = (out: string[]) => out.find((line) => line.trimStart().startsWith('* '));
    expect(chosen(first.out)).toBeDefined();

    const again = await run([clean, ...where]);
    expect([wrote(again.out), reused(again.out)]).toEqual([0, 9]);
    expect(chosen(again.out)).toBe(chosen(first.out));

    const spoiled = await run([poisoned, ...where]);
    expect(chosen(spoiled.out)).toBe(chosen(first.out));
    // The poison reached the test evaluation (accuracy a becomes 1 − a), yet chose nothing.
    const testAccuracy = (out: string[]) =>
      Number(/test: .*?accuracy ([\d.]+)/.exec(out.filter((l) => l.includes(' — test: ')).join('\n'))?.[1]);
    expect(testAccuracy(spoiled.out)).toBeCloseTo(1 - testAccuracy(first.out), 3);
  }, 120_000);
});

describe("the README's search example", () => {
  it('is the search of examples/tiny-search.ts, as written there', () => {
    const root = join(import.meta.dirname, '../../../..');
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    const block = /```ts\n\/\/ search \(examples\/tiny-search\.ts\)\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(block).toBeDefined();
    const squeeze = (text: string) => text.replace(/\s+/g, ' ').trim();
    expect(squeeze(readFileSync(join(root, 'examples/tiny-search.ts'), 'utf8'))).toContain(squeeze(block ?? 'missing'));
  });
});
