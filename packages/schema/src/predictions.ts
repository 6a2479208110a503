import * as t from 'io-ts';
import { NonNegativeInt } from './codec.js';
import { LosslabError } from './errors.js';

/**
 * Per-example predictions of a run's final evaluation, kept in the run folder so a report can
 * compute calibration and resample test examples. The file holds, little-endian and without a
 * header (the record describes it): `size` uint32 example indices (the row of the evaluation
 * split), then `size` int32 true classes, then `size × classes` float32 class probabilities,
 * row-major. A binary detection stores two columns, [other, positive class], the positive one
 * being 1 in the true classes.
 */

/** File name of the predictions in a run folder. */
export const PREDICTIONS_FILE = 'predictions.bin';

/** The record's description of its predictions file (with the sha256 of its bytes). */
export const RecordedPredictions = t.type({
  format: t.literal('losslab.predictions/1'),
  path: t.string,
  sha256: t.string,
  /** The evaluation split the examples come from. */
  split: t.string,
  size: NonNegativeInt,
  classes: NonNegativeInt,
});
export type RecordedPredictions = t.TypeOf<typeof RecordedPredictions>;

/** Predictions of one run, decoded. */
export interface ExamplePredictions {
  /** Row of the evaluation split each example came from. */
  readonly index: Uint32Array;
  /** True class of each example. */
  readonly truth: Int32Array;
  /** Row-major `[size, classes]` probabilities. */
  readonly probabilities: Float32Array;
  readonly classes: number;
}

const byteLength = (size: number, classes: number): number => size * (8 + 4 * classes);

/** The bytes of {@link PREDICTIONS_FILE} for `predictions`. */
export function encodePredictions(predictions: ExamplePredictions): Uint8Array {
  const size = predictions.index.length;
  const { classes } = predictions;
  if (predictions.truth.length !== size || predictions.probabilities.length !== size * classes)
    throw new LosslabError(
      'INVALID_ARGUMENT',
      `predictions: expected ${size} true classes and ${size * classes} probabilities, got ${predictions.truth.length} and ${predictions.probabilities.length}`,
    );
  const bytes = new Uint8Array(byteLength(size, classes));
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < size; i++) {
    view.setUint32(4 * i, predictions.index[i] ?? 0, true);
    view.setInt32(4 * (size + i), predictions.truth[i] ?? 0, true);
  }
  const offset = 8 * size;
  predictions.probabilities.forEach((p, j) => view.setFloat32(offset + 4 * j, p, true));
  return bytes;
}

/**
 * Decodes the bytes of a predictions file as `recorded` describes them; throws an error naming
 * `where` when the length, a true class or a probability does not fit (nothing read back is trusted).
 */
export function decodePredictions(bytes: Uint8Array, recorded: RecordedPredictions, where: string): ExamplePredictions {
  const { size, classes } = recorded;
  const fail = (message: string): never => {
    throw new LosslabError('INVALID_ARGUMENT', `${where}: ${message}`);
  };
  if (classes < 2) fail(`expected at least 2 classes, the record says ${classes}`);
  if (bytes.byteLength !== byteLength(size, classes))
    fail(
      `expected ${byteLength(size, classes)} bytes (${size} examples × ${classes} classes), got ${bytes.byteLength}`,
    );
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const index = new Uint32Array(size);
  const truth = new Int32Array(size);
  for (let i = 0; i < size; i++) {
    index[i] = view.getUint32(4 * i, true);
    const label = view.getInt32(4 * (size + i), true);
    if (label < 0 || label >= classes) fail(`example ${i}: true class ${label} is not below ${classes}`);
    truth[i] = label;
  }
  const probabilities = new Float32Array(size * classes);
  for (let j = 0; j < probabilities.length; j++) {
    const p = view.getFloat32(8 * size + 4 * j, true);
    if (!Number.isFinite(p)) fail(`example ${Math.floor(j / classes)}: probability ${p} is not finite`);
    probabilities[j] = p;
  }
  return { index, truth, probabilities, classes };
}
