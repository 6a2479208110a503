import { createRequire } from 'node:module';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import {
  blinkSplits,
  carveSplit,
  classFlagBlock,
  columnBlock,
  defaultBlinkSplitConfig,
  longTail,
  oneHotBlock,
  resolveBlinkStreamConfig,
  selectRows,
  subsampleClasses,
  type ArrayDataset,
  type LabelledRows,
} from '@losslab/data';
import { readCsvSplit, readIdxSplit } from '@losslab/data/node';
import {
  BlinkStreamData,
  CarveValidation,
  ColumnLabel,
  CsvData,
  FlagLabel,
  IdxData,
  LongTail,
  OneHotLabel,
  Subsample,
  type Split,
} from '@losslab/schema';
import { messageOf } from '../message.js';
import type { DataKind, DataProvides, LabelKind, RowsBySplit, TransformKind } from './table.js';

/** Built-in data sources, transforms and label blocks. */

type FileBase = Pick<IdxData, 'package' | 'dir'>;

/** The folder relative data paths start from: an npm package's folder, or the definition's, then `dir`. */
function dataFolder(spec: FileBase, baseDir: string): string {
  const root =
    spec.package === undefined
      ? baseDir
      : dirname(createRequire(import.meta.url).resolve(`${spec.package}/package.json`));
  return spec.dir === undefined ? root : resolve(root, spec.dir);
}

const pathIn = (folder: string, file: string): string => (isAbsolute(file) ? file : join(folder, file));

/** The first `limit` rows, or all. */
const head = (rows: LabelledRows, limit: number | undefined): LabelledRows =>
  limit === undefined || limit >= rows.size
    ? rows
    : selectRows(
        rows,
        Array.from({ length: limit }, (_, i) => i),
      );

const splitsOf = <V>(splits: Partial<Record<Split, V>>): [Split, V][] =>
  Object.entries(splits).filter((entry): entry is [Split, V] => entry[1] !== undefined);

export const idxData: DataKind<IdxData> = {
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
      splits[split] = read.rows;
      // Keyed by the path as the definition writes it: two splits' files of one name stay apart.
      const [images, labels] = read.files;
      if (images !== undefined) fingerprint[files.images] = images.sha256;
      if (labels !== undefined) fingerprint[files.labels] = labels.sha256;
    }
    if (spec.limit !== undefined) fingerprint.limit = String(spec.limit);
    return { splits, fingerprint };
  },
};

export const csvData: DataKind<CsvData> = {
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
};

/** The class of each window from its one-hot [other, blink] label. */
const windowRows = (data: ArrayDataset): LabelledRows => ({
  features: data.features,
  featureShape: data.featureShape,
  classIds: Int32Array.from({ length: data.size }, (_, row) => ((data.labels[row * 2 + 1] ?? 0) >= 0.5 ? 1 : 0)),
  columns: {},
  size: data.size,
});

export const blinkStreamData: DataKind<BlinkStreamData> = {
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
};

// ---- transforms -------------------------------------------------------------------------

const missingSplit = (split: Split, input: DataProvides): string[] =>
  input.splits.includes(split) ? [] : [`split: the data has no "${split}" split (it has ${input.splits.join(', ')})`];

/** A transform of one split that keeps the data's shape. */
const splitTransform = <S extends { kind: string; split?: Split }>(
  transform: Omit<TransformKind<S>, 'provides' | 'apply'>,
  apply: (spec: S, rows: LabelledRows) => LabelledRows,
): TransformKind<S> => ({
  ...transform,
  provides: (spec, input) => ({ provides: input, problems: missingSplit(spec.split ?? 'train', input) }),
  apply(spec, splits) {
    const split = spec.split ?? 'train';
    const rows = splits[split];
    return rows === undefined ? splits : { ...splits, [split]: apply(spec, rows) };
  },
});

export const subsampleTransform = splitTransform({ kind: 'subsample', codec: Subsample }, (spec, rows) =>
  subsampleClasses(rows, { classes: spec.classes, keep: spec.keep, seed: spec.seed ?? 0 }),
);

export const longTailTransform = splitTransform({ kind: 'longTail', codec: LongTail }, (spec, rows) =>
  longTail(rows, { ratio: spec.ratio, seed: spec.seed ?? 0 }),
);

export const carveValidationTransform: TransformKind<CarveValidation> = {
  kind: 'carveValidation',
  codec: CarveValidation,
  provides: (spec, input) => ({
    provides: { ...input, splits: [...new Set<Split>([...input.splits, 'validation'])] },
    problems: [
      ...missingSplit('train', input),
      ...(input.splits.includes('validation') ? ['kind: the data already has a "validation" split'] : []),
    ],
  }),
  apply(spec, splits): RowsBySplit {
    const train = splits.train;
    if (train === undefined) return splits;
    const { rest, carved } = carveSplit(train, { fraction: spec.fraction, seed: spec.seed ?? 0 });
    return { ...splits, train: rest, validation: carved };
  },
};
type CarveValidation = typeof CarveValidation._A;

// ---- label blocks -----------------------------------------------------------------------

type OneHotLabel = typeof OneHotLabel._A;
const oneHotClassNames = (spec: OneHotLabel): string[] =>
  typeof spec.classes === 'number' ? Array.from({ length: spec.classes }, (_, i) => String(i)) : [...spec.classes];

export const oneHotLabel: LabelKind<OneHotLabel> = {
  kind: 'oneHot',
  codec: OneHotLabel,
  width: (spec) => oneHotClassNames(spec).length,
  classNames: oneHotClassNames,
  derive: (spec, rows) => oneHotBlock(rows, oneHotClassNames(spec).length),
};

export const flagLabel: LabelKind<typeof FlagLabel._A> = {
  kind: 'flag',
  codec: FlagLabel,
  width: () => 1,
  derive: (spec, rows) => classFlagBlock(rows, spec.classes),
};

export const columnLabel: LabelKind<typeof ColumnLabel._A> = {
  kind: 'column',
  codec: ColumnLabel,
  width: () => 1,
  problems: (spec, provided) =>
    provided.columns.includes(spec.column)
      ? []
      : [
          `column: the data has no extra column "${spec.column}" (it has ${provided.columns.length > 0 ? provided.columns.join(', ') : 'none; list CSV columns in data.columns'})`,
        ],
  derive: (spec, rows) => columnBlock(rows, spec.column),
};
