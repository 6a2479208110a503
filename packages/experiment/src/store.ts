import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { isRight } from 'fp-ts/lib/Either.js';
import {
  Checkpoint,
  CHECKPOINTS_FOLDER,
  checkpointFileName,
  FAILED_FILE,
  RECORD_FILE,
  RunRecord,
  type FailedRun,
} from '@losslab/schema';
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
 * seconds, samplesPerSecond, learningRate (when a schedule set it), then `validation.<metric>` for
 * every validation metric (empty where an epoch lacks it). Numbers are written in full
 * (JavaScript's shortest round-trip form).
 */
function historyCsv(history: RunRecord['history']): string {
  const metrics = [...new Set(history.flatMap((entry) => Object.keys(entry.validation ?? {})))];
  const scheduled = history.some((entry) => entry.learningRate !== undefined);
  const header = [
    'epoch',
    'loss',
    'seconds',
    'samplesPerSecond',
    ...(scheduled ? ['learningRate'] : []),
    ...metrics.map((m) => `validation.${m}`),
  ];
  const rows = history.map((entry) =>
    [
      entry.epoch,
      entry.loss,
      entry.seconds,
      entry.samplesPerSecond,
      ...(scheduled ? [entry.learningRate ?? ''] : []),
      ...metrics.map((m) => entry.validation?.[m] ?? ''),
    ]
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

/** The reason a run failed, written beside `started.json` (see `FailedRun` in @losslab/schema). */
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

/** What `started.json` says of a run: enough to tell whether an incomplete run can be resumed. */
export interface StartedRun extends ReuseKey {
  readonly runId: string;
  readonly variant: string;
  readonly startedAt: string;
  /** The process running it now (updated on every resume). */
  readonly pid: number;
  readonly resumes?: readonly { readonly afterEpoch: number; readonly at: string }[];
}

/** An incomplete run that a rerun continues: its folder, what started it, and its newest checkpoint. */
export interface ResumableRun {
  readonly folder: string;
  readonly started: StartedRun;
  readonly checkpoint: Checkpoint;
}

/** True when a process with this id exists (signal 0 checks without sending anything). */
function processAlive(pid: number): boolean {
  if (pid === process.pid) return false; // an earlier attempt of this very process has ended
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function readJson(path: string): Promise<unknown> {
  return JSON.parse(await readFile(path, 'utf8')) as unknown;
}

/** The newest checkpoint of a run folder that reads and decodes; a damaged one is passed over. */
async function newestCheckpoint(folder: string): Promise<Checkpoint | undefined> {
  const dir = join(folder, CHECKPOINTS_FOLDER);
  if (!existsSync(dir)) return undefined;
  for (const name of (await readdir(dir))
    .filter((n) => /^epoch-\d+\.json$/.test(n))
    .sort()
    .reverse()) {
    try {
      const decoded = Checkpoint.decode(await readJson(join(dir, name)));
      if (isRight(decoded)) return decoded.right;
    } catch {
      // unreadable: try the one before
    }
  }
  return undefined;
}

/**
 * The newest incomplete run with this key that a rerun can continue: no `record.json`, no
 * `failed.json` (a failure would repeat), its process gone (killed), and a readable checkpoint.
 */
export async function findResumableRun(
  runsDir: string,
  experiment: string,
  key: ReuseKey,
): Promise<ResumableRun | undefined> {
  const dir = join(runsDir, experiment);
  if (!existsSync(dir)) return undefined;
  for (const entry of (await readdir(dir)).sort().reverse()) {
    const folder = join(dir, entry);
    if (existsSync(join(folder, RECORD_FILE)) || existsSync(join(folder, FAILED_FILE))) continue;
    let started: StartedRun;
    try {
      started = (await readJson(join(folder, STARTED_FILE))) as StartedRun;
    } catch {
      continue;
    }
    const same =
      started.definitionHash === key.definitionHash &&
      started.seed === key.seed &&
      started.backend === key.backend &&
      started.codeFingerprint === key.codeFingerprint;
    if (!same || processAlive(started.pid)) continue;
    const checkpoint = await newestCheckpoint(folder);
    if (checkpoint !== undefined) return { folder, started, checkpoint };
  }
  return undefined;
}

/** Notes in `started.json` that this process continues the run after `afterEpoch`. */
export async function markResumed(resumable: ResumableRun, at: Date): Promise<StartedRun> {
  const started: StartedRun = {
    ...resumable.started,
    pid: process.pid,
    resumes: [...(resumable.started.resumes ?? []), { afterEpoch: resumable.checkpoint.epoch, at: at.toISOString() }],
  };
  await writeFileAtomic(join(resumable.folder, STARTED_FILE), json(started));
  return started;
}

/** Writes the checkpoint of an epoch atomically, then removes older ones unless they are to be kept. */
export async function saveCheckpoint(folder: string, checkpoint: Checkpoint, keepOlder: boolean): Promise<void> {
  const dir = join(folder, CHECKPOINTS_FOLDER);
  await mkdir(dir, { recursive: true });
  const name = checkpointFileName(checkpoint.epoch);
  await writeFileAtomic(join(dir, name), JSON.stringify(checkpoint));
  if (keepOlder) return;
  for (const older of await readdir(dir)) if (older !== name) await rm(join(dir, older), { force: true });
}

/** Removes a complete run's checkpoints (its model files hold the trained weights). */
export async function removeCheckpoints(folder: string): Promise<void> {
  await rm(join(folder, CHECKPOINTS_FOLDER), { recursive: true, force: true });
}
