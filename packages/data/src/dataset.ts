import * as tf from '@tensorflow/tfjs-core';
import { LosslabError, requireInteger } from '@losslab/runtime';

/**
 * The in-memory dataset every losslab package uses: `size` samples, each with a feature block of
 * shape `featureShape` and a label row of `labelWidth` columns, both row-major.
 */
export interface ArrayDataset {
  /** size × prod(featureShape), row-major. */
  readonly features: Float32Array;
  /** Per-sample shape, e.g. [28, 28] or [windowLength, featuresPerFrame]. */
  readonly featureShape: readonly number[];
  /** size × labelWidth. */
  readonly labels: Float32Array;
  readonly labelWidth: number;
  readonly size: number;
}

/** A batch of tensors: `x` is [size, ...featureShape], `y` is [size, labelWidth]. The caller disposes x and y. */
export interface Batch {
  readonly x: tf.Tensor;
  readonly y: tf.Tensor2D;
  readonly size: number;
}

/** Number of feature values per sample: prod(featureShape) (1 for a scalar feature, shape []). */
export const featureSize = (featureShape: readonly number[]): number => featureShape.reduce((a, b) => a * b, 1);

/**
 * Builds an {@link ArrayDataset} after checking that every length agrees; `size` is inferred
 * from the labels. Errors name the argument and both lengths.
 *
 * @example
 * const ds = arrayDataset({
 *   features: Float32Array.of(1, 2, 3, 4), featureShape: [2],
 *   labels: Float32Array.of(0, 1), labelWidth: 1,
 * }); // ds.size === 2
 */
export function arrayDataset(parts: Omit<ArrayDataset, 'size'>): ArrayDataset {
  const { features, featureShape, labels, labelWidth } = parts;
  requireInteger('labelWidth', labelWidth, 1);
  featureShape.forEach((dim, axis) => requireInteger(`featureShape[${axis}]`, dim, 1));
  if (labels.length % labelWidth !== 0) {
    throw new LosslabError(
      'SHAPE_MISMATCH',
      `labels: length ${labels.length} is not a multiple of labelWidth ${labelWidth}`,
    );
  }
  const size = labels.length / labelWidth;
  const perSample = featureSize(featureShape);
  if (features.length !== size * perSample) {
    throw new LosslabError(
      'SHAPE_MISMATCH',
      `features: expected ${size} × ${perSample} = ${size * perSample} values for ${size} labels and featureShape [${featureShape.join(', ')}], got ${features.length}`,
    );
  }
  return { features, featureShape: [...featureShape], labels, labelWidth, size };
}

/** Throws `SHAPE_MISMATCH` unless the feature and label lengths agree with `size`; the message names `what`. */
export function checkDataset(dataset: ArrayDataset, what = 'dataset'): void {
  const perSample = featureSize(dataset.featureShape);
  if (
    dataset.features.length !== dataset.size * perSample ||
    dataset.labels.length !== dataset.size * dataset.labelWidth
  ) {
    throw new LosslabError(
      'SHAPE_MISMATCH',
      `${what}: size ${dataset.size} does not match features (${dataset.features.length} values, ${perSample} per sample) or labels (${dataset.labels.length} values, ${dataset.labelWidth} per sample)`,
    );
  }
}

/**
 * Copies the rows `indices` (in that order; repeats allowed) into a new dataset.
 *
 * @example
 * const firstAndLast = subset(ds, [0, ds.size - 1]);
 */
export function subset(dataset: ArrayDataset, indices: ArrayLike<number>): ArrayDataset {
  checkDataset(dataset);
  const perSample = featureSize(dataset.featureShape);
  const width = dataset.labelWidth;
  const features = new Float32Array(indices.length * perSample);
  const labels = new Float32Array(indices.length * width);
  for (let row = 0; row < indices.length; row++) {
    const source = indices[row]!;
    if (!Number.isInteger(source) || source < 0 || source >= dataset.size) {
      throw new LosslabError(
        'INVALID_ARGUMENT',
        `indices[${row}]: expected an integer row in [0, ${dataset.size}), got ${source}`,
      );
    }
    features.set(dataset.features.subarray(source * perSample, (source + 1) * perSample), row * perSample);
    labels.set(dataset.labels.subarray(source * width, (source + 1) * width), row * width);
  }
  return { features, featureShape: [...dataset.featureShape], labels, labelWidth: width, size: indices.length };
}

/**
 * The first `n` rows (views that share memory with `dataset`, no copy); n must be ≤ size.
 *
 * @example
 * const tiny = take(mnistTrain, 256);
 */
export function take(dataset: ArrayDataset, n: number): ArrayDataset {
  checkDataset(dataset);
  requireInteger('n', n, 0);
  if (n > dataset.size) {
    throw new LosslabError('INVALID_ARGUMENT', `n: expected at most the dataset size ${dataset.size}, got ${n}`);
  }
  const perSample = featureSize(dataset.featureShape);
  return {
    features: dataset.features.subarray(0, n * perSample),
    featureShape: [...dataset.featureShape],
    labels: dataset.labels.subarray(0, n * dataset.labelWidth),
    labelWidth: dataset.labelWidth,
    size: n,
  };
}

/**
 * Stacks datasets with the same featureShape and labelWidth, in order.
 *
 * @example
 * const all = concatDatasets([subjectA, subjectB]); // size = a.size + b.size
 */
export function concatDatasets(datasets: readonly ArrayDataset[]): ArrayDataset {
  const first = datasets[0];
  if (first === undefined) throw new LosslabError('INVALID_ARGUMENT', 'datasets: expected at least one dataset');
  datasets.forEach((d, i) => {
    checkDataset(d, `datasets[${i}]`);
    if (d.labelWidth !== first.labelWidth || d.featureShape.join(',') !== first.featureShape.join(',')) {
      throw new LosslabError(
        'SHAPE_MISMATCH',
        `datasets[${i}]: expected featureShape [${first.featureShape.join(', ')}] and labelWidth ${first.labelWidth} like datasets[0], got [${d.featureShape.join(', ')}] and ${d.labelWidth}`,
      );
    }
  });
  const size = datasets.reduce((n, d) => n + d.size, 0);
  const features = new Float32Array(size * featureSize(first.featureShape));
  const labels = new Float32Array(size * first.labelWidth);
  let featureAt = 0;
  let labelAt = 0;
  for (const d of datasets) {
    features.set(d.features, featureAt);
    labels.set(d.labels, labelAt);
    featureAt += d.features.length;
    labelAt += d.labels.length;
  }
  return { features, featureShape: [...first.featureShape], labels, labelWidth: first.labelWidth, size };
}

/**
 * The whole dataset as one batch, for evaluation: x [size, ...featureShape], y [size, labelWidth].
 * The caller disposes x and y.
 *
 * @example
 * const { x, y } = datasetTensors(testSet);
 * try { evaluate(model.predict(x), y); } finally { x.dispose(); y.dispose(); }
 */
export function datasetTensors(dataset: ArrayDataset): Batch {
  checkDataset(dataset);
  const x = tf.tensor(dataset.features, [dataset.size, ...dataset.featureShape], 'float32');
  const y = tf.tensor2d(dataset.labels, [dataset.size, dataset.labelWidth], 'float32');
  return { x, y, size: dataset.size };
}
