import { LosslabError } from '@losslab/runtime';
import { columnSums, rowSums } from './classification.js';

/** Metrics of one class; see {@link perClassMetrics}. */
export interface ClassMetrics {
  /** The class name (`classNames[c]`, default `String(c)`). */
  readonly name: string;
  /** Samples whose true class is this one: the row sum `TP + FN`. */
  readonly support: number;
  /** Samples predicted as this class: the column sum `TP + FP`. */
  readonly predicted: number;
  /** TP / (TP + FP); 0 when the class is never predicted. */
  readonly precision: number;
  /** TP / (TP + FN); 0 when the class has no support. */
  readonly recall: number;
  /** 2·TP / (2·TP + FP + FN) (= 2·P·R / (P + R)); 0 when TP = 0. */
  readonly f1: number;
}

/**
 * Per-class and overall metrics of a confusion matrix; see {@link perClassMetrics}. A plain object
 * of numbers, strings and arrays (every number finite), so it goes straight into a run record.
 */
export interface PerClassMetrics {
  /**
   * One entry per class, in class order (every row of the matrix, present or not); the shape of
   * the run record's `perClass` (`ClassEvaluation[]` in `@losslab/schema`).
   */
  readonly classes: ClassMetrics[];
  /** trace / n. */
  readonly accuracy: number;
  /** Unweighted mean of precision over the present classes (support + predicted > 0). */
  readonly macroPrecision: number;
  /** Unweighted mean of recall over the present classes. */
  readonly macroRecall: number;
  /** Unweighted mean of the per-class F1 over the present classes (not the F1 of the macro P and R). */
  readonly macroF1: number;
  /** Σ_c support_c · precision_c / n. */
  readonly weightedPrecision: number;
  /** Σ_c support_c · recall_c / n; always equals `accuracy`. */
  readonly weightedRecall: number;
  /** Σ_c support_c · f1_c / n. */
  readonly weightedF1: number;
  /** Mean recall over the classes with support > 0. */
  readonly balancedAccuracy: number;
}

const ratio = (numerator: number, denominator: number): number => (denominator === 0 ? 0 : numerator / denominator);

const mean = (values: readonly number[]): number => values.reduce((sum, v) => sum + v, 0) / values.length;

/** Throws unless `confusion` is a non-empty square matrix of non-negative integer counts. */
function requireConfusion(confusion: readonly (readonly number[])[]): void {
  if (!Array.isArray(confusion) || confusion.length === 0) {
    throw new LosslabError('SHAPE_MISMATCH', 'confusion: expected a non-empty square matrix of counts, got no rows');
  }
  const k = confusion.length;
  confusion.forEach((row: unknown, t) => {
    if (!Array.isArray(row) || row.length !== k) {
      const got = Array.isArray(row) ? `${row.length} counts` : String(row);
      throw new LosslabError(
        'SHAPE_MISMATCH',
        `confusion[${t}]: expected ${k} counts (a square matrix with ${k} rows), got ${got}`,
      );
    }
    row.forEach((count: unknown, p) => {
      if (typeof count !== 'number' || !Number.isInteger(count) || count < 0) {
        throw new LosslabError(
          'INVALID_ARGUMENT',
          `confusion[${t}][${p}]: expected a non-negative integer count, got ${String(count)}`,
        );
      }
    });
  });
}

function requireClassNames(classNames: readonly string[], k: number): void {
  if (!Array.isArray(classNames) || classNames.length !== k) {
    const got = Array.isArray(classNames) ? `${classNames.length}` : String(classNames);
    throw new LosslabError('SHAPE_MISMATCH', `classNames: expected ${k} names (one per row of confusion), got ${got}`);
  }
  const seen = new Set<string>();
  for (const name of classNames) {
    if (typeof name !== 'string') {
      throw new LosslabError('INVALID_ARGUMENT', `classNames: expected strings, got ${String(name)}`);
    }
    if (seen.has(name)) throw new LosslabError('INVALID_ARGUMENT', `classNames: duplicate name "${name}"`);
    seen.add(name);
  }
}

/**
 * {@link perClassMetrics} without the guards: `confusion` is a checked square matrix of counts
 * with at least one sample. `binaryMetrics` uses it on its 2×2 matrix, so the precision, recall,
 * F1 and balanced-accuracy rules exist once.
 */
