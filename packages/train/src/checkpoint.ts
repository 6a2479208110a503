import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { canonicalJson, holdsRandomState, LosslabError, sha256Hex } from '@losslab/runtime';
import {
  CHECKPOINT_SCHEMA,
  type Checkpoint,
  type CheckpointRun,
  type EpochRecord,
  type StoredRandomState,
  type StoredTensor,
  type TrainingState,
} from '@losslab/schema';

/** Bytes to base64 without Node's Buffer (this package also runs in browsers). */
function toBase64(bytes: Uint8Array): string {
  let binary = '';
  const chunk = 0x8000; // String.fromCharCode takes its arguments on the stack
  for (let i = 0; i < bytes.length; i += chunk) binary += String.fromCharCode(...bytes.subarray(i, i + chunk));
  return btoa(binary);
}

function fromBase64(text: string, where: string): Uint8Array {
  let binary: string;
  try {
    binary = atob(text);
  } catch {
    throw new LosslabError('INVALID_ARGUMENT', `${where}: base64 is not valid base64 text (A-Z, a-z, 0-9, +, /, =)`);
  }
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/** A host copy of a tensor's values as a {@link StoredTensor}. */
function storeValues(name: string, shape: readonly number[], values: Float32Array | Int32Array): StoredTensor {
  const bytes = new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
  return {
    name,
    shape: [...shape],
    dtype: values instanceof Int32Array ? 'int32' : 'float32',
    base64: toBase64(bytes),
  };
}

function storeTensor(name: string, tensor: tf.Tensor): StoredTensor {
  if (tensor.dtype !== 'float32' && tensor.dtype !== 'int32')
    throw new LosslabError(
      'INVALID_ARGUMENT',
      `checkpoint: tensor ${name} has dtype ${tensor.dtype}; expected float32 or int32`,
    );
  return storeValues(name, tensor.shape, tensor.dataSync() as Float32Array | Int32Array);
}

/** The values of a stored tensor, checked against the shape it claims. */
function valuesOf(stored: StoredTensor, where: string): Float32Array | Int32Array {
  const bytes = fromBase64(stored.base64, `${where}: ${stored.name}`);
  const copy = bytes.slice().buffer; // aligned for the typed array
  const values = stored.dtype === 'int32' ? new Int32Array(copy) : new Float32Array(copy);
  const size = stored.shape.reduce((a, b) => a * b, 1);
  if (bytes.length % 4 !== 0 || values.length !== size)
    throw new LosslabError(
      'INVALID_ARGUMENT',
      `${where}: ${stored.name} holds ${bytes.length} bytes; shape [${stored.shape.join(', ')}] needs ${size * 4}`,
    );
  return values;
}

const tensorOf = (stored: StoredTensor, where: string): tf.Tensor =>
  tf.tensor(valuesOf(stored, where), stored.shape, stored.dtype);

/** The model's weights as variables (their names are the ones the optimiser's state refers to). */
const variablesOf = (model: tfl.LayersModel): tf.Variable[] =>
  // LayerVariable.read() returns its tf.Variable, typed as a plain Tensor.
  // eslint-disable-next-line @typescript-eslint/no-unsafe-class-instance-assignment
  model.weights.map((w) => w.read() as tf.Variable);

/** What {@link captureCheckpoint} reads besides the model and the optimiser. */
export interface CheckpointProgress {
  readonly epoch: number;
  readonly history: readonly EpochRecord[];
  /** Early stopping's best weights so far (trainable weights, in order), when it is to restore them. */
  readonly bestWeights?: readonly Float32Array[];
}

/** Hex sha256 of a string's UTF-8 bytes. */
export type Sha256 = (text: string) => string;

/**
 * The sha256 a checkpoint carries: of the canonical JSON of every field but `sha256` itself
 * (so key order and formatting do not matter, and any added field counts). `sha256` defaults to
 * the portable one; Node's `crypto` gives the same hash several times faster.
 */
export function checkpointSha256(checkpoint: object, sha256: Sha256 = sha256Hex): string {
  const { sha256: _ignored, ...content } = checkpoint as { sha256?: unknown };
  return sha256(canonicalJson(content));
}

/**
 * A {@link TrainingState} as a checkpoint file's content: tagged with the run it belongs to and
 * sealed with its own sha256 (see {@link checkpointSha256}).
 *
 * @example await writeFile(path, JSON.stringify(sealCheckpoint(state, { runId, definitionHash, seed, backend, codeFingerprint })));
 */
export function sealCheckpoint(state: TrainingState, run: CheckpointRun, sha256: Sha256 = sha256Hex): Checkpoint {
  const unsealed = { schema: CHECKPOINT_SCHEMA, run: { ...run }, ...state } as const;
  return { ...unsealed, sha256: checkpointSha256(unsealed, sha256) };
}

/**
 * Why a state's history cannot be the one of its epoch (`undefined` when it can): it must hold
 * epochs 1 to `epoch`, in order, since training continues at `history.length + 1`.
 */
export function historyProblem(state: Pick<TrainingState, 'epoch' | 'history'>): string | undefined {
  if (state.history.length !== state.epoch)
    return `history holds ${state.history.length} epochs; the checkpoint is of epoch ${state.epoch}`;
  const misplaced = state.history.findIndex((entry, i) => entry.epoch !== i + 1);
  return misplaced < 0
    ? undefined
    : `history[${misplaced}] is of epoch ${state.history[misplaced]!.epoch}; expected epoch ${misplaced + 1}`;
}

/**
 * Everything {@link fit} needs to continue after `progress.epoch` as if it had never stopped: the
 * model's weights, the optimiser's state (`getWeights()`: iterations and Adam's moments), each
 * dropout layer's position in its mask sequence, the history and early stopping's best weights.
 * Plain data (tensors as base64), valid against the schema's `TrainingState` codec.
 */
export async function captureCheckpoint(
  model: tfl.LayersModel,
  optimizer: tf.Optimizer,
  progress: CheckpointProgress,
): Promise<TrainingState> {
  const optimizerWeights = await optimizer.getWeights();
  try {
    const trainable = model.trainableWeights;
    return {
      epoch: progress.epoch,
      history: progress.history.map((entry) => ({ ...entry })),
      weights: variablesOf(model).map((v) => storeTensor(v.name, v)),
      optimizer: optimizerWeights.map(({ name, tensor }) => storeTensor(name, tensor)),
      randomStates: model.layers.flatMap((layer): StoredRandomState[] =>
        holdsRandomState(layer) ? [{ layer: layer.name, ...layer.randomState() }] : [],
      ),
      ...(progress.bestWeights === undefined
        ? {}
        : {
            bestWeights: progress.bestWeights.map((values, i) => {
              const weight = trainable[i];
              if (weight === undefined)
                throw new LosslabError('INVALID_ARGUMENT', 'checkpoint: more best weights than weights');
              return storeValues(weight.name, weight.shape as number[], values);
            }),
          }),
    };
  } finally {
    tf.dispose(optimizerWeights.map((w) => w.tensor));
  }
}

/** Checks that `stored` lines up, one by one and by shape, with `expected`. */
function checkLayout(
  what: string,
  stored: readonly StoredTensor[],
  expected: readonly { name: string; shape: readonly (number | null)[] }[],
): void {
  if (stored.length !== expected.length)
    throw new LosslabError(
      'INVALID_ARGUMENT',
      `checkpoint ${what}: holds ${stored.length} tensors; the model has ${expected.length}`,
    );
  stored.forEach((s, i) => {
    const e = expected[i]!;
    if (s.shape.join(',') !== e.shape.join(','))
      throw new LosslabError(
        'INVALID_ARGUMENT',
        `checkpoint ${what}: ${s.name} has shape [${s.shape.join(', ')}]; the model's ${e.name} has [${e.shape.join(', ')}]`,
      );
  });
}

/**
 * Puts a checkpoint's state into a freshly built `model` and `optimizer` (of the same definition)
 * and returns the history and best weights it carried. Weights are matched by position and shape,
 * not by name: tfjs numbers layer names per process, so a resumed process may name them
 * differently, and the optimiser's state is renamed to the new variables' names accordingly.
 */
export async function restoreCheckpoint(
  checkpoint: TrainingState,
  model: tfl.LayersModel,
  optimizer: tf.Optimizer,
): Promise<{ history: EpochRecord[]; bestWeights?: Float32Array[] }> {
  const variables = variablesOf(model);
  checkLayout('weights', checkpoint.weights, variables);
  const holders = model.layers.flatMap((layer) => (holdsRandomState(layer) ? [layer] : []));
  if (holders.length !== checkpoint.randomStates.length)
    throw new LosslabError(
      'INVALID_ARGUMENT',
      `checkpoint randomStates: holds ${checkpoint.randomStates.length}; the model has ${holders.length} layers with a random sequence`,
    );
  // Training continues at history.length + 1: a history that is not the epoch's would shift it.
  const misfit = historyProblem(checkpoint);
  if (misfit !== undefined) throw new LosslabError('INVALID_ARGUMENT', `checkpoint: ${misfit}`);
  const renamed = new Map(checkpoint.weights.map((w, i) => [w.name, variables[i]!.name]));
  // `<variable>/m` → `<new variable>/m`; `iter` and other optimiser-wide entries keep their names.
  const rename = (name: string): string => {
    const slash = name.lastIndexOf('/');
    const owner = slash < 0 ? undefined : renamed.get(name.slice(0, slash));
    return owner === undefined ? name : `${owner}${name.slice(slash)}`;
  };
  const optimizerTensors = checkpoint.optimizer.map((s) => ({
    name: rename(s.name),
    tensor: tensorOf(s, 'checkpoint optimizer'),
  }));
  try {
    variables.forEach((v, i) => tf.tidy(() => v.assign(tensorOf(checkpoint.weights[i]!, 'checkpoint weights'))));
    await optimizer.setWeights(optimizerTensors);
  } finally {
    tf.dispose(optimizerTensors.map((t) => t.tensor));
  }
  holders.forEach((layer, i) => {
    const { state, spareNormal } = checkpoint.randomStates[i]!;
    layer.restoreRandomState({ state, ...(spareNormal === undefined ? {} : { spareNormal }) });
  });
  const trainable = model.trainableWeights;
  const best = checkpoint.bestWeights;
  if (best !== undefined) checkLayout('bestWeights', best, trainable);
  return {
    history: checkpoint.history.map((entry) => ({ ...entry })),
    ...(best === undefined
      ? {}
      : { bestWeights: best.map((s) => Float32Array.from(valuesOf(s, 'checkpoint bestWeights'))) }),
  };
}
