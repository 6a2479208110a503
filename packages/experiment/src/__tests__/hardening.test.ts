import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as E from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import { git, temporaryFolders } from '@losslab/test-utils';
import { blinkStream, lstm, resolveExperiment, setPath } from '../index.js';
import { definitionFileState } from '../environment.js';
import { runFolder } from '../store.js';
import { tinyBlink, tinyMnistOdd } from './fixtures.js';

const problemsOf = (raw: unknown, options: Parameters<typeof resolveExperiment>[2] = {}): readonly string[] => {
  const result = resolveExperiment(raw, 'test.ts', options);
  return E.isLeft(result) ? result.left.problems : [];
};

describe('names that become paths are validated by the definition codec', () => {
  const NAME_RULE = 'expected a name of 1–64 letters, digits, "-", "_" or ".", starting with a letter or digit';
  it.each([
    ['x/../../../escaped', 'a path that leaves the runs folder'],
    ['a/b', 'a folder separator'],
    ['lr=0.1,bs=64', 'a comma, which --variant=a,b would split'],
    ['..', 'a parent folder'],
    ['x'.repeat(65), 'a name too long for a file name with its prefix'],
  ])('rejects the variant name %j (%s) by path', (name) => {
    const problems = problemsOf(tinyMnistOdd({ variants: { [name]: {} } }));
    expect(problems).toContainEqual(`variants.${name}: ${NAME_RULE}, got ${JSON.stringify(name)}`);
  });

  it('rejects group names the same way and accepts ordinary names', () => {
    const long = 'g'.repeat(300);
    const raw = setPath(tinyMnistOdd(), 'evaluation.groups', [{ name: long, block: 'isOdd', equals: 0 }]);
    expect(problemsOf(raw)).toEqual([`evaluation.groups.0.name: ${NAME_RULE}, got ${JSON.stringify(long)}`]);
    expect(
      problemsOf(tinyMnistOdd({ variants: { 'class-weighted': {}, 'lr_0.1': { train: { epochs: 2 } } } })),
    ).toEqual([]);
  });

  it('places a run folder inside its experiment folder whatever the names say', () => {
    expect(runFolder('runs', 'mnist-odd', 'id-s0')).toBe(join('runs', 'mnist-odd', 'id-s0'));
    expect(() => runFolder('runs', 'mnist-odd', '../../escaped')).toThrow(
      /run id "..\/..\/escaped" is not a plain folder name/,
    );
    expect(() => runFolder('runs', '..', 'id')).toThrow(/experiment ".." is not a plain folder name/);
    expect(() => runFolder('runs', 'x', 'a\\b')).toThrow(/not a plain folder name/);
  });
});

describe('command-line overrides are the last word', () => {
  const definition = tinyMnistOdd({ variants: { adam: {}, sgd: { optimizer: { kind: 'sgd', learningRate: 0.1 } } } });
  const resolvedRates = (overrides: readonly (readonly [string, unknown])[]) => {
    const result = resolveExperiment(definition, 'test.ts', { overrides });
    if (E.isLeft(result)) throw new Error(result.left.problems.join('\n'));
    return Object.fromEntries(result.right.variants.map((v) => [v.name, v.spec.optimizer]));
  };

  it('win over a variant that sets the same field, and reach the resolved settings', () => {
    expect(resolvedRates([])).toEqual({ adam: { kind: 'adam' }, sgd: { kind: 'sgd', learningRate: 0.1 } });
    expect(resolvedRates([['optimizer.learningRate', 1e6]])).toEqual({
      adam: { kind: 'adam', learningRate: 1e6 },
      sgd: { kind: 'sgd', learningRate: 1e6 },
    });
  });

  it('that target one variant change only that variant', () => {
    expect(resolvedRates([['variants.sgd.optimizer.learningRate', 0.5]])).toEqual({
      adam: { kind: 'adam' },
      sgd: { kind: 'sgd', learningRate: 0.5 },
    });
  });

  it('are validated per variant, by path', () => {
    expect(problemsOf(definition, { overrides: [['optimizer.learningRate', -1]] })).toContain(
      'optimizer.learningRate: expected a positive number, got -1',
    );
  });
});

describe('everything a run would reject is rejected before any run starts', () => {
  it('a blink positive rate the generator cannot reach', () => {
    const raw = setPath(tinyBlink(), 'data.positiveRate', 0.7);
    expect(problemsOf(raw)).toEqual(['data.positiveRate: expected a number in (0, 0.5], got 0.7']);
  });

  it('a window longer than the recording', () => {
    const raw = { ...tinyBlink(), data: blinkStream({ windowLength: 1300, durationSeconds: 40 }) };
    expect(problemsOf(raw)).toEqual([
      'variants.sample-weighted → data.windowLength: 1300 frames is longer than a recording of 40 s (1200 frames at 30 frames/s)',
    ]);
  });

  it('an LSTM without layers', () => {
    const raw = { ...tinyBlink(), model: lstm({ layers: [], output: { units: 2, activation: 'softmax' } }) };
    expect(problemsOf(raw)).toEqual(['model.layers: expected at least one LSTM layer, got []']);
  });
});

describe('definitionFileState', () => {
  const repoFolders = temporaryFolders('losslab-git-');
  const outsideFolders = temporaryFolders('losslab-nogit-');

  it('tells tracked, modified, untracked and outside-repository files apart, with the sha256 of their bytes', () => {
    const repo = repoFolders.make();
    git(repo, 'init', '-q');
    writeFileSync(join(repo, 'def.ts'), 'export default 1;\n');
    expect(definitionFileState('def.ts', repo)).toEqual({
      path: 'def.ts',
      git: 'untracked',
      sha256: '96909e1dce85ca534fd8881f6c8369a8a87e06df5a4bf81ef44a72db195b0704', // sha256sum of "export default 1;\n"
    });
    git(repo, 'add', 'def.ts');
    git(repo, 'commit', '-q', '-m', 'def');
    expect(definitionFileState('def.ts', repo).git).toBe('tracked');
    const before = definitionFileState('def.ts', repo).sha256;
    writeFileSync(join(repo, 'def.ts'), 'export default 2;\n');
    expect(definitionFileState('def.ts', repo)).toMatchObject({ git: 'modified' });
    expect(definitionFileState('def.ts', repo).sha256).not.toBe(before);
    const outside = outsideFolders.make();
    writeFileSync(join(outside, 'def.ts'), 'export default 1;\n');
    expect(definitionFileState(join(outside, 'def.ts'))).toEqual({
      path: join(outside, 'def.ts'),
      git: 'outside-repository',
      sha256: before,
    });
  });
});