export function perClassUnchecked(
  confusion: readonly (readonly number[])[],
  classNames?: readonly string[],
): PerClassMetrics {
  const support = rowSums(confusion);
  const predicted = columnSums(confusion);
  const n = support.reduce((sum, s) => sum + s, 0);
  const classes = support.map((rowSum, c): ClassMetrics => {
    const tp = confusion[c]![c]!;
    return {
      name: classNames?.[c] ?? String(c),
      support: rowSum,
      predicted: predicted[c]!,
      precision: ratio(tp, predicted[c]!),
      recall: ratio(tp, rowSum),
      // 2·TP + FP + FN = support + predicted; exact on integer counts.
      f1: ratio(2 * tp, rowSum + predicted[c]!),
    };
  });
  const present = classes.filter((m) => m.support + m.predicted > 0);
  const weighted = (pick: (m: ClassMetrics) => number): number =>
    classes.reduce((sum, m) => sum + m.support * pick(m), 0) / n;
  return {
    classes,
    accuracy: confusion.reduce((sum, row, c) => sum + row[c]!, 0) / n,
    macroPrecision: mean(present.map((m) => m.precision)),
    macroRecall: mean(present.map((m) => m.recall)),
    macroF1: mean(present.map((m) => m.f1)),
    weightedPrecision: weighted((m) => m.precision),
    weightedRecall: weighted((m) => m.recall),
    weightedF1: weighted((m) => m.f1),
    balancedAccuracy: mean(classes.filter((m) => m.support > 0).map((m) => m.recall)),
  };
}

/**
 * Per-class precision, recall and F1 and their macro and support-weighted averages, accuracy and
 * balanced accuracy, from a confusion matrix `[k][k]` (rows = true class, columns = predicted,
 * as {@link confusionMatrix} returns). For class c: `TP = confusion[c][c]`,
 * `support = TP + FN` (row sum), `predicted = TP + FP` (column sum), `n = Σ support`.
 *
 * 0/0 follows scikit-learn's `precision_recall_fscore_support(..., zero_division=0)` with its
 * default `labels` (the classes present in y_true ∪ y_pred), so every value is a finite number:
 * - a class never predicted has precision 0; a class with no support has recall 0; F1 is 0 when
 *   TP = 0;
 * - macro averages are unweighted means over the PRESENT classes only (support + predicted > 0):
 *   a class predicted but absent from the labels counts (with recall 0 and F1 0, pulling the
 *   macro averages down); a class neither in the labels nor predicted (an all-zero row and
 *   column) is excluded, as it would be missing from scikit-learn's label set. It still appears
 *   in `classes`, with all zeros;
 * - weighted averages weigh each class by its support and divide by n (zero-support classes add
 *   nothing); `weightedRecall` therefore equals `accuracy`;
 * - balanced accuracy is the mean recall over the classes with support > 0 (scikit-learn's
 *   `balanced_accuracy_score`, which drops predicted-only classes with a warning).
 * For a 2×2 matrix, `classes[1]` has `binaryMetrics`' precision, recall and F1 and
 * `balancedAccuracy` is its balanced accuracy.
 *
 * Guards: `confusion` must be a non-empty square matrix of non-negative integer counts with at
 * least one sample; `classNames`, when given, must hold k distinct names. Errors name the
 * argument (and the row/column of a bad count).
 *
 * @example
 * const m = perClassMetrics(confusionMatrix(trueDigits, predictedDigits, 3), ['zero', 'one', 'two']);
 * perClassMetrics([[2, 1], [0, 1]]);
 * // classes: [{ name: '0', support: 3, predicted: 2, precision: 1, recall: 2/3, f1: 0.8 },
 * //           { name: '1', support: 1, predicted: 2, precision: 0.5, recall: 1, f1: 2/3 }],
 * // accuracy 0.75, macroF1 ≈ 0.733, weightedF1 ≈ 0.767, balancedAccuracy ≈ 0.833
 */
export function perClassMetrics(
  confusion: readonly (readonly number[])[],
  classNames?: readonly string[],
): PerClassMetrics {
  requireConfusion(confusion);
  if (classNames !== undefined) requireClassNames(classNames, confusion.length);
  if (confusion.every((row) => row.every((count) => count === 0))) {
    throw new LosslabError('INVALID_ARGUMENT', 'confusion: expected at least one sample, got only zero counts');
  }
  return perClassUnchecked(confusion, classNames);
}
