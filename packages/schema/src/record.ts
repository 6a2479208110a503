import * as t from 'io-ts';
import { RecordedPredictions } from './predictions.js';
import {
  closed,
  FiniteNumber,
  NonNegativeInt,
  NonNegativeNumber,
  numberWhere,
  OpenUnit,
  PositiveInt,
  tagged,
} from './codec.js';
import { RecordedDefinition } from './recorded-definition.js';
import { Seeding } from './seed-sources.js';
import { ClassGroups, TrainingData } from './training-data.js';

/**
 * The run record: everything one run of one variant with one seed produced. It is the only
 * input of the report, so this file (and not TensorFlow) is the contract between
 * `@losslab/experiment`, which writes `runs/<experiment>/<runId>/record.json`, and this package.
 */

/**
 * `base` narrowed by a property its type cannot express. Its name says what was expected
 * (`seed: expected a non-negative integer, got 1.5`); a value that is not even of the base type
 * fails with the base's name as message (`number`, `string`; see `formatDecodeErrors`), as the
 * plain base codec would. The type stays the base's, so code that builds records needs no brands.
 */
function refined<A>(base: t.Type<A>, name: string, accepts: (value: A) => boolean): t.Type<A> {
  return new t.Type<A>(
    name,
    (value): value is A => base.is(value) && accepts(value),
    (value, context) =>
      !base.is(value)
        ? t.failure(value, context, base.name)
        : accepts(value)
          ? t.success(value)
          : t.failure(value, context),
    t.identity,
  );
}

const refinedNumber = (name: string, accepts: (value: number) => boolean): t.Type<number> =>
  refined(t.number, name, accepts);

/** A rate such as accuracy: a number in [0, 1]. */
export const Rate = refinedNumber('a number in [0, 1]', (value) => value >= 0 && value <= 1);

const ISO_DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?(?:Z|[+-](\d{2}):(\d{2}))$/;

