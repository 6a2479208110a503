import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { lstat, mkdir, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import * as E from 'fp-ts/lib/Either.js';
import {
  Checkpoint,
  CHECKPOINTS_FOLDER,
  checkpointFileName,
  FAILED_FILE,
  formatErrors,
  RECORD_FILE,
  RunRecord,
  type CheckpointRun,
  type FailedRun,
  type TrainingState,
} from '@losslab/schema';
import { writeFileAtomic } from '@losslab/schema/files';
import { checkpointSha256, historyProblem, sealCheckpoint } from '@losslab/train';
import {
  currentProcess,
  explainUnwritable,
  isSymbolicLink,
  makeFolder,
  processAlive,
  readRunText,
} from './run-files.js';
import { decodeStarted, STARTED_FILE, type StartedRun } from './started-file.js';

export { STARTED_FILE, type StartedRun };

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

/**
 * Marks the start of a run: creates its folder (never reusing one) and `started.json`. A runs
 * folder that may not be written is reported as read-only, by name.
 */
export async function startRun(folder: string, info: Record<string, unknown>): Promise<void> {
  await makeFolder(join(folder, '..'), { recursive: true });
  await makeFolder(folder, { recursive: false }); // fails if it exists: runs never overwrite each other
  const started = join(folder, STARTED_FILE);
  await writeFileAtomic(started, json(info)).catch(async (error: unknown) => {
    throw await explainUnwritable(error, started);
  });
}

/** The files {@link completeRun} writes from the record alone: a queued run need not send them (the submitter writes them again). */
export const RECORD_PARTS: ReadonlySet<string> = new Set([
  'definition.json',
  'history.json',
  'history.csv',
  'evaluation.json',
  'environment.json',
  RECORD_FILE,
]);

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

/**
 * All complete, valid records of `experiment` (oldest first). A record that is unreadable or
 * invalid is skipped: it is the report's to flag, and here it simply is not reusable. One that is
 * a symbolic link (or in a folder that is one), or whose run id is not its folder's name, is
 * skipped too and handed, named, to `passedOver`.
 */
export async function completeRecords(
  runsDir: string,
  experiment: string,
  passedOver: (message: string) => void = () => {},
): Promise<RunRecord[]> {
  const dir = join(runsDir, experiment);
  if (!existsSync(dir)) return [];
  const records: RunRecord[] = [];
  for (const entry of (await readdir(dir)).sort()) {
    if (await isSymbolicLink(join(dir, entry))) {
      passedOver(`not reused: ${join(dir, entry)}: is a symbolic link; a run folder of losslab's is a folder`);
      continue;
    }
    const path = join(dir, entry, RECORD_FILE);
    if (!existsSync(path) && !(await isSymbolicLink(path))) continue;
    let text: string;
    try {
      text = await readRunText(path);
    } catch (error) {
      passedOver(`not reused: ${(error as Error).message}`);
      continue;
    }
    try {
      const decoded = RunRecord.decode(JSON.parse(text));
      if (E.isLeft(decoded)) continue;
      if (decoded.right.runId === entry) records.push(decoded.right);
      else
        passedOver(
          `not reused: ${path}: runId expected ${JSON.stringify(entry)} (its folder's name), found ${JSON.stringify(decoded.right.runId)}`,
        );
    } catch {
      // not JSON
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

/** The reuse key of one run of a resolved variant: the one place it is assembled. */
export const reuseKey = (
  variant: { readonly hash: string },
  seed: number,
  backend: string,
  codeFingerprint: string,
): ReuseKey => ({ definitionHash: variant.hash, seed, backend, codeFingerprint });

/** The reuse key a complete run's record was made with (an old record may lack its code fingerprint). */
const recordKey = (record: RunRecord): Partial<ReuseKey> => ({
  definitionHash: record.definitionHash,
  seed: record.seed,
  backend: record.environment.backend,
  ...(record.codeFingerprint === undefined ? {} : { codeFingerprint: record.codeFingerprint }),
});

/**
 * True when `found` (read back, so maybe partial) has every part of `key`: the one comparison of reuse keys.
 * @internal exported for its tests
 */
export const sameReuseKey = (found: Partial<ReuseKey>, key: ReuseKey): boolean =>
  found.definitionHash === key.definitionHash &&
  found.seed === key.seed &&
  found.backend === key.backend &&
  found.codeFingerprint === key.codeFingerprint;

/** The newest complete run with this key, if any (for reuse); see {@link completeRecords} for `passedOver`. */
export async function findReusableRun(
  runsDir: string,
  experiment: string,
  key: ReuseKey,
  passedOver?: (message: string) => void,
): Promise<RunRecord | undefined> {
  const matches = (await completeRecords(runsDir, experiment, passedOver)).filter((record) =>
    sameReuseKey(recordKey(record), key),
  );
  return matches[matches.length - 1];
}

/** An incomplete run that a rerun continues: its folder, what started it, and its newest checkpoint. */
export interface ResumableRun {
  readonly folder: string;
  readonly started: StartedRun;
  readonly checkpoint: Checkpoint;
  /** The checkpoint's file. */
  readonly checkpointFile: string;
}

/** Node's sha256, the same as the portable one and faster on checkpoints of megabytes. */
const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

/** A run folder's file that cannot be trusted: the error names the file, what differs, and the way out. */
const refuse = (path: string, problem: string): Error =>
  new Error(
    `${path}: ${problem}; refusing to resume from it (the folder is left as it is: remove it, or rerun with --fresh to start a new run)`,
  );

/**
 * The `started.json` of `folder` when it is of a run with this key, checked; undefined when it is
 * of another run (or not JSON: a file losslab did not write is not ours to resume).
 */
async function startedOf(folder: string, key: ReuseKey): Promise<StartedRun | undefined> {
  const path = join(folder, STARTED_FILE);
  if (!existsSync(path) && !(await isSymbolicLink(path))) return undefined;
  let raw: unknown;
  try {
    raw = JSON.parse(await readRunText(path));
  } catch (error) {
    if (error instanceof SyntaxError) return undefined;
    throw refuse(path, (error as Error).message.replace(`${path}: `, ''));
  }
  if (typeof raw !== 'object' || raw === null || !sameReuseKey(raw, key)) return undefined;
  const decoded = decodeStarted(raw);
  if (E.isLeft(decoded)) throw refuse(path, decoded.left.join('; '));
  const folderName = folder.split(/[/\\]/).pop()!;
  if (decoded.right.runId !== folderName)
    throw refuse(
      path,
      `runId expected ${JSON.stringify(folderName)} (its folder's name), found ${JSON.stringify(decoded.right.runId)}`,
    );
  return decoded.right;
}

/**
 * The checkpoint in `text`, read from `path`, checked against the run it is to continue: it
 * decodes, its sha256 is that of its content, it is of this run (id, settings, seed, backend,
 * code), of the epoch its file name says, and its history holds exactly epochs 1 to that epoch.
 * Throws an error naming the file, the field, the expected and the found value.
 */
function verifyCheckpoint(path: string, text: string, run: CheckpointRun, epoch: number): Checkpoint {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw refuse(path, `not JSON (${(error as Error).message})`);
  }
  const schema = (raw as { schema?: unknown } | null)?.schema;
  if (schema === 'losslab.checkpoint/1')
    throw refuse(
      path,
      'written by an earlier losslab (losslab.checkpoint/1), without its run and sha256, so it cannot be checked',
    );
  const decoded = Checkpoint.decode(raw);
  if (E.isLeft(decoded)) throw refuse(path, formatErrors(decoded.left).join('; '));
  const checkpoint = decoded.right;
  const computed = checkpointSha256(raw as object, sha256);
  if (computed !== checkpoint.sha256)
    throw refuse(
      path,
      `sha256 expected ${computed} (of its content), found ${checkpoint.sha256}: it was changed after it was written`,
    );
  for (const field of ['runId', 'definitionHash', 'seed', 'backend', 'codeFingerprint'] as const)
    if (checkpoint.run[field] !== run[field])
      throw refuse(
        path,
        `run.${field} expected ${JSON.stringify(run[field])}, found ${JSON.stringify(checkpoint.run[field])}: it is of another run`,
      );
  if (checkpoint.epoch !== epoch)
    throw refuse(path, `epoch expected ${epoch} (its file name), found ${checkpoint.epoch}`);
  const misfit = historyProblem(checkpoint);
  if (misfit !== undefined) throw refuse(path, misfit);
  return checkpoint;
}

/** The newest checkpoint of a run folder, checked (see {@link verifyCheckpoint}); none when it has none. */
async function newestCheckpoint(
  folder: string,
  run: CheckpointRun,
): Promise<{ checkpoint: Checkpoint; file: string } | undefined> {
  const dir = join(folder, CHECKPOINTS_FOLDER);
  if (await isSymbolicLink(dir)) throw refuse(dir, 'is a symbolic link; losslab reads only its own folders');
  if (!existsSync(dir)) return undefined;
  const names = (await readdir(dir)).filter((n) => /^epoch-\d+\.json$/.test(n)).sort();
  const name = names[names.length - 1];
  if (name === undefined) return undefined;
  const file = join(dir, name);
  let text: string;
  try {
    text = await readRunText(file);
  } catch (error) {
    throw refuse(file, (error as Error).message.replace(`${file}: `, ''));
  }
  return { checkpoint: verifyCheckpoint(file, text, run, Number(/\d+/.exec(name)![0])), file };
}

/**
 * The newest incomplete run with this key that a rerun can continue: no `record.json`, no
 * `failed.json` (a failure would repeat), its process gone (killed: see `processAlive`), and a
 * checkpoint. Its `started.json` and checkpoint are checked first; one that was changed, belongs
 * to another run or is a symbolic link is refused with an error naming the file.
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
    if (!(await lstat(folder)).isDirectory()) continue; // a symbolic link is no run folder of losslab's
    if (existsSync(join(folder, RECORD_FILE)) || existsSync(join(folder, FAILED_FILE))) continue;
    const started = await startedOf(folder, key);
    if (started === undefined || processAlive(started)) continue;
    const newest = await newestCheckpoint(folder, { runId: started.runId, ...key });
    if (newest !== undefined) return { folder, started, checkpoint: newest.checkpoint, checkpointFile: newest.file };
  }
  return undefined;
}

/** Notes in `started.json` that this process continues the run after `afterEpoch`. */
export async function markResumed(resumable: ResumableRun, at: Date): Promise<StartedRun> {
  const started: StartedRun = {
    ...resumable.started,
    ...currentProcess(),
    resumes: [...(resumable.started.resumes ?? []), { afterEpoch: resumable.checkpoint.epoch, at: at.toISOString() }],
  };
  await writeFileAtomic(join(resumable.folder, STARTED_FILE), json(started));
  return started;
}

/**
 * Writes the training state of an epoch atomically as a checkpoint of `run` (sealed with its
 * sha256), then removes older ones unless they are to be kept.
 */
export async function saveCheckpoint(
  folder: string,
  state: TrainingState,
  run: CheckpointRun,
  keepOlder: boolean,
): Promise<void> {
  const dir = join(folder, CHECKPOINTS_FOLDER);
  await mkdir(dir, { recursive: true });
  const name = checkpointFileName(state.epoch);
  await writeFileAtomic(join(dir, name), JSON.stringify(sealCheckpoint(state, run, sha256)));
  if (keepOlder) return;
  for (const older of await readdir(dir)) if (older !== name) await rm(join(dir, older), { force: true });
}

/** Removes a complete run's checkpoints (its model files hold the trained weights). */
export async function removeCheckpoints(folder: string): Promise<void> {
  await rm(join(folder, CHECKPOINTS_FOLDER), { recursive: true, force: true });
}
