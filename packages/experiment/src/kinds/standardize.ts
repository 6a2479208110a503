import * as t from 'io-ts';
import { channelStats, standardizeRows } from '@losslab/data';
import { closed, type UserKindSpec } from '@losslab/schema';
import { openBuilderOf } from './define.js';
import type { TransformKind } from './table.js';

/** The standardize transform: per-channel statistics of the train split, applied to every split. */

const Standardize = closed('standardize transform', { kind: t.literal('standardize') });
type Standardize = t.TypeOf<typeof Standardize>;

const standardizeTransform: TransformKind<Standardize> = {
  kind: 'standardize',
  codec: Standardize,
  provides: (_spec, input) => ({
    provides: input,
    problems: input.splits.includes('train') ? [] : ['kind: standardize needs a "train" split to measure'],
  }),
  // The statistics go into the run record's data fingerprint.
  recorded(_spec, splits): Record<string, string> {
    if (splits.train === undefined) return {};
    const stats = channelStats(splits.train);
    return { mean: JSON.stringify(stats.mean), std: JSON.stringify(stats.std) };
  },
  apply(_spec, splits) {
    if (splits.train === undefined) return splits;
    const stats = channelStats(splits.train);
    return Object.fromEntries(Object.entries(splits).map(([split, rows]) => [split, standardizeRows(rows, stats)]));
  },
};

/**
 * Per-channel standardisation: the mean and standard deviation of each channel (the last feature
 * axis) over the train split, then `(x − mean) / std` on every split. Recorded in the data fingerprint.
 *
 * @example transforms: [standardize()]
 */
export const standardize = (): UserKindSpec => openBuilderOf(standardizeTransform)({});

/** The entries of this file, registered in `kinds/transforms.ts`. */
export const standardizeKinds: readonly TransformKind[] = [standardizeTransform];
