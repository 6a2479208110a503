import { LosslabError } from '@losslab/runtime';
import { checkRows, type LabelledRows } from './rows.js';

/** Per-channel mean and standard deviation; a channel is one index of the last feature axis. */
export interface ChannelStats {
  readonly mean: readonly number[];
  readonly std: readonly number[];
}

/** Channels of a feature shape: its last axis ([h, w, c] → c, [n] → n), 1 for a scalar. */
const channelsOf = (featureShape: readonly number[]): number => featureShape[featureShape.length - 1] ?? 1;

/**
 * The mean and population standard deviation (divided by n, as Keras' `Normalization` and
 * scikit-learn's `StandardScaler`) of each channel over every row and position, in float64.
 *
 * @example
 * channelStats(trainRows); // { mean: [0.13], std: [0.31] } for MNIST-like [28, 28, 1] images
 */
export function channelStats(rows: LabelledRows): ChannelStats {
  checkRows(rows);
  if (rows.size === 0) throw new LosslabError('INVALID_ARGUMENT', 'rows: no rows to compute channel statistics on');
  const channels = channelsOf(rows.featureShape);
  const count = rows.features.length / channels;
  const mean = new Array<number>(channels).fill(0);
  for (let i = 0; i < rows.features.length; i++) mean[i % channels]! += rows.features[i]!;
  for (let c = 0; c < channels; c++) mean[c]! /= count;
  const variance = new Array<number>(channels).fill(0);
  for (let i = 0; i < rows.features.length; i++)
    variance[i % channels]! += (rows.features[i]! - mean[i % channels]!) ** 2;
  return { mean, std: variance.map((v) => Math.sqrt(v / count)) };
}

/**
 * `(x − mean_c) / std_c` for every value of channel c; a channel with std 0 is only centred
 * (divided by 1, as scikit-learn does), so a constant channel becomes 0 rather than NaN.
 *
 * @example
 * const stats = channelStats(train);
 * const [trainStd, testStd] = [standardizeRows(train, stats), standardizeRows(test, stats)];
 */
export function standardizeRows(rows: LabelledRows, stats: ChannelStats): LabelledRows {
  checkRows(rows);
  const channels = channelsOf(rows.featureShape);
  if (stats.mean.length !== channels || stats.std.length !== channels)
    throw new LosslabError(
      'SHAPE_MISMATCH',
      `stats: ${stats.mean.length} channel means for rows with ${channels} channels (featureShape [${rows.featureShape.join(', ')}])`,
    );
  const scale = stats.std.map((s) => (s > 0 ? s : 1));
  const features = Float32Array.from(rows.features, (v, i) => (v - stats.mean[i % channels]!) / scale[i % channels]!);
  return { ...rows, features };
}
