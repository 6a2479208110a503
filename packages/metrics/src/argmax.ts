import { LosslabError, requireInteger } from '@losslab/runtime';

/** Strictly larger, where any number beats NaN and NaN beats nothing. */
const beats = (candidate: number, best: number): boolean =>
  !Number.isNaN(candidate) && (candidate > best || Number.isNaN(best));

/**
 * Index of the largest value; ties go to the first (like `tf.argMax` and numpy). NaN never
 * wins; an all-NaN input gives 0.
 *
 * @example
 * argMax([0.1, 0.7, 0.7]); // 1
 */
export function argMax(values: ArrayLike<number>): number {
  if (values.length === 0) throw new LosslabError('INVALID_ARGUMENT', 'values: expected at least one value, got none');
  let best = 0;
  for (let j = 1; j < values.length; j++) if (beats(values[j]!, values[best]!)) best = j;
  return best;
}

/**
 * Class ids from a row-major `[n, width]` array of scores: `ids[i] = argMax(row i)`, ties to the
 * first column; NaN never wins (an all-NaN row gives 0).
 *
 * @example
 * argMaxRows(new Float32Array([0.1, 0.9, 0.8, 0.2]), 2); // Int32Array [1, 0]
 */
export function argMaxRows(values: ArrayLike<number>, width: number): Int32Array {
  requireInteger('width', width);
  if (values.length % width !== 0) {
    throw new LosslabError(
      'SHAPE_MISMATCH',
      `values: expected a multiple of width ${width} values, got ${values.length}`,
    );
  }
  const rows = values.length / width;
  const ids = new Int32Array(rows);
  for (let i = 0; i < rows; i++) {
    const offset = i * width;
    let best = 0;
    for (let j = 1; j < width; j++) if (beats(values[offset + j]!, values[offset + best]!)) best = j;
    ids[i] = best;
  }
  return ids;
}

/**
 * Column `column` of a row-major `[n, width]` array, e.g. the positive-class scores of a
 * two-unit softmax.
 *
 * @example
 * columnOf(new Float32Array([0.1, 0.9, 0.8, 0.2]), 2, 1); // Float32Array [0.9, 0.2]
 */
export function columnOf(values: ArrayLike<number>, width: number, column: number): Float32Array {
  requireInteger('width', width);
  if (!Number.isInteger(column) || column < 0 || column >= width) {
    throw new LosslabError('INVALID_ARGUMENT', `column: expected an integer in [0, ${width}), got ${String(column)}`);
  }
  if (values.length % width !== 0) {
    throw new LosslabError(
      'SHAPE_MISMATCH',
      `values: expected a multiple of width ${width} values, got ${values.length}`,
    );
  }
  const out = new Float32Array(values.length / width);
  for (let i = 0; i < out.length; i++) out[i] = values[i * width + column]!;
  return out;
}
