import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isRight } from 'fp-ts/lib/Either.js';
import { FAILED_FILE, RECORD_FILE, RunRecord, type FailedRun } from '@losslab/schema';
import { writeFileAtomic } from '@losslab/schema/files';

/** File written when a run starts; a folder with it and without `record.json` is an incomplete run. */
export const STARTED_FILE = 'started.json';

/** A unique, sortable, readable run id: `2026-11-23T02-20-00-123Z-masked-s0-4711`. */
export const newRunId = (variant: string, seed: number, now = new Date()): string =>
  `${now.toISOString().replace(/[:.]/g, '-')}-${variant}-s${seed}-${process.pid}`;

/** True when `name` is one path segment that stays in its folder (no separator, not `.` or `..`). */
const isPlainSegment = (name: string): boolean => name !== '' && name !== '.' && name !== '..' && !/[/\\\0]/.test(name);

/**
 * `runs/<experiment>/<runId>`. Names are validated by the definition codec; this guard makes sure
 * that no name, validated or not, can place a run outside its experiment folder.
 */
export function runFolder(runsDir: string, experiment: string, runId: string): string {
  for (const [field, name] of [
    ['experiment', experiment],
    ['run id', runId],
  ] as const) {
    if (!isPlainSegment(name))
      throw new Error(`${field} "${name}" is not a plain folder name (it may not contain "/", "\\" or be "." or "..")`);
  }
  return join(runsDir, experiment, runId);
}

const json = (value: unknown): string => `${JSON.stringify(value, null, 2)}\n`;

/** A CSV field: quoted when it holds a comma, a quote or a line break (RFC 4180). */
const csvField = (text: string): string => (/[",\n\r]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text);

/**
 * The history as CSV for spreadsheets and plotting tools: one row per epoch, columns epoch, loss,
 * seconds, samplesPerSecond, then `validation.<metric>` for every validation metric (empty where
 * an epoch lacks it). Numbers are written in full (JavaScript's shortest round-trip form).
 */
function historyCsv(history: RunRecord['history']): string {
  const metrics = [...new Set(history.flatMap((entry) => Object.keys(entry.validation ?? {})))];
  const header = ['epoch', 'loss', 'seconds', 'samplesPerSecond', ...metrics.map((m) => `validation.${m}`)];
  const rows = history.map((entry) =>
    [entry.epoch, entry.loss, entry.seconds, entry.samplesPerSecond, ...metrics.map((m) => entry.validation?.[m] ?? '')]
      .map(String)
      .join(','),
  );
  return `${[header.map(csvField).join(','), ...rows].join('\n')}\n`;
}

/** Marks the start of a run: creates its folder (never reusing one) and `started.json`. */
export async function startRun(folder: string, info: Record<string, unknown>): Promise<void> {
  await mkdir(join(folder, '..'), { recursive: true });
  await mkdir(folder); // fails if it exists: runs never overwrite each other
  await writeFileAtomic(join(folder, STARTED_FILE), json(info));
}

/**
 * Finishes a run: the parts first (definition, history, evaluation, environment), the record
 * last, so `record.json` exists only when everything else does.
 */
export async function completeRun(folder: string, record: RunRecord): Promise<void> {
  await writeFileAtomic(
    join(folder, 'definition.json'),
    json({ definition: record.definition, definitionHash: record.definitionHash }),
  );
  await writeFileAtomic(join(folder, 'history.json'), json(record.history));
  await writeFileAtomic(join(folder, 'history.csv'), historyCsv(record.history));
  await writeFileAtomic(join(folder, 'evaluation.json'), json(record.evaluation));
  await writeFileAtomic(join(folder, 'environment.json'), json(record.environment));
  await writeFileAtomic(join(folder, RECORD_FILE), json(record));
}

/** The reason a run failed, written beside `started.json` (see `FailedRun` in @losslab/report). */
export async function failRun(folder: string, failure: FailedRun): Promise<void> {
  await writeFileAtomic(join(folder, FAILED_FILE), json(failure));
}

/** All complete, valid records of `experiment` (oldest first); unreadable ones are skipped. */
export async function completeRecords(runsDir: string, experiment: string): Promise<RunRecord[]> {
  const dir = join(runsDir, experiment);
  if (!existsSync(dir)) return [];
  const records: RunRecord[] = [];
  for (const entry of (await readdir(dir)).sort()) {
    const path = join(dir, entry, RECORD_FILE);
    if (!existsSync(path)) continue;
    try {
      const decoded = RunRecord.decode(JSON.parse(await readFile(path, 'utf8')));
      if (isRight(decoded)) records.push(decoded.right);
    } catch {
      // a damaged record is the report's to flag; here it simply is not reusable
    }
  }
  return records;
}

/** What makes two runs interchangeable: same settings, seed, backend and code. */
export interface ReuseKey {
  readonly definitionHash: string;
  readonly seed: number;
  readonly backend: string;
  readonly codeFingerprint: string;
}

/** The newest complete run with this key, if any (for reuse). */
export async function findReusableRun(
  runsDir: string,
  experiment: string,
  key: ReuseKey,
): Promise<RunRecord | undefined> {
  const matches = (await completeRecords(runsDir, experiment)).filter(
    (r) =>
      r.definitionHash === key.definitionHash &&
      r.seed === key.seed &&
      r.environment.backend === key.backend &&
      r.codeFingerprint === key.codeFingerprint,
  );
  return matches[matches.length - 1];
}
