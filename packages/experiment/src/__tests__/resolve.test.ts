import * as E from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import {
  canonicalJson,
  hashOf,
  meanAbsoluteError,
  mergeOverride,
  resolveExperiment,
  setPath,
  weighted,
} from '../index.js';
import { tinyMnistOdd } from './fixtures.js';

const problemsOf = (raw: unknown, variants?: string[]): readonly string[] => {
  const result = resolveExperiment(raw, 'test.ts', variants ? { variants } : {});
  return E.isLeft(result) ? result.left.problems : [];
};

describe('resolveExperiment', () => {
  it('accepts a definition written with the builders and resolves its variants', () => {
    const result = resolveExperiment(tinyMnistOdd(), 'test.ts');
    expect(E.isRight(result)).toBe(true);
    if (E.isRight(result)) {
      expect(result.right.variants.map((v) => v.name)).toEqual(['masked']);
      expect(result.right.variants[0]!.spec.loss).toEqual({
        kind: 'masked',
        loss: { kind: 'categoricalCrossentropy' },
        target: 'digit',
        mask: 'isOdd',
      });
    }
  });

  it('lists every problem by path with the expected type and the value it got', () => {
    const raw = setPath(
      setPath(setPath(tinyMnistOdd(), 'train.epochs', 'abc'), 'train.batchSize', -1),
      'model.output.units',
      0,
    );
    expect(problemsOf(raw)).toEqual([
      'model.output.units: expected a positive integer, got 0',
      'train.epochs: expected a positive integer, got "abc"',
      'train.batchSize: expected a positive integer, got -1',
    ]);
  });

  it('prints NaN, ±Infinity and 1e400 in a definition as such, not as null (issue 22 case 19)', () => {
    const raw = setPath(
      setPath(setPath(tinyMnistOdd(), 'train.epochs', Number.NaN), 'train.batchSize', -Infinity),
      'optimizer.learningRate',
      JSON.parse('1e400'),
    );
    expect(problemsOf(raw)).toEqual([
      'optimizer.learningRate: expected a positive number, got Infinity',
      'train.epochs: expected a positive integer, got NaN',
      'train.batchSize: expected a positive integer, got -Infinity',
    ]);
  });

  it('rejects unknown keys, naming the known ones', () => {
    const raw = setPath(tinyMnistOdd(), 'train.epoch', 3);
    expect(problemsOf(raw)).toEqual([
      'train.epoch: unknown key (expected one of: epochs, batchSize, shuffle, remainder, reduction, schedule, earlyStopping, checkpointEvery, keepCheckpoints, augment)',
    ]);
    expect(problemsOf({ ...tinyMnistOdd(), colour: 'blue' })[0]).toMatch(/^colour: unknown key/);
  });

  it('names an unknown kind and the kinds there are', () => {
    const raw = setPath(tinyMnistOdd(), 'loss.loss.kind', 'hinge');
    expect(problemsOf(raw)[0]).toMatch(
      /^loss\.loss\.kind: expected one of "categoricalCrossentropy", .*"weighted", got "hinge"$/,
    );
  });

  it('rejects a loss block that is not in the label layout', () => {
    const raw = setPath(tinyMnistOdd(), 'loss.mask', 'parity');
    expect(problemsOf(raw)).toEqual(['loss.mask: block "parity" is not in labels {digit: 10, isOdd: 1}']);
  });

  it('rejects a model whose output width differs from the loss target block, naming both widths', () => {
    const raw = setPath(tinyMnistOdd(), 'model.output.units', 9);
    expect(problemsOf(raw)).toEqual([
      'model.output.units: the model outputs 9 columns but loss target block "digit" has width 10',
      'evaluation.target: block "digit" has width 10 but the model outputs 9 columns',
    ]);
  });

  it('rejects a label block the data cannot provide, asking the block kind', () => {
    const raw = setPath(tinyMnistOdd(), 'labels.weight', { kind: 'column', column: 'weight' });
    expect(problemsOf(raw)).toContain(
      'labels.weight.column: the data has no extra column "weight" (it has none; list CSV columns in data.columns)',
    );
  });

  it('derives block widths from the label kinds (oneHot of class names: one column per name)', () => {
    const raw = setPath(tinyMnistOdd(), 'labels.digit', { kind: 'oneHot', classes: ['zero', 'one', 'two'] });
    expect(problemsOf(raw)).toEqual([
      'model.output.units: the model outputs 10 columns but loss target block "digit" has width 3',
      'evaluation.target: block "digit" has width 3 but the model outputs 10 columns',
    ]);
  });

  it('checks each variant after merging it onto the base, prefixing its path', () => {
    const raw = tinyMnistOdd({
      variants: {
        masked: {},
        weightedCce: {
          loss: weighted(
            { kind: 'categoricalCrossentropy' },
            { per: 'column', target: 'digit', classWeights: { kind: 'inverse' } },
          ),
        },
        broken: { train: { epochs: 0 } },
      },
    });
    expect(problemsOf(raw)).toEqual([
      'variants.weightedCce → loss.loss.kind: column weighting needs an element-wise loss (meanAbsoluteError, meanSquaredError, binaryCrossentropy, huber), got "categoricalCrossentropy"',
      'variants.broken.train.epochs: expected a positive integer, got 0',
    ]);
    expect(problemsOf(raw, ['masked'])).toEqual([]);
    expect(problemsOf(raw, ['nope'])).toEqual([
      'variant: "nope" is not defined (variants: masked, weightedCce, broken)',
    ]);
  });

  it('rejects two variants whose resolved settings are identical, naming both (issue 22 case 11)', () => {
    // `control` restates the base's epochs: it resolves to the same settings as `base`, the same runs.
    const raw = tinyMnistOdd({
      variants: { base: {}, control: { train: { epochs: 1 } }, longer: { train: { epochs: 2 } } },
    });
    expect(problemsOf(raw)).toEqual([
      'variants.control: its resolved settings are identical to those of variant "base", so both would be the same runs; make them differ or remove one',
    ]);
    // A command-line override that makes them equal is caught as well.
    expect(problemsOf(setPath(raw, 'variants.longer.train.epochs', 1), ['base', 'longer'])).toEqual([
      'variants.longer: its resolved settings are identical to those of variant "base", so both would be the same runs; make them differ or remove one',
    ]);
    expect(problemsOf(raw, ['base', 'longer'])).toEqual([]);
  });

  it('rejects a variant overriding a field that is not a run setting', () => {
    expect(problemsOf(tinyMnistOdd({ variants: { a: { seeds: [1] } as Record<string, unknown> } }))).toEqual([
      'variants.a.seeds: unknown key (expected one of: data, labels, model, loss, optimizer, train, evaluation, transforms)',
    ]);
  });
});

