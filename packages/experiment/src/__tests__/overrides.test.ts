import { describe, expect, it } from 'vitest';
import { applyOverrides, parseRunArguments } from '../index.js';

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
