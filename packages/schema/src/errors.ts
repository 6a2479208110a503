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
 * The one error type losslab throws on purpose, the report included (so it lives in the
 * TensorFlow-free schema package; `@losslab/runtime` re-exports it). The message names the argument, file, field or
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
