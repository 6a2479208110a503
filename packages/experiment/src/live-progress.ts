import { join } from 'node:path';
import * as t from 'io-ts';
import { EpochRecord, NonEmptyString, NonNegativeInt, PositiveInt } from '@losslab/schema';
import { writeFileAtomic } from '@losslab/schema/files';
import type { EpochEntry, ProgressReporter } from '@losslab/train';

/**
 * A running run's `progress.json`: every finished epoch's history entry and how far the current
 * epoch has got, rewritten atomically after each epoch (and at most once a second within one), so
 * a reader (`losslab runs`, `losslab serve`) sees a running run epoch by epoch and a killed one
 * shows how far it got. The record stays the one complete account: this file is only progress.
 */
export const PROGRESS_FILE = 'progress.json';

/** What `progress.json` holds; decoded whenever it is read back (a reader trusts nothing on disk). */
export const RunProgress = t.type({
  schema: t.literal('losslab.progress/1'),
  runId: NonEmptyString,
  /** The epochs the run is to train (early stopping may end it sooner). */
  epochs: PositiveInt,
  /** The epoch under way, or the last one finished when `step === steps`. */
  epoch: NonNegativeInt,
  step: NonNegativeInt,
  steps: NonNegativeInt,
  /** When the epoch under way started (ISO 8601). */
  epochStartedAt: NonEmptyString,
  updatedAt: NonEmptyString,
  /** Every finished epoch, from epoch 1 (a resumed run's include its checkpoint's). */
  history: t.array(EpochRecord),
});
export type RunProgress = t.TypeOf<typeof RunProgress>;

/** Mid-epoch progress is written at most this often; every finished epoch is written at once. */
const STEP_WRITE_INTERVAL_MS = 1000;

/** What a run hands to `fit` so that its progress lands in `progress.json`. */
export interface ProgressFile {
  /** Wraps the run's own reporter: it still prints; this also notes the epoch count and steps. */
  readonly reporter: (inner: ProgressReporter) => ProgressReporter;
  readonly onBatchEnd: (step: number) => Promise<void>;
  readonly onEpochEnd: (entry: EpochEntry) => Promise<void>;
}

/**
 * The progress file of the run in `folder`; `earlier` is the history a resumed run starts from.
 * `now` is the clock (a test's own).
 *
 * @example const progress = progressFile(folder, runId, []); fit({ ..., progress: progress.reporter(bar), onEpochEnd: progress.onEpochEnd });
 */
export function progressFile(
  folder: string,
  runId: string,
  earlier: readonly EpochEntry[],
  now: () => number = Date.now,
): ProgressFile {
  const history: EpochEntry[] = [...earlier];
  let epochs = 1;
  let epoch = 0;
  let steps = 0;
  let step = 0;
  let epochStartedAt = now();
  let lastWrite = Number.NEGATIVE_INFINITY;
  const write = async (): Promise<void> => {
    lastWrite = now();
    const progress: RunProgress = {
      schema: 'losslab.progress/1',
      runId,
      epochs,
      epoch,
      step,
      steps,
      epochStartedAt: new Date(epochStartedAt).toISOString(),
      updatedAt: new Date(lastWrite).toISOString(),
      history,
    };
    await writeFileAtomic(join(folder, PROGRESS_FILE), `${JSON.stringify(progress)}\n`);
  };
  return {
    reporter: (inner) => ({
      epochStart(current, total, stepCount) {
        epochs = total;
        epoch = current;
        steps = stepCount;
        step = 0;
        epochStartedAt = now();
        inner.epochStart(current, total, stepCount);
      },
      step(current, meanLoss) {
        step = current;
        inner.step(current, meanLoss);
      },
      epochEnd(summary) {
        inner.epochEnd(summary);
      },
    }),
    onBatchEnd: async (current) => {
      step = current;
      if (now() - lastWrite >= STEP_WRITE_INTERVAL_MS && current < steps) await write();
    },
    onEpochEnd: async (entry) => {
      history.push(entry);
      step = steps;
      await write();
    },
  };
}
