import * as t from 'io-ts';
import type { LabelledRows } from '@losslab/data';
import { readNpySplit, readNpzSplits } from '@losslab/data/node';
import { closed, NonEmptyString, Scale, type Split } from '@losslab/schema';
import { dataFolder, pathIn, splitsOf } from './data-paths.js';
import { openBuilderOf, type KindBuilder } from './define.js';
import type { DataKind } from './table.js';

/** The NumPy data kinds: `.npy` files per array, or one `.npz` archive of named arrays. */

/** Features `x` ([n, ...featureShape]) and labels `y` (class ids [n] or one-hot rows [n, classes]). */
const ArrayPair = closed('an { x, y } pair', { x: NonEmptyString, y: NonEmptyString });
const arraysPerSplit = (name: string) => closed(name, { train: ArrayPair }, { validation: ArrayPair, test: ArrayPair });

const NUMPY_OPTIONS = {
  /** Where relative paths start (as for `idx` and `csv`). */
  package: NonEmptyString,
  dir: NonEmptyString,
  /** Features are divided by `divideBy`; default "none". */
  scale: Scale,
};

/** One `.npy` file per array: `splits.<split>.x` and `.y` are file paths. */
const NpyData = closed(
  'npy data',
  { kind: t.literal('npy'), splits: arraysPerSplit('.npy files per split (train required)') },
  NUMPY_OPTIONS,
);
type NpyData = t.TypeOf<typeof NpyData>;

/** One `.npz` archive (`numpy.savez`, `savez_compressed`): `splits.<split>.x` and `.y` name its arrays. */
const NpzData = closed(
  'npz data',
  { kind: t.literal('npz'), file: NonEmptyString, splits: arraysPerSplit('array names per split (train required)') },
  NUMPY_OPTIONS,
);
type NpzData = t.TypeOf<typeof NpzData>;

const divideByOf = (scale: Scale | undefined): number => (scale === undefined || scale === 'none' ? 1 : scale.divideBy);

const provides = (spec: NpyData | NpzData) => ({ splits: splitsOf(spec.splits).map(([split]) => split), columns: [] });

const npyData: DataKind<NpyData> = {
  kind: 'npy',
  codec: NpyData,
  provides,
  files(spec, { baseDir }) {
    const folder = dataFolder(spec, baseDir);
    return splitsOf(spec.splits).flatMap(([split, files]) =>
      (['x', 'y'] as const).map((part) => ({ field: `splits.${split}.${part}`, path: pathIn(folder, files[part]) })),
    );
  },
  async load(spec, { baseDir }) {
    const folder = dataFolder(spec, baseDir);
    const splits: Partial<Record<Split, LabelledRows>> = {};
    const fingerprint: Record<string, string> = {};
    for (const [split, files] of splitsOf(spec.splits)) {
      const read = await readNpySplit(
        { x: pathIn(folder, files.x), y: pathIn(folder, files.y) },
        { divideBy: divideByOf(spec.scale) },
      );
      splits[split] = read.rows;
      const [x, y] = read.files;
      if (x !== undefined) fingerprint[files.x] = x.sha256;
      if (y !== undefined) fingerprint[files.y] = y.sha256;
    }
    return { splits, fingerprint };
  },
};

const npzData: DataKind<NpzData> = {
  kind: 'npz',
  codec: NpzData,
  provides,
  files: (spec, { baseDir }) => [{ field: 'file', path: pathIn(dataFolder(spec, baseDir), spec.file) }],
  async load(spec, { baseDir }) {
    const read = await readNpzSplits(pathIn(dataFolder(spec, baseDir), spec.file), spec.splits, {
      divideBy: divideByOf(spec.scale),
    });
    return { splits: read.rows, fingerprint: { [spec.file]: read.file.sha256 } };
  },
};

/**
 * NumPy `.npy` files, a feature and a label file per split (float32/float64/uint8/int32/int64/bool,
 * C order); labels are class ids or one-hot rows.
 *
 * @example npy({ splits: { train: { x: 'x_train.npy', y: 'y_train.npy' }, test: { x: 'x_test.npy', y: 'y_test.npy' } } })
 */
export const npy: KindBuilder<NpyData> = openBuilderOf(npyData);

/**
 * A NumPy `.npz` archive (`numpy.savez` or `savez_compressed`) whose arrays are named per split.
 *
 * @example npz({ file: 'table.npz', splits: { train: { x: 'x_train', y: 'y_train' }, test: { x: 'x_test', y: 'y_test' } } })
 */
export const npz: KindBuilder<NpzData> = openBuilderOf(npzData);

/** The entries of this file, registered in `kinds/data.ts`. */
export const numpyKinds: readonly DataKind[] = [npyData, npzData];
