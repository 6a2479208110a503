import { carveSplit, longTail as longTailRows, subsampleClasses, type LabelledRows } from '@losslab/data';
import { CarveValidation, LongTail, Subsample, type Split, type TransformSpec } from '@losslab/schema';
import type * as t from 'io-ts';
import { builderOf } from './define.js';
import { standardizeKinds } from './standardize.js';
import type { DataProvides, RowsBySplit, TransformContext, TransformKind } from './table.js';

export { standardize } from './standardize.js';

/**
 * The transform family: changes of the loaded splits, applied in order; each entry beside its builder.
 * A seeded transform draws from its declared `seed` (the same rows for every run seed) or, when it
 * declares none, from the run's data seed (`context.seed`), so each run seed is a new draw.
 */

/** The seed a transform draws from: its declared one, else the run's. */
const drawSeed = (spec: { seed?: number }, context: TransformContext): number => spec.seed ?? context.seed;

const missingSplit = (split: Split, input: DataProvides): string[] =>
  input.splits.includes(split) ? [] : [`split: the data has no "${split}" split (it has ${input.splits.join(', ')})`];

/** A transform of one split that keeps the data's shape. */
const splitTransform = <S extends { kind: string; split?: Split; seed?: number }>(
  transform: Omit<TransformKind<S>, 'provides' | 'apply'>,
  apply: (spec: S, rows: LabelledRows, seed: number) => LabelledRows,
): TransformKind<S> => ({
  ...transform,
  provides: (spec, input) => ({ provides: input, problems: missingSplit(spec.split ?? 'train', input) }),
  apply(spec, splits, context) {
    const split = spec.split ?? 'train';
    const rows = splits[split];
    return rows === undefined ? splits : { ...splits, [split]: apply(spec, rows, drawSeed(spec, context)) };
  },
});

const subsampleTransform = splitTransform({ kind: 'subsample', codec: Subsample }, (spec, rows, seed) =>
  subsampleClasses(rows, { classes: spec.classes, keep: spec.keep, seed }),
);
/**
 * Keeps a seeded `keep` fraction of the rows of each class in `classes` (of `split`, default train).
 * Without `seed` each run seed draws other rows; with it every run seed keeps the same rows.
 */
export const subsample = (options: { classes: number[]; keep: number; seed?: number; split?: Split }): TransformSpec =>
  builderOf(subsampleTransform)(options);

const longTailTransform = splitTransform({ kind: 'longTail', codec: LongTail }, (spec, rows, seed) =>
  longTailRows(rows, { ratio: spec.ratio, seed }),
);
/**
 * The long-tailed profile of Cui et al. 2019 over all classes: class i keeps
 * `n_max · ratio^(−i/(C−1))` rows, n_max the smallest class count (of `split`, default train).
 * Without `seed` each run seed draws other rows; with it every run seed keeps the same rows.
 */
export const longTail = (options: { ratio: number; seed?: number; split?: Split }): TransformSpec =>
  builderOf(longTailTransform)(options);

const carveValidationTransform: TransformKind<CarveValidation> = {
  kind: 'carveValidation',
  codec: CarveValidation,
  provides: (spec, input) => ({
    provides: { ...input, splits: [...new Set<Split>([...input.splits, 'validation'])] },
    problems: [
      ...missingSplit('train', input),
      ...(input.splits.includes('validation') ? ['kind: the data already has a "validation" split'] : []),
    ],
  }),
  apply(spec, splits, context): RowsBySplit {
    const train = splits.train;
    if (train === undefined) return splits;
    const { rest, carved } = carveSplit(train, { fraction: spec.fraction, seed: drawSeed(spec, context) });
    return { ...splits, train: rest, validation: carved };
  },
};
type CarveValidation = t.TypeOf<typeof CarveValidation>;
/**
 * A validation split carved from train: a seeded `fraction` of its rows. Without `seed` each run
 * seed carves other rows; with it every run seed carves the same rows.
 */
export const carveValidation = (options: { fraction: number; seed?: number }): TransformSpec =>
  builderOf(carveValidationTransform)(options);

/** Every built-in transform entry. */
export const transformKinds: readonly TransformKind[] = [
  carveValidationTransform,
  subsampleTransform,
  longTailTransform,
  ...standardizeKinds,
];
