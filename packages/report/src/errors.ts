/**
 * The kinds of deliberate failure this package reports. They mirror `@losslab/runtime`'s
 * `LosslabErrorCode` names; the report cannot import the runtime because the runtime pulls in
 * TensorFlow, and the report must stay TensorFlow-free.
 */
export type ReportErrorCode = 'INVALID_ARGUMENT' | 'IO' | 'DATA_FORMAT';

/**
 * The error the report throws on purpose: `code` says which kind, the message names the argument,
 * file or field and what was expected.
 *
 * @example
 * throw new ReportError('INVALID_ARGUMENT', 'level: expected a number in (0, 1), got 1.5');
 */
export class ReportError extends Error {
  override readonly name = 'ReportError';
  constructor(
    readonly code: ReportErrorCode,
    message: string,
  ) {
    super(message);
  }
}
