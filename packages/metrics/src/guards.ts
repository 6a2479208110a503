import { LosslabError } from '@losslab/runtime';

/** Throws `SHAPE_MISMATCH` unless both arrays have the same length, naming both. */
export function requireSameLength(aName: string, a: ArrayLike<number>, bName: string, b: ArrayLike<number>): void {
  if (a.length !== b.length) {
    throw new LosslabError(
      'SHAPE_MISMATCH',
      `${bName}: expected ${a.length} values (the length of ${aName}), got ${b.length}`,
    );
  }
}

/** Throws `INVALID_ARGUMENT` unless `values` is non-empty. */
export function requireNonEmpty(name: string, values: ArrayLike<number>): void {
  if (values.length === 0) throw new LosslabError('INVALID_ARGUMENT', `${name}: expected at least one value, got none`);
}

/** Throws `INVALID_ARGUMENT` unless every value is an integer class id in [0, numClasses). */
export function requireClassIds(name: string, values: ArrayLike<number>, numClasses: number): void {
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (!Number.isInteger(v) || v < 0 || v >= numClasses) {
      throw new LosslabError(
        'INVALID_ARGUMENT',
        `${name}[${i}]: expected an integer class id in [0, ${numClasses}), got ${String(v)}`,
      );
    }
  }
}
