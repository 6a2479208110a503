import * as E from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import { applyOverrides, parseRunArguments, resolveExperiment, setPath } from '../index.js';

describe('parseRunArguments', () => {
  it('maps shorthands and --set onto definition paths, JSON-parsing values', () => {
    const { options, problems } = parseRunArguments([
      'experiments/blink.ts',
      '--epochs=5',
      '--seeds=0,1,2',
      '--variant=class-weighted',
      '--backend=cpu',
      '--set',
      'train.batchSize=64',
      '--set=optimizer={"kind":"sgd","learningRate":0.1}',
      '--jobs=2',
      '--check',
    ]);
    expect(problems).toEqual([]);
    expect(options).toMatchObject({
      definitionPath: 'experiments/blink.ts',
      variants: ['class-weighted'],
      seeds: [0, 1, 2],
      backend: 'cpu',
      jobs: 2,
      check: true,
      fresh: false,
    });
    expect(applyOverrides({ train: { epochs: 30, batchSize: 128 } }, options!.sets)).toEqual({
      train: { epochs: 5, batchSize: 64 },
      optimizer: { kind: 'sgd', learningRate: 0.1 },
      seeds: [0, 1, 2],
    });
  });

  it('keeps a value that is not JSON as a string, for the codec to reject by path', () => {
    const { options } = parseRunArguments(['d.ts', '--epochs=abc']);
    expect(applyOverrides({}, options!.sets)).toEqual({ train: { epochs: 'abc' } });
  });

  it('refuses a --set path with an empty name, naming --set and the value (issue 22 case 21)', () => {
    for (const value of ['train..epochs=2', '.train=2', 'train.=2']) {
      const path = value.slice(0, value.indexOf('='));
      expect(parseRunArguments(['d.ts', '--set', value]).problems).toEqual([
        `--set: expected field names joined by dots (e.g. train.epochs), got an empty name in ${JSON.stringify(path)} (in ${JSON.stringify(value)})`,
      ]);
    }
    // The same path reaching the resolver another way (a queue job's sets) is refused, not applied.
    const resolved = resolveExperiment({}, 'd.ts', { overrides: [['train..epochs', 2]] });
    expect(resolved).toEqual(
      E.left({
        tag: 'InvalidDefinition',
        source: 'd.ts',
        problems: [
          '--set train..epochs: expected field names joined by dots (e.g. train.epochs), got an empty name in "train..epochs"',
        ],
      }),
    );
    expect(() => setPath({ train: { epochs: 3 } }, 'train..epochs', 2)).toThrow(
      'path: expected field names joined by dots (e.g. train.epochs), got an empty name in "train..epochs"',
    );
  });

  it('lists every bad argument', () => {
    const { options, problems } = parseRunArguments([
      '--seeds=0,x',
      '--jobs=0',
      '--backend=bogus',
      '--colour=blue',
      '--set=novalue',
    ]);
    expect(options).toBeUndefined();
    expect(problems).toEqual([
      '--seeds: expected comma-separated non-negative integers, got "0,x"',
      '--jobs: expected a positive integer, got "0"',
      '--backend: expected one of tensorflow, wasm, cpu, auto, got "bogus"',
      expect.stringMatching(/^--colour: unknown option \(known: --definition, /),
      '--set: expected path=value, got "novalue"',
      'definition: expected the path of a definition file (e.g. experiments/mnist-odd.ts)',
    ]);
  });
});
