/**
 * The report throws losslab's one error type, `LosslabError`, which `@losslab/schema` holds
 * because the report must stay TensorFlow-free (it cannot import `@losslab/runtime`). Here it
 * keeps its former name, `ReportError`: the same class, so `instanceof` either name holds.
 *
 * @example
 * throw new ReportError('INVALID_ARGUMENT', 'level: expected a number in (0, 1), got 1.5');
 */
export { LosslabError as ReportError, type LosslabErrorCode as ReportErrorCode } from '@losslab/schema';
