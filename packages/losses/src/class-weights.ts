import * as tf from '@tensorflow/tfjs-core';
import { LosslabError, requireInteger, sliceBlock } from '@losslab/runtime';
import type { LabelLayout } from '@losslab/runtime';
import { ClassWeightsSpec, formatErrors } from '@losslab/schema';
import { classCountOfWidth, classIndices } from './class-indices.js';
import { isArray } from './options.js';

/**
 * How {@link classWeights} turns class counts `n_j` (k classes, `N = Σ n_j`) into weights:
 * - `inverse`: `N / n_j` — the Keras-style weights of the blink reference.
 * - `balanced`: `N / (k · n_j)` — scikit-learn's `class_weight='balanced'`.
 * - `effectiveNumber`: `(1 − β) / (1 − β^{n_j})`, normalised to sum to k — Cui et al. 2019,
 *   "Class-Balanced Loss Based on Effective Number of Samples"; `beta` in [0, 1).
 * - `explicit`: the given positive `values`, one per class.
 * Plain data, so it can sit in an experiment definition: the schema's `ClassWeightsSpec`, whose
 * codec checks it.
 */
export type ClassWeightStrategy = ClassWeightsSpec;

/** Options of {@link classCounts} for a label tensor: the block that holds the class. */
export interface ClassCountsOptions {
  readonly layout: LabelLayout;
  readonly target: string;
}

/**
 * Counts samples per class.
 * - From class ids: `classCounts([0, 2, 2], 3)` → `[1, 0, 2]` (each id an integer in [0, numClasses)).
 * - From a label tensor `[batch, width]`: the class of each row is `argMax` over the target block
 *   (or `y ≥ 0.5` for a one-column binary block; see {@link classIndices}). Without options the
 *   whole label is the target block. Reads the labels to the CPU once; the tensor is not disposed.
 *
 * @example
 * classCounts([1, 1, 0, 1], 2); // [1, 3]
 * classCounts(labels, { layout: labelLayout({ digit: 10, isOdd: 1 }), target: 'digit' }); // 10 counts
 */
export function classCounts(classIds: ArrayLike<number>, numClasses: number): number[];
export function classCounts(labels: tf.Tensor2D, options?: ClassCountsOptions): number[];
export function classCounts(source: ArrayLike<number> | tf.Tensor2D, second?: number | ClassCountsOptions): number[] {
  if (source instanceof tf.Tensor) {
    const options = typeof second === 'object' ? second : undefined;
    const block = options === undefined ? source : sliceBlock(source, options.layout, options.target);
    try {
      const ids = classIndices(block);
      const values = ids.dataSync();
      ids.dispose();
      return countIds(values, classCountOfWidth(block.shape[1]));
    } finally {
      if (block !== source) block.dispose();
    }
  }
  if (typeof second !== 'number') {
    throw new LosslabError(
      'INVALID_ARGUMENT',
      'classCounts: numClasses: expected an integer >= 1 when counting class ids',
    );
  }
  return countIds(source, requireInteger('classCounts: numClasses', second, 1));
}

function countIds(ids: ArrayLike<number>, numClasses: number): number[] {
  const counts = new Array<number>(numClasses).fill(0);
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i]!;
    if (!Number.isInteger(id) || id < 0 || id >= numClasses) {
      throw new LosslabError(
        'INVALID_ARGUMENT',
        `classCounts: classIds[${i}]: expected an integer in [0, ${numClasses}), got ${String(id)}`,
      );
    }
    counts[id] = (counts[id] ?? 0) + 1;
  }
  return counts;
}

/**
 * Class weights from class counts by a {@link ClassWeightStrategy}, which the schema's
 * `ClassWeightsSpec` codec checks first (`classWeights: strategy.beta: expected a number in
 * [0, 1), got 1`). A class with zero samples is an `INVALID_ARGUMENT` error naming the class index
 * (never an Infinity weight), except for `explicit`, which does not divide by counts.
 *
 * @example
 * classWeights([95, 5], { kind: 'inverse' });  // [100/95, 20]
 * classWeights([95, 5], { kind: 'balanced' }); // [100/190, 10]
 * classWeights([95, 5], { kind: 'effectiveNumber', beta: 0.9 }); // ≈ [0.581, 1.419], sums to 2
 */
export function classWeights(counts: readonly number[], strategy: ClassWeightStrategy): number[] {
  if (!isArray(counts) || counts.length === 0) {
    throw new LosslabError('INVALID_ARGUMENT', 'classWeights: counts: expected a non-empty array of class counts');
  }
  counts.forEach((count, index) => requireInteger(`classWeights: counts[${index}]`, count, 0));
  const decoded = ClassWeightsSpec.decode(strategy);
  if (decoded._tag === 'Left') {
    const problems = formatErrors(decoded.left, 'strategy').map((line) => `classWeights: ${line}`);
    throw new LosslabError('INVALID_ARGUMENT', problems.join('; '));
  }
  const k = counts.length;
  const spec = decoded.right;
  if (spec.kind === 'explicit') {
    // The class count comes from the data, so no codec can compare it with the values.
    if (spec.values.length !== k) {
      throw new LosslabError(
        'SHAPE_MISMATCH',
        `classWeights: values has length ${spec.values.length} but counts has ${k} classes`,
      );
    }
    return [...spec.values];
  }
  counts.forEach((count, index) => {
    if (count === 0) {
      throw new LosslabError(
        'INVALID_ARGUMENT',
        `classWeights: class ${index} has no samples (counts[${index}] = 0); strategy "${spec.kind}" would give it an infinite weight`,
      );
    }
  });
  const total = counts.reduce((sum, count) => sum + count, 0);
  switch (spec.kind) {
    case 'inverse':
      return counts.map((count) => total / count);
    case 'balanced':
      return counts.map((count) => total / (k * count));
    case 'effectiveNumber': {
      const { beta } = spec;
      const raw = counts.map((count) => (1 - beta) / (1 - beta ** count));
      const rawSum = raw.reduce((sum, value) => sum + value, 0);
      return raw.map((value) => (value * k) / rawSum);
    }
  }
}
