import { LosslabError } from '@losslab/runtime';
import { oneHot } from './encode.js';
import { type LabelledRows, checkRows, requireClassList } from './rows.js';

// Label blocks derived from LabelledRows: each returns a Float32Array of size × width, ready for
// combineLabels. Turning rows into a dataset takes two calls, with no wrapper in between:
//
//   const labels = combineLabels(layout, { digit: oneHotBlock(rows, 10), isOdd: classFlagBlock(rows, [1, 3, 5, 7, 9]) }, rows.size);
//   const dataset = arrayDataset({ features: rows.features, featureShape: rows.featureShape, labels, labelWidth: layout.width });

/**
 * The class ids as one-hot rows, width `numClasses`: `out[r × numClasses + classIds[r]] = 1`.
 * A class id ≥ numClasses is an error naming the row and the value.
 *
 * @example
 * oneHotBlock(rows, 3); // classIds [2, 0] → Float32Array [0, 0, 1,  1, 0, 0]
 */
export function oneHotBlock(rows: LabelledRows, numClasses: number): Float32Array {
  checkRows(rows);
  return oneHot(rows.classIds, numClasses);
}

/**
 * A 0/1 flag per row, width 1: `out[r] = 1` when `classIds[r]` is one of `classes`, else 0.
 * `classes` are distinct integers ≥ 0, at least one.
 *
 * @example
 * classFlagBlock(rows, [1, 3, 5, 7, 9]); // is-odd: classIds [7, 2, 1] → Float32Array [1, 0, 1]
 */
export function classFlagBlock(rows: LabelledRows, classes: readonly number[]): Float32Array {
  checkRows(rows);
  requireClassList('classes', classes, 1);
  const flagged = new Set(classes);
  return Float32Array.from(rows.classIds, (id) => (flagged.has(id) ? 1 : 0));
}

/**
 * A copy of the extra column `column`, width 1 (e.g. a mask or a condition read from CSV). An
 * unknown column is an error listing the columns the rows have.
 *
 * @example
 * columnBlock(rows, 'mask'); // Float32Array, one value per row
 */
export function columnBlock(rows: LabelledRows, column: string): Float32Array {
  checkRows(rows);
  const values = Object.hasOwn(rows.columns, column) ? rows.columns[column] : undefined;
  if (values === undefined) {
    const available = Object.keys(rows.columns);
    throw new LosslabError(
      'INVALID_ARGUMENT',
      `column: "${column}" is not a column of the rows (${available.length === 0 ? 'the rows have no extra columns' : `columns: ${available.map((n) => `"${n}"`).join(', ')}`})`,
    );
  }
  return Float32Array.from(values);
}
