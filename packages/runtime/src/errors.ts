import { LosslabError } from '@losslab/schema';

export { LosslabError, isLosslabError, type LosslabErrorCode } from '@losslab/schema';

/** Throws `INVALID_ARGUMENT` unless `value` is an integer ≥ `min`; the message names `what`. */
export function requireInteger(what: string, value: number, min = 1): number {
  if (!Number.isInteger(value) || value < min) {
    throw new LosslabError('INVALID_ARGUMENT', `${what}: expected an integer >= ${min}, got ${String(value)}`);
  }
  return value;
}