describe('mergeOverride and setPath', () => {
  it('merges objects, replaces arrays and replaces an object of another kind whole', () => {
    expect(mergeOverride({ a: { b: 1, c: [1, 2] } }, { a: { c: [3] } })).toEqual({ a: { b: 1, c: [3] } });
    const base = {
      loss: { kind: 'masked', target: 'digit', mask: 'isOdd', loss: { kind: 'categoricalCrossentropy' } },
    };
    const replacement = weighted(meanAbsoluteError(), {
      per: 'sample',
      target: 'digit',
      classWeights: { kind: 'balanced' },
    });
    expect(mergeOverride(base, { loss: replacement })).toEqual({ loss: replacement });
  });

  it('sets a dotted path without mutating the input', () => {
    const original = { train: { epochs: 3 } };
    expect(setPath(original, 'train.batchSize', 64)).toEqual({ train: { epochs: 3, batchSize: 64 } });
    expect(original).toEqual({ train: { epochs: 3 } });
  });
});

describe('canonical JSON', () => {
  it('is independent of key order, so equal definitions hash equally', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { y: 1, x: 2 }], c: 2 } })).toBe(
      '{"a":{"c":2,"d":[1,{"x":2,"y":1}]},"b":1}',
    );
    expect(hashOf({ a: 1, b: 2 })).toBe(hashOf({ b: 2, a: 1 }));
    expect(hashOf({ a: 1 })).not.toBe(hashOf({ a: 2 }));
    expect(hashOf({})).toBe('44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a');
  });
});

describe('run hashes', () => {
  it('change only for the variants a changed field reaches', async () => {
    const { runHash } = await import('../index.js');
    const definition = tinyMnistOdd({ variants: { adam: {}, sgd: { optimizer: { kind: 'sgd', learningRate: 0.1 } } } });
    const hashes = (raw: unknown) => {
      const result = resolveExperiment(raw, 'test.ts');
      if (E.isLeft(result)) throw new Error(result.left.problems.join('\n'));
      return Object.fromEntries(result.right.variants.map((v) => [v.name, runHash(v.spec)]));
    };
    const before = hashes(definition);
    const sgdChanged = hashes(setPath(definition, 'variants.sgd.optimizer.learningRate', 0.2));
    expect(sgdChanged.adam).toBe(before.adam);
    expect(sgdChanged.sgd).not.toBe(before.sgd);
    const baseChanged = hashes(setPath(definition, 'train.epochs', 2));
    expect(baseChanged.adam).not.toBe(before.adam);
    expect(baseChanged.sgd).not.toBe(before.sgd);
    // cosmetic fields do not shape a run
    expect(hashes({ ...definition, description: 'reworded' })).toEqual(before);
  });
});
