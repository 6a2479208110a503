import { requireInteger } from '@losslab/runtime';
import { requireClassIds, requireNonEmpty, requireSameLength } from './guards.js';

/**
 * Fraction of positions where the predicted class equals the true class:
 * `accuracy = #{i : true[i] = pred[i]} / n`. Throws on empty input (0/0 has no value).
 *
 * @example
 * accuracy([0, 1, 2, 2], [0, 2, 2, 2]); // 0.75
 */
export function accuracy(trueClasses: ArrayLike<number>, predictedClasses: ArrayLike<number>): number {
  requireNonEmpty('trueClasses', trueClasses);
  requireSameLength('trueClasses', trueClasses, 'predictedClasses', predictedClasses);
  let correct = 0;
  for (let i = 0; i < trueClasses.length; i++) if (trueClasses[i] === predictedClasses[i]) correct++;
  return correct / trueClasses.length;
}

/**
 * Counts of each integer in `[0, length)`: `counts[c] = #{i : values[i] = c}` (numpy's
 * `bincount` with a fixed length; a value outside the range is an error naming its index).
 *
 * @example
 * bincount([0, 2, 2, 3], 5); // [1, 0, 2, 1, 0]
 */
export function bincount(values: ArrayLike<number>, length: number): number[] {
  requireInteger('length', length, 0);
  requireClassIds('values', values, length);
  const counts = new Array<number>(length).fill(0);
  // ArrayLike is not iterable, so no for-of here.
  // eslint-disable-next-line @typescript-eslint/prefer-for-of
  for (let i = 0; i < values.length; i++) counts[values[i]!]! += 1;
  return counts;
}

/**
 * Confusion matrix `[numClasses][numClasses]`: `confusion[t][p]` = number of samples of true class
 * `t` predicted as `p` (rows = true, columns = predicted). Row sums are the true-class counts,
 * column sums the predicted-class counts, the trace the number of correct predictions.
 *
 * @example
 * confusionMatrix([0, 1, 1], [0, 0, 1], 2); // [[1, 0], [1, 1]]
 */
export function confusionMatrix(
  trueClasses: ArrayLike<number>,
  predictedClasses: ArrayLike<number>,
  numClasses: number,
): number[][] {
  requireInteger('numClasses', numClasses);
  requireSameLength('trueClasses', trueClasses, 'predictedClasses', predictedClasses);
  requireClassIds('trueClasses', trueClasses, numClasses);
  requireClassIds('predictedClasses', predictedClasses, numClasses);
  const confusion = Array.from({ length: numClasses }, () => new Array<number>(numClasses).fill(0));
  for (let i = 0; i < trueClasses.length; i++) confusion[trueClasses[i]!]![predictedClasses[i]!]! += 1;
  return confusion;
}

/** Row sums of a matrix: for a confusion matrix, the samples per true class. */
export const rowSums = (matrix: readonly (readonly number[])[]): number[] =>
  matrix.map((row) => row.reduce((sum, v) => sum + v, 0));

/** Column sums of a non-empty matrix: for a confusion matrix, the samples per predicted class. */
export const columnSums = (matrix: readonly (readonly number[])[]): number[] =>
  matrix[0]!.map((_, column) => matrix.reduce((sum, row) => sum + row[column]!, 0));
