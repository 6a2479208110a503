import { LosslabError, requireInteger } from '@losslab/runtime';
import { columnSums, rowSums } from './classification.js';
import { requireClassIds, requireSameLength } from './guards.js';

/**
 * Accumulates a confusion matrix batch by batch, so accuracy and confusion over a whole epoch
 * are exact (equal to the one-shot {@link accuracy} / {@link confusionMatrix} over the
 * concatenated batches), never an average of per-batch values.
 *
 * @example
 * const stream = new StreamingClassification(3);
 * stream.update([0, 1], [0, 2]).update([2], [2]);
 * stream.accuracy(); // 2 / 3
 * stream.confusion(); // [[1, 0, 0], [0, 0, 1], [0, 0, 1]]
 */
export class StreamingClassification {
  readonly numClasses: number;
  private readonly counts: number[][];
  private seen = 0;
  private correct = 0;

  constructor(numClasses: number) {
    this.numClasses = requireInteger('numClasses', numClasses);
    this.counts = Array.from({ length: numClasses }, () => new Array<number>(numClasses).fill(0));
  }

  /** Adds one batch of true and predicted class ids; returns `this` for chaining. */
  update(trueClasses: ArrayLike<number>, predictedClasses: ArrayLike<number>): this {
    requireSameLength('trueClasses', trueClasses, 'predictedClasses', predictedClasses);
    requireClassIds('trueClasses', trueClasses, this.numClasses);
    requireClassIds('predictedClasses', predictedClasses, this.numClasses);
    for (let i = 0; i < trueClasses.length; i++) {
      const t = trueClasses[i]!;
      const p = predictedClasses[i]!;
      this.counts[t]![p]! += 1;
      if (t === p) this.correct++;
    }
    this.seen += trueClasses.length;
    return this;
  }

  /** Number of samples seen so far. */
  get count(): number {
    return this.seen;
  }

  /** Accuracy over everything seen; throws if nothing was seen. */
  accuracy(): number {
    if (this.seen === 0)
      throw new LosslabError('INVALID_ARGUMENT', 'StreamingClassification.accuracy: no samples seen yet');
    return this.correct / this.seen;
  }

  /** A copy of the confusion matrix over everything seen (rows = true, columns = predicted). */
  confusion(): number[][] {
    return this.counts.map((row) => [...row]);
  }

  /** Samples seen per true class (row sums of the confusion matrix). */
  trueCounts(): number[] {
    return rowSums(this.counts);
  }

  /** Samples predicted per class (column sums of the confusion matrix). */
  predictedCounts(): number[] {
    return columnSums(this.counts);
  }

  /** Forgets everything seen (e.g. at the start of an epoch). */
  reset(): void {
    for (const row of this.counts) row.fill(0);
    this.seen = 0;
    this.correct = 0;
  }
}
