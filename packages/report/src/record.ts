import * as t from 'io-ts';

/**
 * The run record: everything one run of one variant with one seed produced. It is the only
 * input of the report, so this file (and not TensorFlow) is the contract between
 * `@losslab/experiment`, which writes `runs/<experiment>/<runId>/record.json`, and this package.
 */

const NumberRecord = t.record(t.string, t.number);

/** Comparison operators a threshold claim may use. */
export const ClaimOp = t.keyof({ '<': null, '<=': null, '>': null, '>=': null });
export type ClaimOp = t.TypeOf<typeof ClaimOp>;

/**
 * An expected outcome, declared as data in the experiment definition.
 * - `threshold`: a final metric (optionally of one evaluation group, optionally of one variant)
 *   compared with a value, e.g. `{ kind: 'threshold', metric: 'accuracy', group: 'even', op: '<=', value: 0.01 }`.
 * - `fasterToTarget`: variant `faster` reaches `target` on per-epoch metric `metric` in fewer
 *   epochs (mean over seeds) than variant `slower`.
 */
export const Claim = t.union([
  t.intersection([
    t.type({ kind: t.literal('threshold'), metric: t.string, op: ClaimOp, value: t.number }),
    t.partial({ group: t.string, variant: t.string, description: t.string }),
  ]),
  t.intersection([
    t.type({ kind: t.literal('fasterToTarget'), metric: t.string, target: t.number, faster: t.string, slower: t.string }),
    t.partial({ description: t.string }),
  ]),
]);
export type Claim = t.TypeOf<typeof Claim>;

/** One epoch of training: mean training loss, wall time, and whole-epoch validation metrics. */
export const EpochRecord = t.intersection([
  t.type({ epoch: t.number, loss: t.number, seconds: t.number, samplesPerSecond: t.number }),
  t.partial({ validation: NumberRecord }),
]);
export type EpochRecord = t.TypeOf<typeof EpochRecord>;

/** Evaluation of one group of samples (e.g. even digits): accuracy, confusion matrix, bincounts. */
export const GroupEvaluation = t.type({
  name: t.string,
  size: t.number,
  accuracy: t.number,
  /** confusion[trueClass][predictedClass] */
  confusion: t.array(t.array(t.number)),
  trueCounts: t.array(t.number),
  predictedCounts: t.array(t.number),
});
export type GroupEvaluation = t.TypeOf<typeof GroupEvaluation>;

/** Final evaluation of a run on one split: flat headline metrics plus optional groups. */
export const Evaluation = t.intersection([
  t.type({ split: t.string, size: t.number, metrics: NumberRecord }),
  t.partial({ groups: t.array(GroupEvaluation), classNames: t.array(t.string) }),
]);
export type Evaluation = t.TypeOf<typeof Evaluation>;

export const RunEnvironment = t.type({
  backend: t.string,
  backendVersion: t.string,
  node: t.string,
  platform: t.string,
  /** name → exact version of the packages that shape the numbers (tfjs, losslab, …). */
  packages: t.record(t.string, t.string),
  git: t.type({ commit: t.union([t.string, t.null]), dirty: t.union([t.boolean, t.null]) }),
});
export type RunEnvironment = t.TypeOf<typeof RunEnvironment>;

/** Published numbers the experiment reproduces, shown beside losslab's in the report. */
export const Reference = t.intersection([
  t.type({ source: t.string }),
  t.partial({
    metrics: NumberRecord,
    groups: t.array(
      t.intersection([
        t.type({ name: t.string }),
        t.partial({ accuracy: t.number, trueCounts: t.array(t.number), predictedCounts: t.array(t.number), note: t.string }),
      ]),
    ),
    notes: t.array(t.string),
  }),
]);
export type Reference = t.TypeOf<typeof Reference>;

export const RunRecord = t.intersection([
  t.type({
    schema: t.literal('losslab.run/1'),
    runId: t.string,
    experiment: t.string,
    variant: t.string,
    seed: t.number,
    /** The resolved definition of this variant, as canonical JSON data. */
    definition: t.unknown,
    /** sha256 of the canonical JSON of `definition`. */
    definitionHash: t.string,
    environment: RunEnvironment,
    /** What the data was: file name → sha256, or generator name → its parameters' hash. */
    dataFingerprint: t.record(t.string, t.string),
    timing: t.type({ startedAt: t.string, finishedAt: t.string, totalSeconds: t.number }),
    history: t.array(EpochRecord),
    evaluation: Evaluation,
    claims: t.array(Claim),
  }),
  t.partial({
    reference: Reference,
    description: t.string,
    /** sha256 of the losslab sources and package versions that computed the run. */
    codeFingerprint: t.string,
  }),
]);
export type RunRecord = t.TypeOf<typeof RunRecord>;

/** File name of the record inside a run folder; its presence marks the run as complete. */
export const RECORD_FILE = 'record.json';
