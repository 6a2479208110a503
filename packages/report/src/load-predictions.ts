import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { decodePredictions, sha256Hex, type RunRecord } from '@losslab/schema';
import { predictionsKey, type RunPredictions } from './calibration.js';

/**
 * What {@link loadPredictions} read: the predictions by run, and why any recorded file was not used;
 * named as `buildReport`'s and `writeReport`'s options, so it is passed to them as it is.
 */
export interface LoadedPredictions {
  readonly predictions: RunPredictions;
  readonly predictionProblems: readonly string[];
}

/** The bytes of `path`, opened without following a link; a regular file only. */
async function readRegularFile(path: string): Promise<Buffer> {
  const handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  try {
    if (!(await handle.stat()).isFile()) throw new Error('not a regular file');
    return await handle.readFile();
  } finally {
    await handle.close();
  }
}

/**
 * Reads the per-example predictions of the runs whose records name them
 * (`<runsDir>/<experiment>/<runId>/predictions.bin`): each file's sha256 must be the record's and
 * its bytes must fit the record's shape. A file that fails is left out with its reason in
 * `predictionProblems`; runs without predictions (older runs) are simply absent.
 *
 * @example await writeReport(records, 'reports/blink', { ...(await loadPredictions('runs', records)) });
 */
export async function loadPredictions(runsDir: string, records: readonly RunRecord[]): Promise<LoadedPredictions> {
  const predictions = new Map<string, ReturnType<typeof decodePredictions>>();
  const problems: string[] = [];
  for (const record of records) {
    const recorded = record.predictions;
    if (recorded === undefined) continue;
    const runPath = `${record.experiment}/${record.runId}`;
    // the name comes from a record: one plain file name inside the run folder, nothing else
    if (!/^[\w.-]+$/.test(recorded.path) || recorded.path.startsWith('.')) {
      problems.push(`${runPath}: the record names predictions at ${JSON.stringify(recorded.path)}, not a file name`);
      continue;
    }
    const where = `${runPath}/${recorded.path}`;
    try {
      const bytes = await readRegularFile(join(runsDir, record.experiment, record.runId, recorded.path));
      const found = sha256Hex(bytes);
      if (found !== recorded.sha256) {
        problems.push(`${where}: sha256 expected ${recorded.sha256} (the record's), found ${found}; not used`);
        continue;
      }
      predictions.set(predictionsKey(record), decodePredictions(bytes, recorded, where));
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      const reason =
        code === 'ELOOP' ? 'a symbolic link' : code === undefined ? (error as Error).message : `cannot read (${code})`;
      problems.push(code === undefined && reason.startsWith(where) ? reason : `${where}: ${reason}; not used`);
    }
  }
  return { predictions, predictionProblems: problems };
}
