import * as E from 'fp-ts/lib/Either.js';
import * as t from 'io-ts';
import { formatErrors, NonEmptyString, NonNegativeInt, PositiveInt } from '@losslab/schema';
import type { ProcessIdentity } from './run-files.js';

// Apart from store.ts, which loads TensorFlow.js (checkpoints), so that `losslab runs` reads run
// folders without it.

/** File written when a run starts; a folder with it and without `record.json` is an incomplete run. */
export const STARTED_FILE = 'started.json';

/**
 * `started.json`, as far as resuming needs it. The run id must be the folder's own name (a run id
 * read back names the folder the run completes in and goes into its record).
 */
const StartedRequired = t.type({
  runId: NonEmptyString,
  variant: NonEmptyString,
  startedAt: NonEmptyString,
  definitionHash: NonEmptyString,
  seed: NonNegativeInt,
  backend: NonEmptyString,
  codeFingerprint: NonEmptyString,
  /** The process running it now (updated on every resume). */
  pid: PositiveInt,
});
const StartedOptional = t.partial({
  processStart: NonNegativeInt,
  bootId: NonEmptyString,
  resumes: t.array(t.type({ afterEpoch: PositiveInt, at: NonEmptyString })),
});

/** What `started.json` says of a run: enough to tell whether an incomplete run can be resumed. */
export type StartedRun = t.TypeOf<typeof StartedRequired> & t.TypeOf<typeof StartedOptional> & ProcessIdentity;

/** `started.json` decoded, or its problems by path (two codecs rather than an intersection, whose paths start "0."). */
export function decodeStarted(raw: unknown): E.Either<string[], StartedRun> {
  const required = StartedRequired.decode(raw);
  const optional = StartedOptional.decode(raw);
  if (E.isRight(required) && E.isRight(optional)) return E.right({ ...required.right, ...optional.right });
  return E.left(
    formatErrors([...(E.isLeft(required) ? required.left : []), ...(E.isLeft(optional) ? optional.left : [])]),
  );
}
