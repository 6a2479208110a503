import type { ConfusionMetric } from './bootstrap.js';

/**
 * The headline metrics the report can recompute from a confusion matrix `[true][predicted]`, by
 * the rules of `@losslab/metrics` (precision, recall and F1 are 0 where their denominator is;
 * macro averages over the classes that occur as truth or prediction; balanced accuracy over the
 * classes that occur as truth; precision, recall and F1 without a prefix are the positive class's, 1).
 * The report checks each recomputed value against the recorded one before resampling with it.
 */

const ratio = (numerator: number, denominator: number): number => (denominator === 0 ? 0 : numerator / denominator);
const average = (values: readonly number[]): number => values.reduce((sum, v) => sum + v, 0) / values.length;

interface ClassCounts {
  readonly support: number;
  readonly predicted: number;
  readonly precision: number;
  readonly recall: number;
  readonly f1: number;
}

function classCounts(confusion: readonly Float64Array[]): ClassCounts[] {
  return confusion.map((row, c) => {
    const support = row.reduce((sum, count) => sum + count, 0);
    const predicted = confusion.reduce((sum, other) => sum + (other[c] ?? 0), 0);
    const tp = row[c] ?? 0;
    return {
      support,
      predicted,
      precision: ratio(tp, predicted),
      recall: ratio(tp, support),
      f1: ratio(2 * tp, support + predicted),
    };
  });
}

const total = (confusion: readonly Float64Array[]): number =>
  confusion.reduce((sum, row) => sum + row.reduce((s, count) => s + count, 0), 0);

const present = (confusion: readonly Float64Array[]): ClassCounts[] =>
  classCounts(confusion).filter((c) => c.support + c.predicted > 0);

export const CONFUSION_METRICS: Readonly<Record<string, ConfusionMetric>> = {
  accuracy: (confusion) => confusion.reduce((sum, row, c) => sum + (row[c] ?? 0), 0) / total(confusion),
  balancedAccuracy: (confusion) =>
    average(
      classCounts(confusion)
        .filter((c) => c.support > 0)
        .map((c) => c.recall),
    ),
  macroF1: (confusion) => average(present(confusion).map((c) => c.f1)),
  macroPrecision: (confusion) => average(present(confusion).map((c) => c.precision)),
  macroRecall: (confusion) => average(present(confusion).map((c) => c.recall)),
  precision: (confusion) => classCounts(confusion)[1]?.precision ?? Number.NaN,
  recall: (confusion) => classCounts(confusion)[1]?.recall ?? Number.NaN,
  f1: (confusion) => classCounts(confusion)[1]?.f1 ?? Number.NaN,
};