/** True for an ISO-8601 date-time with a time zone whose fields exist (no 2025-02-30, no 25:00). */
function isIsoDateTime(text: string): boolean {
  const match = ISO_DATE_TIME.exec(text);
  if (match === null) return false;
  // Absent optional groups (seconds, offset) are undefined, which Number(undefined ?? 0) reads as 0.
  const parts: (string | undefined)[] = match.slice(1);
  const [year, month, day, hour, minute, second, offsetHour, offsetMinute] = parts.map((part) => Number(part ?? 0)) as [
    number,
    number,
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  // Date.parse rolls 2025-02-30 over to March 2: check the calendar fields ourselves.
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  return (
    month >= 1 &&
    month <= 12 &&
    day >= 1 &&
    day <= daysInMonth &&
    hour <= 23 &&
    minute <= 59 &&
    second <= 59 &&
    offsetHour <= 23 &&
    offsetMinute <= 59
  );
}

/** An ISO-8601 date-time string with a time zone, as `Date.prototype.toISOString` writes it. */
export const IsoDateTime = refined(t.string, 'an ISO-8601 date-time such as 2025-01-01T00:00:00.000Z', isIsoDateTime);

const RATE_NAMES = new Set([
  'accuracy',
  'precision',
  'recall',
  'f1',
  'auc',
  'prAuc',
  'rocAuc',
  'specificity',
  'sensitivity',
  'positiveRate',
]);
const RATE_SUFFIXES = ['Accuracy', 'Precision', 'Recall', 'F1', 'Auc'];

/**
 * Whether a metric is a rate, i.e. a fraction in [0, 1], judged by its name only: the part after
 * the last dot (`even.accuracy` → `accuracy`) is one of accuracy, precision, recall, f1, auc,
 * prAuc, rocAuc, specificity, sensitivity, positiveRate, or ends in Accuracy, Precision, Recall,
 * F1 or Auc (balancedAccuracy, majorityAccuracy, macroF1). Everything else (loss, counts, custom
 * scores) need only be finite.
 *
 * @example isRateMetric('balancedAccuracy') // true
 * @example isRateMetric('validation.loss') // false
 */
export function isRateMetric(key: string): boolean {
  const name = key.slice(key.lastIndexOf('.') + 1);
  return RATE_NAMES.has(name) || RATE_SUFFIXES.some((suffix) => name.length > suffix.length && name.endsWith(suffix));
}

/** `name → value` metrics: rates (see {@link isRateMetric}) in [0, 1], every other value finite. */
export const MetricValues = new t.Type<Record<string, number>>(
  'an object of metric name → number',
  (value): value is Record<string, number> =>
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    Object.entries(value).every(([key, item]) => (isRateMetric(key) ? Rate : FiniteNumber).is(item)),
  (value, context) => {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return t.failure(value, context);
    const errors: t.ValidationError[] = [];
    for (const [key, item] of Object.entries(value as Record<string, unknown>)) {
      const codec = isRateMetric(key) ? Rate : FiniteNumber;
      const result = codec.validate(item, t.appendContext(context, key, codec, item));
      if (result._tag === 'Left') errors.push(...result.left);
    }
    return errors.length > 0 ? t.failures(errors) : t.success(value as Record<string, number>);
  },
  t.identity,
);

/** Comparison operators a threshold claim may use. */
export const ClaimOp = t.keyof({ '<': null, '<=': null, '>': null, '>=': null });
export type ClaimOp = t.TypeOf<typeof ClaimOp>;

/** How an `epochsToPlateau` claim relates two variants' epochs to plateau: fewer, or the same per seed. */
export const PlateauRelation = t.keyof({ fewer: null, same: null });
export type PlateauRelation = t.TypeOf<typeof PlateauRelation>;

/** Which way a metric improves: `higher` (accuracy, F1) or `lower` (loss, error). */
export const Direction = t.keyof({ higher: null, lower: null });
export type Direction = t.TypeOf<typeof Direction>;

/** A metric the report decides on, with the way it improves (default: `lower` for losses, else `higher`). */
export const PrimaryMetric = closed('primary metric', { metric: t.string }, { direction: Direction });
export type PrimaryMetric = t.TypeOf<typeof PrimaryMetric>;

/**
 * What the report decides on: `primary` metrics lead the verdict section and form the family of
 * comparisons adjusted together (the others are adjusted among themselves); `alpha` is the
 * family-wise level (default 0.05). Absent: defaults per evaluation kind.
 *
 * @example { primary: [{ metric: 'macroF1', direction: 'higher' }], alpha: 0.05 }
 */
export const ReportSettings = closed(
  'report settings',
  {},
  {
    primary: t.array(PrimaryMetric),
    alpha: OpenUnit,
    /** Head / medium / tail by training counts (see `ClassGroups`); default terciles. */
    classGroups: ClassGroups,
  },
);
export type ReportSettings = t.TypeOf<typeof ReportSettings>;

/**
 * An expected outcome, declared as data in the experiment definition.
 * - `threshold`: a final metric (optionally of one evaluation group or of one class — `precision`,
 *   `recall`, `f1` of `perClass` — optionally of one variant) compared with a value, e.g.
 *   `{ kind: 'threshold', metric: 'accuracy', group: 'even', op: '<=', value: 0.01 }` or
 *   `{ kind: 'threshold', metric: 'recall', class: '9', op: '>=', value: 0.5 }`.
 * - `fasterToTarget`: variant `faster` reaches `target` on per-epoch metric `metric` in fewer
 *   epochs (mean over seeds) than variant `slower`.
 * - `epochsToPlateau`: convergence measured against each run's own final value. A run's epochs to
 *   plateau are the first epoch (1-based) from which its `metric` curve (`loss`: the training loss;
 *   any other name: that per-epoch validation metric) stays within `within` × |final value| of its
 *   last epoch's value. `relation: 'fewer'` holds when `variant`'s mean over seeds is below
 *   `than`'s and `than`'s mean / `variant`'s mean ≥ `factor` (default 1); `relation: 'same'`
 *   holds when every seed of `variant` plateaus at the same epoch as the same seed of `than`.
 *   Relative to its own plateau, so a loss multiplied by a constant converges in the same
 *   epochs, e.g. `{ kind: 'epochsToPlateau', metric: 'loss', within: 0.05, variant:
 *   'class-weighted', relation: 'fewer', than: 'unweighted', factor: 2 }`.
 * - `beats`: `variant` is better than `than` on final metric `metric` (in `direction`, default
 *   `lower` for a loss, else `higher`): the difference goes that way and its Holm-adjusted p-value
 *   (paired t-test when both have the same seeds, else Welch) is below `alpha` (default 0.05),
 *   e.g. `{ kind: 'beats', variant: 'cb-ce', than: 'ce', metric: 'macroF1', alpha: 0.05 }`.
 */
const description = { description: t.string };
const thresholdClaim = {
  required: { kind: t.literal('threshold'), metric: t.string, op: ClaimOp, value: FiniteNumber },
  optional: { group: t.string, class: t.string, variant: t.string, ...description },
};
const fasterToTargetClaim = {
  required: {
    kind: t.literal('fasterToTarget'),
    metric: t.string,
    target: FiniteNumber,
    faster: t.string,
    slower: t.string,
  },
  optional: description,
};
const epochsToPlateauClaim = {
  required: {
    kind: t.literal('epochsToPlateau'),
    metric: t.string,
    within: OpenUnit,
    variant: t.string,
    relation: PlateauRelation,
    than: t.string,
  },
  optional: { factor: numberWhere('a number ≥ 1', (n) => Number.isFinite(n) && n >= 1), ...description },
};
const beatsClaim = {
  required: { kind: t.literal('beats'), variant: t.string, than: t.string, metric: t.string },
  optional: { alpha: OpenUnit, direction: Direction, ...description },
};

/**
 * A claim in a definition is closed: a misspelt key (`varaint`, `alpah`) is an error by path
 * naming the known keys, where an open codec would ignore it and the claim would quietly apply to
 * every variant or use the default α.
 */
export const Claim = tagged('a claim', 'kind', {
  threshold: closed('a threshold claim', thresholdClaim.required, thresholdClaim.optional),
  fasterToTarget: closed('a fasterToTarget claim', fasterToTargetClaim.required, fasterToTargetClaim.optional),
  epochsToPlateau: closed('an epochsToPlateau claim', epochsToPlateauClaim.required, epochsToPlateauClaim.optional),
  beats: closed('a beats claim', beatsClaim.required, beatsClaim.optional),
});
export type Claim = t.TypeOf<typeof Claim>;

/** One epoch of training: mean training loss, wall time, and whole-epoch validation metrics. */
export const EpochRecord = closed(
  'an epoch record',
  { epoch: PositiveInt, loss: FiniteNumber, seconds: NonNegativeNumber, samplesPerSecond: NonNegativeNumber },
  {
    validation: MetricValues,
    /** The learning rate of the epoch, when a schedule set it. */
    learningRate: NonNegativeNumber,
  },
);
export type EpochRecord = t.TypeOf<typeof EpochRecord>;

/** Evaluation of one group of samples (e.g. even digits): accuracy, confusion matrix, bincounts. */
export const GroupEvaluation = t.type({
  name: t.string,
  size: NonNegativeInt,
  accuracy: Rate,
  /** confusion[trueClass][predictedClass] */
  confusion: t.array(t.array(NonNegativeInt)),
  trueCounts: t.array(NonNegativeInt),
  predictedCounts: t.array(NonNegativeInt),
});
export type GroupEvaluation = t.TypeOf<typeof GroupEvaluation>;

/** Precision, recall and F1 of one class of the evaluated block, with its support (true count) and predicted count. */
export const ClassEvaluation = t.type({
  name: t.string,
  support: NonNegativeInt,
  predicted: NonNegativeInt,
  precision: Rate,
  recall: Rate,
  f1: Rate,
});
export type ClassEvaluation = t.TypeOf<typeof ClassEvaluation>;

/**
 * How a post-hoc logit adjustment was made (its headline metrics are `adjusted.<metric>` in the
 * evaluation's metrics): τ, whether it was declared or chosen on the validation split (with the
 * validation balanced accuracy of each τ of the grid), the training priors π it subtracted
 * `τ·log π` of, and the per-class table and confusion matrix of the adjusted predictions.
 */
export const PosthocEvaluation = t.intersection([
  t.type({
    tau: NonNegativeNumber,
    chosenOn: t.keyof({ declared: null, validation: null }),
    priors: t.array(Rate),
    perClass: t.array(ClassEvaluation),
    confusion: t.array(t.array(NonNegativeInt)),
  }),
  t.partial({ grid: t.array(t.type({ tau: NonNegativeNumber, balancedAccuracy: Rate })) }),
]);
export type PosthocEvaluation = t.TypeOf<typeof PosthocEvaluation>;

/**
 * Final evaluation of a run on one split: flat headline metrics, optional groups, and for
 * classification the per-class table (in class order, named by `classNames`) and the overall
 * confusion matrix (`confusion[trueClass][predictedClass]`); with a post-hoc adjustment, how it
 * was made (`adjustment`; absent in records before it existed).
 */
export const Evaluation = t.intersection([
  t.type({ split: t.string, size: NonNegativeInt, metrics: MetricValues }),
  t.partial({
    groups: t.array(GroupEvaluation),
    classNames: t.array(t.string),
    perClass: t.array(ClassEvaluation),
    confusion: t.array(t.array(NonNegativeInt)),
    adjustment: PosthocEvaluation,
  }),
]);
export type Evaluation = t.TypeOf<typeof Evaluation>;

/**
 * The definition file a run came from: its path (relative to the repository root, or absolute
 * outside one), the sha256 of its bytes and git's view of it. The repository's dirty flag ignores
 * untracked files; this says which bytes ran.
 */
export const DefinitionFile = closed('a definition file', {
  path: t.string,
  sha256: t.string,
  git: t.keyof({ tracked: null, modified: null, untracked: null, ignored: null, 'outside-repository': null }),
});
export type DefinitionFile = t.TypeOf<typeof DefinitionFile>;

/** Where a run ran: backend, versions, git state and, for runs from a file, the definition file. */
export const RunEnvironment = closed(
  'a run environment',
  {
    backend: t.string,
    backendVersion: t.string,
    node: t.string,
    platform: t.string,
    /** name → exact version of the packages that shape the numbers (tfjs, losslab, …). */
    packages: t.record(t.string, t.string),
    git: closed('a git state', { commit: t.union([t.string, t.null]), dirty: t.union([t.boolean, t.null]) }),
  },
  /** Present for runs started from a definition file. */
  { definitionFile: DefinitionFile },
);
export type RunEnvironment = t.TypeOf<typeof RunEnvironment>;

/** Published numbers the experiment reproduces, shown beside losslab's in the report. */
const referenceGroup = {
  required: { name: t.string },
  optional: {
    accuracy: Rate,
    trueCounts: t.array(NonNegativeInt),
    predictedCounts: t.array(NonNegativeInt),
    note: t.string,
  },
};
const referenceOptional = { metrics: MetricValues, notes: t.array(t.string) };
export const Reference = closed(
  'a reference',
  { source: t.string },
  {
    ...referenceOptional,
    groups: t.array(closed('a reference group', referenceGroup.required, referenceGroup.optional)),
  },
);
export type Reference = t.TypeOf<typeof Reference>;

/**
 * Claims and the reference are copied from the definition into each record. Before their codecs
 * were closed, a misspelt key in them passed and was ignored; a record read back drops such a
 * key, so records written then still load and report as they did. New records never carry one.
 */
const dropping = <R extends t.Props, O extends t.Props>(name: string, shape: { required: R; optional: O }) =>
  t.exact(t.intersection([t.type(shape.required), t.partial(shape.optional)]), name);
const RecordedClaim = tagged('a claim', 'kind', {
  threshold: dropping('a threshold claim', thresholdClaim),
  fasterToTarget: dropping('a fasterToTarget claim', fasterToTargetClaim),
  epochsToPlateau: dropping('an epochsToPlateau claim', epochsToPlateauClaim),
  beats: dropping('a beats claim', beatsClaim),
});
const RecordedReference = dropping('a reference', {
  required: { source: t.string },
  optional: { ...referenceOptional, groups: t.array(dropping('a reference group', referenceGroup)) },
});

/**
 * What a run's model is: its input shape, each layer (Keras' kind name, output shape without the
 * batch axis, parameter count) and the total parameter count.
 *
 * @example { inputShape: [28, 28, 1], layers: [{ kind: 'flatten', outputShape: [784], parameters: 0 }], parameters: 0 }
 */
export const ModelSummary = t.type({
  inputShape: t.array(PositiveInt),
  layers: t.array(t.type({ kind: t.string, outputShape: t.array(PositiveInt), parameters: NonNegativeInt })),
  parameters: NonNegativeInt,
});
export type ModelSummary = t.TypeOf<typeof ModelSummary>;

/**
 * The run record. Beyond the types, values must make sense: the seed is a non-negative integer,
 * times are ISO-8601 date-times, every number is finite, rates (see {@link isRateMetric}) lie in
 * [0, 1], sizes and counts are non-negative integers, epochs positive integers. A record that
 * breaks one of these is reported as invalid, by path, instead of being shown as if real.
 *
 * @example RunRecord.decode(JSON.parse(text)) // Left with `seed: expected a non-negative integer, got 1.5`
 */
export const RunRecord = t.intersection([
  t.type({
    schema: t.literal('losslab.run/1'),
    runId: t.string,
    experiment: t.string,
    variant: t.string,
    seed: NonNegativeInt,
    /** The resolved definition of this variant, as canonical JSON data (read through {@link RecordedDefinition}). */
    definition: RecordedDefinition,
    /** sha256 of the canonical JSON of `definition`. */
    definitionHash: t.string,
    environment: RunEnvironment,
    /** What the data was: file name → sha256, or generator name → its parameters' hash. */
    dataFingerprint: t.record(t.string, t.string),
    timing: t.type({ startedAt: IsoDateTime, finishedAt: IsoDateTime, totalSeconds: NonNegativeNumber }),
    history: t.array(EpochRecord),
    evaluation: Evaluation,
    claims: t.array(RecordedClaim),
  }),
  t.partial({
    reference: RecordedReference,
    description: t.string,
    /** sha256 of the losslab sources and package versions that computed the run. */
    codeFingerprint: t.string,
    /** Where early stopping ended training, and which epoch's weights the model holds. */
    earlyStopping: t.type({ stoppedAt: PositiveInt, bestEpoch: PositiveInt, restoredBest: t.boolean }),
    /** The trained model in the run folder (TF.js Layers format): its files and their sha256. */
    model: t.type({ format: t.literal('tfjs-layers'), files: t.array(t.type({ path: t.string, sha256: t.string })) }),
    /** The definition's report settings, so a report rebuilt from records decides on the same metrics. */
    report: ReportSettings,
    /** The model's layers, output shapes and parameter counts (records before it have none). */
    modelSummary: ModelSummary,
    /** Each time the run was resumed after a kill: from the checkpoint of which epoch, and when. */
    resumes: t.array(t.type({ afterEpoch: PositiveInt, at: IsoDateTime })),
    /** The training split after transforms: rows per class, and the class weights the loss computed. */
    training: TrainingData,
    /** The final evaluation's per-example predictions in the run folder (see `predictions.ts`). */
    predictions: RecordedPredictions,
    /** Which seed sources followed the run seed, when not all did (a seed design, or a variance-study run and the variant it studies). */
    seeding: Seeding,
  }),
]);
export type RunRecord = t.TypeOf<typeof RunRecord>;

/** File name of the record inside a run folder; its presence marks the run as complete. */
export const RECORD_FILE = 'record.json';

/** File name of the failure note in a run folder whose run failed (it then has no `record.json`). */
export const FAILED_FILE = 'failed.json';

/**
 * What `@losslab/experiment` writes as `failed.json` when a run fails: which step failed
 * (`phase`, the failure's tag such as `LoadDataFailed` or `TrainFailed`) and its message. It tells
 * a failed run from a killed one, which leaves only `started.json`.
 *
 * @example
 * FailedRun.decode({ schema: 'losslab.failed/1', runId: 'masked-s0-123', experiment: 'mnist-odd', variant: 'masked', seed: 0,
 *   phase: 'TrainFailed', message: 'loss became NaN at epoch 2', startedAt: '2026-01-01T00:00:00.000Z', failedAt: '2026-01-01T00:01:00.000Z' })
 */
export const FailedRun = t.exact(
  t.type({
    schema: t.literal('losslab.failed/1'),
    runId: t.string,
    experiment: t.string,
    variant: t.string,
    seed: NonNegativeInt,
    phase: t.string,
    message: t.string,
    startedAt: IsoDateTime,
    failedAt: IsoDateTime,
  }),
);
export type FailedRun = t.TypeOf<typeof FailedRun>;
