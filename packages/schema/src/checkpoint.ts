import * as t from 'io-ts';
import { closed, NonEmptyString, NonNegativeInt, PositiveInt, Str } from './codec.js';
import { EpochRecord } from './record.js';

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const BASE64_NAME = 'base64 text (A-Z, a-z, 0-9, +, / and = padding)';

/** What is wrong with text that is not base64: the first stray character, or its length or padding. */
function base64Problem(text: string): string {
  const stray = /[^A-Za-z0-9+/=]/.exec(text);
  if (stray !== null) return `character ${stray.index + 1} of ${text.length} is ${JSON.stringify(stray[0])}`;
  if (text.length % 4 !== 0) return `${text.length} characters, not a multiple of 4`;
  return '"=" may only pad the end';
}

/** Standard base64 (RFC 4648, padded, no line breaks); `atob` alone would say only "Invalid character". */
export const Base64 = new t.Type<string, string, unknown>(
  BASE64_NAME,
  (u): u is string => typeof u === 'string' && BASE64.test(u),
  (u, c) => {
    if (typeof u !== 'string') return t.failure(u, c);
    if (BASE64.test(u)) return t.success(u);
    // a tensor's text can be megabytes: the message shows its start only
    const excerpt = u.length > 24 ? `${u.slice(0, 24)}…` : u;
    return t.failure(excerpt, c, `expected ${BASE64_NAME}: ${base64Problem(u)}`);
  },
  t.identity,
);

/** A tensor kept in a checkpoint: its name, shape, dtype and its bytes (little-endian) in base64. */
export const StoredTensor = t.type({
  name: Str,
  shape: t.array(NonNegativeInt),
  dtype: t.keyof({ float32: null, int32: null }),
  base64: Base64,
});
export type StoredTensor = t.TypeOf<typeof StoredTensor>;

/** Where one layer's random sequence stands (see `RngSnapshot` in @losslab/runtime). */
export const StoredRandomState = t.intersection([
  t.type({ layer: Str, state: NonNegativeInt }),
  t.partial({ spareNormal: t.number }),
]);
export type StoredRandomState = t.TypeOf<typeof StoredRandomState>;

/**
 * Everything the training loop needs to continue after epoch `epoch` exactly as if it had never
 * stopped. The shuffle order and the learning rate of an epoch are functions of the seed and the
 * epoch number, so they need no state here. `history` holds epochs 1 to `epoch`, one entry each.
 */
const trainingStateFields = {
  /** The last epoch completed. */
  epoch: PositiveInt,
  history: t.array(EpochRecord),
  /** The model's weights, in `model.weights` order. */
  weights: t.array(StoredTensor),
  /** The optimiser's state as `optimizer.getWeights()` gives it (iterations, then Adam's moments). */
  optimizer: t.array(StoredTensor),
  randomStates: t.array(StoredRandomState),
};
const trainingStateOptional = {
  /** The weights of the best epoch so far, kept when early stopping is to restore them. */
  bestWeights: t.array(StoredTensor),
};

export const TrainingState = closed('a training state', trainingStateFields, trainingStateOptional);
export type TrainingState = t.TypeOf<typeof TrainingState>;

/** The run a checkpoint belongs to: its folder name and what makes two runs interchangeable. */
export const CheckpointRun = t.type({
  runId: NonEmptyString,
  /** sha256 of the run's resolved settings. */
  definitionHash: NonEmptyString,
  seed: NonNegativeInt,
  backend: NonEmptyString,
  codeFingerprint: NonEmptyString,
});
export type CheckpointRun = t.TypeOf<typeof CheckpointRun>;

/** The `schema` of a checkpoint file; `losslab.checkpoint/1` files carried neither run nor hash. */
export const CHECKPOINT_SCHEMA = 'losslab.checkpoint/2';

/**
 * `checkpoints/epoch-<N>.json` of a run folder: the {@link TrainingState} after epoch `epoch`, the
 * run it belongs to, and `sha256`, the sha256 of the canonical JSON of every other field, so a
 * resume can tell a checkpoint that was changed since it was written, or copied from another run.
 */
export const Checkpoint = closed(
  'a checkpoint',
  {
    schema: t.literal(CHECKPOINT_SCHEMA),
    run: CheckpointRun,
    sha256: NonEmptyString,
    ...trainingStateFields,
  },
  trainingStateOptional,
);
export type Checkpoint = t.TypeOf<typeof Checkpoint>;

/** The folder of a run that holds its checkpoints. */
export const CHECKPOINTS_FOLDER = 'checkpoints';

/** `epoch-0007.json`: zero-padded so the names sort by epoch. */
export const checkpointFileName = (epoch: number): string => `epoch-${String(epoch).padStart(4, '0')}.json`;
