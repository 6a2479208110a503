import { LosslabError } from '@losslab/runtime';

/** Throws `INVALID_ARGUMENT` unless `value` is a finite number in the open interval (min, max). */
export function requireOpenInterval(what: string, value: number, min: number, max: number): number {
  if (!Number.isFinite(value) || value <= min || value >= max) {
    throw new LosslabError('INVALID_ARGUMENT', `${what}: expected a number in (${min}, ${max}), got ${String(value)}`);
  }
  return value;
}

/** Throws `INVALID_ARGUMENT` unless `value` is a finite number ≥ `min`. */
export function requireAtLeast(what: string, value: number, min: number): number {
  if (!Number.isFinite(value) || value < min) {
    throw new LosslabError('INVALID_ARGUMENT', `${what}: expected a finite number >= ${min}, got ${String(value)}`);
  }
  return value;
}

/**
 * `Array.isArray` for guards against JavaScript callers: unlike it, this never narrows a typed
 * `readonly number[]` parameter to `any[]`.
 */
export function isArray(value: unknown): value is readonly unknown[] {
  return Array.isArray(value);
}

/** Throws `INVALID_ARGUMENT` unless `values` is a non-empty array of finite numbers ≥ 0. */
export function requireWeights(what: string, values: readonly number[]): readonly number[] {
  if (!isArray(values) || values.length === 0) {
    throw new LosslabError('INVALID_ARGUMENT', `${what}: expected a non-empty array of weights`);
  }
  values.forEach((value, index) => {
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
      throw new LosslabError(
        'INVALID_ARGUMENT',
        `${what}[${index}]: expected a finite number >= 0, got ${String(value)}`,
      );
    }
  });
  return values;
}

/** Throws `INVALID_ARGUMENT` unless `value` is a finite number > 0. */
export function requirePositive(what: string, value: number): number {
  if (!Number.isFinite(value) || value <= 0) {
    throw new LosslabError('INVALID_ARGUMENT', `${what}: expected a finite number > 0, got ${String(value)}`);
  }
  return value;
}
