import { LosslabError, requireInteger } from '@losslab/runtime';
import { featureSize } from './dataset.js';

/**
 * What every data source yields before a label layout is applied: `size` rows, each with a
 * feature block of shape `featureShape`, one integer class id, and any number of extra numeric
 * per-row columns (a mask, a condition, a subject id...). Label blocks are derived from it (see
 * `oneHotBlock`, `classFlagBlock`, `columnBlock`) and assembled with `combineLabels`.
 *
 * @example
 * const rows: LabelledRows = {
 *   features: Float32Array.of(0, 1, 2, 3, 4, 5), featureShape: [2], // 3 rows of 2 values
 *   classIds: Int32Array.of(2, 0, 2),
 *   columns: { weight: Float32Array.of(1, 0.5, 1) },
 *   size: 3,
 * };
 */
export interface LabelledRows {
  /** size × prod(featureShape), row-major. */
  readonly features: Float32Array;
  /** Per-row shape, e.g. [28, 28] or [windowLength, featureCount]. */
  readonly featureShape: readonly number[];
  /** The label column: one integer class id ≥ 0 per row. */
  readonly classIds: Int32Array;
  /** Extra numeric per-row columns (one value per row each); may be `{}`. */
  readonly columns: Readonly<Record<string, Float32Array>>;
  readonly size: number;
}

/**
 * Throws unless the parts of `rows` agree: `size` is an integer ≥ 0, every featureShape entry an
 * integer ≥ 1, features hold size × prod(featureShape) values, classIds and every extra column
 * hold `size` values (`SHAPE_MISMATCH`), and every class id is ≥ 0 (`INVALID_ARGUMENT`, naming
 * the row). For sources written by users; the built-in readers and transforms call it too.
 *
 * @example
 * checkRows(myRows, 'train rows'); // errors start with "train rows: ..."
 */
export function checkRows(rows: LabelledRows, what = 'rows'): void {
  requireInteger(`${what}.size`, rows.size, 0);
  rows.featureShape.forEach((dim, axis) => requireInteger(`${what}.featureShape[${axis}]`, dim, 1));
  const perRow = featureSize(rows.featureShape);
  if (rows.features.length !== rows.size * perRow) {
    throw new LosslabError(
      'SHAPE_MISMATCH',
      `${what}.features: expected ${rows.size} × ${perRow} = ${rows.size * perRow} values for size ${rows.size} and featureShape [${rows.featureShape.join(', ')}], got ${rows.features.length}`,
    );
  }
  if (rows.classIds.length !== rows.size) {
    throw new LosslabError(
      'SHAPE_MISMATCH',
      `${what}.classIds: expected ${rows.size} values (one per row), got ${rows.classIds.length}`,
    );
  }
  for (const [name, values] of Object.entries(rows.columns)) {
    if (values.length !== rows.size) {
      throw new LosslabError(
        'SHAPE_MISMATCH',
        `${what}.columns["${name}"]: expected ${rows.size} values (one per row), got ${values.length}`,
      );
    }
  }
  for (let row = 0; row < rows.size; row++) {
    const id = rows.classIds[row]!;
    if (id < 0) {
      throw new LosslabError('INVALID_ARGUMENT', `${what}.classIds[${row}]: expected a class id >= 0, got ${id}`);
    }
  }
}

/**
 * Copies the rows `indices`, in that order (repeats allowed), into new rows: features, class ids
 * and every extra column. An index outside [0, size) is an error naming its position.
 *
 * @example
 * selectRows(rows, [2, 0]); // row 2 then row 0; classIds [2, 2], columns.weight [1, 1]
 */
export function selectRows(rows: LabelledRows, indices: ArrayLike<number>): LabelledRows {
  checkRows(rows);
  for (let at = 0; at < indices.length; at++) {
    const source = indices[at]!;
    if (!Number.isInteger(source) || source < 0 || source >= rows.size) {
      throw new LosslabError(
        'INVALID_ARGUMENT',
        `indices[${at}]: expected an integer row in [0, ${rows.size}), got ${source}`,
      );
    }
  }
  const perRow = featureSize(rows.featureShape);
  const count = indices.length;
  const features = new Float32Array(count * perRow);
  const classIds = new Int32Array(count);
  const columns: Record<string, Float32Array> = {};
  const sources = Object.entries(rows.columns).map(([name, values]) => {
    const out = new Float32Array(count);
    columns[name] = out;
    return { values, out };
  });
  for (let at = 0; at < count; at++) {
    const source = indices[at]!;
    features.set(rows.features.subarray(source * perRow, (source + 1) * perRow), at * perRow);
    classIds[at] = rows.classIds[source]!;
    for (const { values, out } of sources) out[at] = values[source]!;
  }
  return { features, featureShape: [...rows.featureShape], classIds, columns, size: count };
}

/**
 * Rows per class: `counts[c]` = number of rows whose class id is c, for c in 0 … C − 1, where
 * C = `numClasses` when given (then a class id ≥ numClasses is an error naming the row and the
 * value) and max(classIds) + 1 otherwise (0 classes for no rows).
 *
 * @example
 * classCountsOf(rows);     // classIds [2, 0, 2] → [1, 0, 2]
 * classCountsOf(rows, 4);  // [1, 0, 2, 0]
 */
export function classCountsOf(rows: LabelledRows, numClasses?: number): number[] {
  checkRows(rows);
  let classes: number;
  if (numClasses === undefined) {
    classes = rows.classIds.reduce((max, id) => Math.max(max, id + 1), 0);
  } else {
    classes = requireInteger('numClasses', numClasses, 1);
  }
  const counts = new Array<number>(classes).fill(0);
  for (let row = 0; row < rows.size; row++) {
    const id = rows.classIds[row]!;
    if (id >= classes) {
      throw new LosslabError(
        'INVALID_ARGUMENT',
        `classIds[${row}]: expected a class id in [0, ${classes}) for numClasses ${classes}, got ${id}`,
      );
    }
    counts[id] = counts[id]! + 1;
  }
  return counts;
}

/**
 * Throws `INVALID_ARGUMENT` unless `classes` is an array of at least `min` distinct integers ≥ 0;
 * the message names `what[i]`.
 */
export function requireClassList(what: string, classes: readonly number[], min: number): readonly number[] {
  const list: unknown = classes;
  if (!Array.isArray(list) || list.length < min) {
    throw new LosslabError(
      'INVALID_ARGUMENT',
      `${what}: expected an array of ${min > 0 ? `at least ${min} class id${min > 1 ? 's' : ''}` : 'class ids'}, got ${JSON.stringify(list)}`,
    );
  }
  classes.forEach((c, i) => {
    requireInteger(`${what}[${i}]`, c, 0);
    const first = classes.indexOf(c);
    if (first !== i) {
      throw new LosslabError(
        'INVALID_ARGUMENT',
        `${what}[${i}]: class ${c} is listed twice (also at ${what}[${first}])`,
      );
    }
  });
  return classes;
}
