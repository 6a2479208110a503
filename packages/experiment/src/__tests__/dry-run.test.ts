import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as E from 'fp-ts/lib/Either.js';
import { afterAll, describe, expect, it } from 'vitest';
import type { RunSpec } from '@losslab/schema';
import { dataFileProblems, prettySettings, settingsWithDefaults } from '../dry-run.js';
import { registry } from '../kinds/index.js';
import {
  adam,
  adamw,
  binaryDetection,
  blinkStream,
  carveValidation,
  csv,
  defineExperiment,
  focal,
  idx,
  lstm,
  oneHot,
  resolveExperiment,
  rmsprop,
  sequential,
  sgd,
  sliced,
  subsample,
} from '../index.js';

describe('settingsWithDefaults: what a run uses when the definition leaves a setting out', () => {
  it('fills the defaults of built-in kinds, inside combinators too, and keeps what was written', () => {
    const spec: RunSpec = {
      data: blinkStream({ windowLength: 9 }),
      transforms: [subsample({ classes: [1], keep: 0.5 }), carveValidation({ fraction: 0.2, seed: 4 })],
      labels: { blink: oneHot(2) },
      model: lstm({ layers: [{ units: 4 }], output: { units: 2, activation: 'softmax' } }),
      loss: sliced(focal({ gamma: 1 }), { target: 'blink' }),
      optimizer: adam(),
      train: {
        epochs: 2,
        batchSize: 8,
        schedule: { kind: 'cosine' },
        earlyStopping: { metric: 'loss', direction: 'min', patience: 2 },
      },
      evaluation: binaryDetection({ split: 'test', target: 'blink', positiveClass: 1 }),
    };
    expect(settingsWithDefaults(spec)).toEqual({
      data: {
        kind: 'blinkStream',
        windowLength: 9,
        stride: 1,
        positiveRate: 0.05,
        durationSeconds: 120,
        subjects: { train: 6, validation: 2, test: 2 },
        dataSeed: 0,
      },
      transforms: [
        {
          kind: 'subsample',
          classes: [1],
          keep: 0.5,
          split: 'train',
          seed: "each run's: deriveSeed(runSeed, 'data', position)",
        },
        { kind: 'carveValidation', fraction: 0.2, seed: 4 },
      ],
      labels: { blink: { kind: 'oneHot', classes: 2 } },
      model: { kind: 'lstm', layers: [{ units: 4 }], output: { units: 2, activation: 'softmax' }, dropout: 0 },
      loss: { kind: 'sliced', loss: { kind: 'focal', gamma: 1, alpha: 0.25 }, target: 'blink' },
      optimizer: { kind: 'adam', learningRate: 0.001, beta1: 0.9, beta2: 0.999, epsilon: 1e-7 },
      train: {
        epochs: 2,
        batchSize: 8,
        schedule: { kind: 'cosine', warmupEpochs: 0, minFraction: 0 },
        earlyStopping: { metric: 'loss', direction: 'min', patience: 2, minDelta: 0, restoreBest: false },
        shuffle: true,
        remainder: 'drop',
        reduction: 'sumOverBatchSize',
        checkpointEvery: 1,
        keepCheckpoints: false,
      },
      evaluation: { kind: 'binaryDetection', split: 'test', target: 'blink', positiveClass: 1, threshold: 0.5 },
    });
  });

  it("fills rmsprop's and adamw's defaults and leaves a plain sgd as written", () => {
    const optimizerOf = (optimizer: RunSpec['optimizer']): unknown =>
      settingsWithDefaults({ optimizer, train: { epochs: 1, batchSize: 1 } } as RunSpec).optimizer;
    expect(optimizerOf(rmsprop({ learningRate: 0.01, rho: 0.8 }))).toEqual({
      kind: 'rmsprop',
      learningRate: 0.01,
      rho: 0.8,
      momentum: 0,
      epsilon: 1e-7,
      centered: false,
    });
    expect(optimizerOf(adamw({ learningRate: 0.01, weightDecay: 0.1 }))).toEqual({
      kind: 'adamw',
      learningRate: 0.01,
      weightDecay: 0.1,
      beta1: 0.9,
      beta2: 0.999,
      epsilon: 1e-7,
    });
    expect(optimizerOf(sgd(0.1))).toEqual({ kind: 'sgd', learningRate: 0.1 });
  });

  it('prints lists of numbers on one line', () => {
    expect(prettySettings({ classes: [1, 3], nested: [{ a: 1 }] })).toBe(
      '{\n  "classes": [1, 3],\n  "nested": [\n    {\n      "a": 1\n    }\n  ]\n}',
    );
  });
});

