import * as tf from '@tensorflow/tfjs-core';
import { LosslabError, createRng, deriveSeed, requireInteger } from '@losslab/runtime';
import type { BatchAugment } from './augment.js';
import { type ArrayDataset, type Batch, checkDataset, featureSize, subset } from './dataset.js';

/**
 * How an epoch is cut into batches: rows are shuffled per epoch from `seed` when `shuffle`, and
 * a last partial batch is dropped or kept according to `remainder`.
 */
export interface BatchPlan {
  readonly batchSize: number;
  readonly shuffle: boolean;
  readonly remainder: 'drop' | 'keep';
  readonly seed: number;
}

function checkPlan(plan: BatchPlan): void {
  requireInteger('plan.batchSize', plan.batchSize, 1);
  requireInteger('plan.seed', plan.seed, 0);
  // Checked at run time too: plans also come from JavaScript and from parsed JSON.
  const remainder: string = plan.remainder;
  if (remainder !== 'drop' && remainder !== 'keep') {
    throw new LosslabError(
      'INVALID_ARGUMENT',
      `plan.remainder: expected "drop" or "keep", got ${JSON.stringify(plan.remainder)}`,
    );
  }
  if (typeof plan.shuffle !== 'boolean') {
    throw new LosslabError('INVALID_ARGUMENT', `plan.shuffle: expected a boolean, got ${JSON.stringify(plan.shuffle)}`);
  }
}

/**
 * Number of batches per epoch: ⌊size / batchSize⌋ with remainder 'drop', ⌈size / batchSize⌉ with 'keep'.
 *
 * @example
 * batchCount(60000, { batchSize: 128, shuffle: true, remainder: 'drop', seed: 0 }); // 468
 * batchCount(60000, { batchSize: 128, shuffle: true, remainder: 'keep', seed: 0 }); // 469
 */
export function batchCount(size: number, plan: BatchPlan): number {
  requireInteger('size', size, 0);
  checkPlan(plan);
  return plan.remainder === 'drop' ? Math.floor(size / plan.batchSize) : Math.ceil(size / plan.batchSize);
}

/**
 * The row order of epoch `epoch`: a Fisher–Yates permutation of 0..size-1 drawn from
 * `createRng(deriveSeed(plan.seed, 'shuffle', epoch))` when `plan.shuffle`, the identity otherwise.
 * Same seed and epoch ⇒ same order; another epoch ⇒ (almost surely) another order.
 *
 * @example
 * epochOrder(5, { batchSize: 2, shuffle: true, remainder: 'keep', seed: 7 }, 0); // e.g. Int32Array [3, 0, 4, 1, 2]
 */
export function epochOrder(size: number, plan: BatchPlan, epoch: number): Int32Array {
  requireInteger('size', size, 0);
  checkPlan(plan);
  requireInteger('epoch', epoch, 0);
  const order = new Int32Array(size);
  for (let i = 0; i < size; i++) order[i] = i;
  if (plan.shuffle) createRng(deriveSeed(plan.seed, 'shuffle', epoch)).shuffle(order);
  return order;
}

/**
 * Yields the batches of epoch `epoch` in {@link epochOrder}: each gathers its rows into fresh
 * tensors x [b, ...featureShape] and y [b, labelWidth] (float32). Tensors are created only when
 * a batch is requested, so stopping early leaks nothing; the caller disposes each x and y.
 * `augment` (training batches only) replaces each batch's features, given the epoch and the
 * batch's 0-based index.
 *
 * @example
 * for (const { x, y } of batches(train, plan, epoch)) {
 *   try { step(x, y); } finally { x.dispose(); y.dispose(); }
 * }
 */
export function* batches(
  dataset: ArrayDataset,
  plan: BatchPlan,
  epoch: number,
  augment?: BatchAugment,
): Generator<Batch> {
  checkDataset(dataset);
  const order = epochOrder(dataset.size, plan, epoch);
  const count = batchCount(dataset.size, plan);
  // wasm copies a tensor's values into its heap, so one pair of gather buffers serves every
  // batch there (cpu keeps the array as the tensor's data; an augment may keep its input).
  const gather = augment === undefined && tf.getBackend() === 'wasm' ? reusingGather(dataset) : subset;
  for (let b = 0; b < count; b++) {
    const rows = gather(dataset, order.subarray(b * plan.batchSize, Math.min((b + 1) * plan.batchSize, dataset.size)));
    const features = augment === undefined ? rows.features : augment(rows.features, epoch, b);
    const x = tf.tensor(features, [rows.size, ...rows.featureShape], 'float32');
    const y = tf.tensor2d(rows.labels, [rows.size, rows.labelWidth], 'float32');
    yield { x, y, size: rows.size };
  }
}

/**
 * `subset` into buffers reused from call to call (sized for the largest batch so far): the rows
 * of `dataset` at `indices`, which {@link epochOrder} made (in range, no check per row). Each
 * call overwrites the previous call's rows.
 */
function reusingGather(dataset: ArrayDataset): (data: ArrayDataset, indices: Int32Array) => ArrayDataset {
  const perSample = featureSize(dataset.featureShape);
  const width = dataset.labelWidth;
  let features = new Float32Array(0);
  let labels = new Float32Array(0);
  return (data, indices) => {
    const rows = indices.length;
    if (features.length < rows * perSample) features = new Float32Array(rows * perSample);
    if (labels.length < rows * width) labels = new Float32Array(rows * width);
    const source = data.features;
    const sourceLabels = data.labels;
    for (let row = 0; row < rows; row++) {
      const at = indices[row]!;
      features.set(source.subarray(at * perSample, (at + 1) * perSample), row * perSample);
      // Label rows are a few values: a loop beats making a subarray view per row.
      for (let k = 0; k < width; k++) labels[row * width + k] = sourceLabels[at * width + k]!;
    }
    return {
      features: features.subarray(0, rows * perSample),
      featureShape: data.featureShape,
      labels: labels.subarray(0, rows * width),
      labelWidth: width,
      size: rows,
    };
  };
}
