import * as t from 'io-ts';
import { NonNegativeInt, PositiveInt, Str } from './codec.js';
import { EpochRecord } from './record.js';

/** A tensor kept in a checkpoint: its name, shape, dtype and its bytes (little-endian) in base64. */
export const StoredTensor = t.type({
  name: Str,
  shape: t.array(NonNegativeInt),
  dtype: t.keyof({ float32: null, int32: null }),
  base64: Str,
});
export type StoredTensor = t.TypeOf<typeof StoredTensor>;

/** Where one layer's random sequence stands (see `RngSnapshot` in @losslab/runtime). */
export const StoredRandomState = t.intersection([
  t.type({ layer: Str, state: NonNegativeInt }),
  t.partial({ spareNormal: t.number }),
]);
export type StoredRandomState = t.TypeOf<typeof StoredRandomState>;

/**
 * `checkpoints/epoch-<N>.json` of a run folder: everything the training loop needs to continue
 * after epoch `epoch` exactly as if it had never stopped. The shuffle order and the learning rate
 * of an epoch are functions of the seed and the epoch number, so they need no state here.
 */
export const Checkpoint = t.intersection([
  t.type({
    schema: t.literal('losslab.checkpoint/1'),
    /** The last epoch completed. */
    epoch: PositiveInt,
    history: t.array(EpochRecord),
    /** The model's weights, in `model.weights` order. */
    weights: t.array(StoredTensor),
    /** The optimiser's state as `optimizer.getWeights()` gives it (iterations, then Adam's moments). */
    optimizer: t.array(StoredTensor),
    randomStates: t.array(StoredRandomState),
  }),
  t.partial({
    /** The weights of the best epoch so far, kept when early stopping is to restore them. */
    bestWeights: t.array(StoredTensor),
  }),
]);
export type Checkpoint = t.TypeOf<typeof Checkpoint>;

/** The folder of a run that holds its checkpoints. */
export const CHECKPOINTS_FOLDER = 'checkpoints';

/** `epoch-0007.json`: zero-padded so the names sort by epoch. */
export const checkpointFileName = (epoch: number): string => `epoch-${String(epoch).padStart(4, '0')}.json`;