describe('dataFileProblems: every data file is checked before a run, none is read', () => {
  const folder = mkdtempSync(join(tmpdir(), 'losslab-dry-run-'));
  afterAll(() => rmSync(folder, { recursive: true, force: true }));
  mkdirSync(join(folder, 'data'));
  for (const name of ['train-images.gz', 'train-labels.gz', 'points.csv'])
    writeFileSync(join(folder, 'data', name), '');

  const definition = defineExperiment({
    name: 'files',
    description: 'data files that exist and one that does not',
    data: idx({
      dir: 'data',
      splits: { train: { images: 'train-images.gz', labels: 'train-labels.gz' } },
      scale: 'none',
    }),
    labels: { digit: oneHot(2) },
    model: { kind: 'mlp', hidden: [], output: { units: 2, activation: 'softmax' } },
    loss: { kind: 'categoricalCrossentropy' },
    optimizer: adam(),
    train: { epochs: 1, batchSize: 2 },
    evaluation: { kind: 'classification', split: 'train', target: 'digit' },
    seeds: [0],
    variants: {
      images: {},
      points: { data: csv({ dir: 'data', splits: { train: 'point.csv' }, features: ['x'], label: 'c' }) },
      folder: { data: { splits: { train: { labels: '.' } } } },
    },
  });
  const problemsOf = (names: string[]) => {
    const resolved = resolveExperiment(definition, 'files.ts', { variants: names });
    if (E.isLeft(resolved)) throw new Error(resolved.left.problems.join('\n'));
    return dataFileProblems(resolved.right, registry, folder);
  };

  it('files that are there and readable pass', () => {
    expect(problemsOf(['images'])).toEqual([]);
  });

  it('a missing file or a folder names the variant, the field and the path', () => {
    expect(problemsOf(['images', 'points', 'folder'])).toEqual([
      `variants.points → data.splits.train: cannot read ${join(folder, 'data', 'point.csv')} (no such file; did you mean "points.csv"?)`,
      `variants.folder → data.splits.train.labels: cannot read ${join(folder, 'data')} (a folder, not a file)`,
    ]);
  });

  it('a problem every variant shares is said once, without a variant', () => {
    expect(problemsOf(['points'])).toEqual([
      `data.splits.train: cannot read ${join(folder, 'data', 'point.csv')} (no such file; did you mean "points.csv"?)`,
    ]);
  });
});

describe('settingsWithDefaults of a sequential model', () => {
  it('writes each layer’s Keras defaults beside what the layer says', () => {
    const spec: RunSpec = {
      data: blinkStream(),
      labels: { blink: oneHot(2) },
      model: sequential({
        layers: [
          { kind: 'conv2d', filters: 2, kernelSize: 3 },
          { kind: 'maxPooling2d', poolSize: 3 },
          { kind: 'batchNormalization', epsilon: 0.01 },
          { kind: 'flatten' },
          { kind: 'dense', units: 2, activation: 'softmax' },
        ],
      }),
      loss: sliced(focal({ gamma: 1 }), { target: 'blink' }),
      optimizer: adam(),
      train: { epochs: 1, batchSize: 8 },
      evaluation: binaryDetection({ split: 'test', target: 'blink', positiveClass: 1 }),
    };
    expect(settingsWithDefaults(spec).model).toEqual({
      kind: 'sequential',
      layers: [
        { kind: 'conv2d', filters: 2, kernelSize: 3, strides: 1, padding: 'valid', activation: 'linear' },
        { kind: 'maxPooling2d', poolSize: 3, strides: 3, padding: 'valid' },
        { kind: 'batchNormalization', epsilon: 0.01, momentum: 0.99 },
        { kind: 'flatten' },
        { kind: 'dense', units: 2, activation: 'softmax' },
      ],
    });
  });
});
