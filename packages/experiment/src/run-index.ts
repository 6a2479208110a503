import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { RECORD_FILE, type RunRecord } from '@losslab/schema';
import { completeRecords, runFolder, type ReuseKey } from './store.js';

/**
 * The complete runs of one experiment by reuse key, read once per command (or kept by a worker
 * between jobs) instead of rescanning every record for every run: deciding a resubmit of N runs
 * reads N records, not N². The newest run of a key wins, as {@link findReusableRun} decides.
 */
export class RunIndex {
  private readonly runs = new Map<string, RunRecord>();

  private constructor(
    private readonly runsDir: string,
    private readonly experiment: string,
  ) {}

  /** Reads every complete, valid record of `experiment` (see `completeRecords` for `passedOver`). */
  static async read(runsDir: string, experiment: string, passedOver?: (message: string) => void): Promise<RunIndex> {
    const index = new RunIndex(runsDir, experiment);
    // Oldest first, so a newer run of the same key replaces an older one.
    for (const record of await completeRecords(runsDir, experiment, passedOver)) index.add(record);
    return index;
  }

  /** Adds a run just written (or collected); it becomes the newest of its key. */
  add(record: RunRecord): void {
    if (record.codeFingerprint === undefined) return; // an old record without code fingerprint is never reused
    this.runs.set(
      keyText({
        definitionHash: record.definitionHash,
        seed: record.seed,
        backend: record.environment.backend,
        codeFingerprint: record.codeFingerprint,
      }),
      record,
    );
  }

  /**
   * The newest complete run with `key`, if its record is still on disk (a folder removed since the
   * index was read is forgotten rather than reused).
   */
  find(key: ReuseKey): RunRecord | undefined {
    const text = keyText(key);
    const record = this.runs.get(text);
    if (record === undefined) return undefined;
    if (existsSync(join(runFolder(this.runsDir, this.experiment, record.runId), RECORD_FILE))) return record;
    this.runs.delete(text);
    return undefined;
  }
}

const keyText = (key: ReuseKey): string =>
  JSON.stringify([key.definitionHash, key.seed, key.backend, key.codeFingerprint]);
