/** What kind of failure a {@link LosslabError} reports; stable, so callers can branch on it. */
export type LosslabErrorCode =
  | 'INVALID_ARGUMENT'
  | 'SHAPE_MISMATCH'
  | 'DATA_FORMAT'
  | 'BACKEND_UNAVAILABLE'
  | 'TENSOR_LEAK'
  | 'NON_FINITE_LOSS'
  | 'INVALID_DEFINITION'
  | 'IO';

/**
 * The one error type losslab throws on purpose. The message names the argument, file, field or
 * epoch and what was expected; `code` says which kind of failure it is.
 *
 * @example
 * throw new LosslabError('INVALID_ARGUMENT', 'batchSize: expected a positive integer, got 0');
 */
export class LosslabError extends Error {
  override readonly name = 'LosslabError';
  constructor(
    readonly code: LosslabErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** True when `error` is a {@link LosslabError}, optionally of the given code. */
export const isLosslabError = (error: unknown, code?: LosslabErrorCode): error is LosslabError =>
  error instanceof LosslabError && (code === undefined || error.code === code);

/** Throws `INVALID_ARGUMENT` unless `value` is an integer ≥ `min`; the message names `what`. */
export function requireInteger(what: string, value: number, min = 1): number {
  if (!Number.isInteger(value) || value < min) {
    throw new LosslabError('INVALID_ARGUMENT', `${what}: expected an integer >= ${min}, got ${String(value)}`);
  }
  return value;
}
