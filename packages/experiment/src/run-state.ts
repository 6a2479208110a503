import { lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import * as E from 'fp-ts/lib/Either.js';
import type * as t from 'io-ts';
import { FAILED_FILE, FailedRun, formatErrors, RECORD_FILE, RunRecord, type EpochRecord } from '@losslab/schema';
import { PROGRESS_FILE, RunProgress } from './live-progress.js';
import { messageOf } from './message.js';
import { processAlive, readRunText } from './run-files.js';
import { decodeStarted, STARTED_FILE } from './started-file.js';

/**
 * What a run folder says of its run, read without trusting it: `complete` (a valid record),
 * `failed` (its `failed.json`, with the reason), `running` (its process is alive), `killed` (its
 * process is gone and it never finished), `unreadable` (a file that is missing, corrupt, invalid
 * or a link, with the reason). The one place `losslab runs` and `losslab serve` learn a run's state.
 */
type RunState = 'running' | 'killed' | 'failed' | 'complete' | 'unreadable';

/** How far the epoch under way has got (from `progress.json`). */
interface EpochUnderWay {
  readonly epoch: number;
  readonly step: number;
  readonly steps: number;
  readonly epochStartedAt: string;
}

/** One run folder as a reader sees it. */
export interface RunStatus {
  readonly experiment: string;
  readonly runId: string;
  readonly state: RunState;
  /** Why the run failed or cannot be read. */
  readonly reason?: string;
  readonly variant?: string;
  readonly seed?: number;
  readonly startedAt?: string;
  /** The epochs the run is to train, when known. */
  readonly epochs?: number;
  /** Every finished epoch. */
  readonly history: readonly EpochRecord[];
  /** A running run's current epoch. */
  readonly current?: EpochUnderWay;
  /** A running run's estimated seconds to its last epoch (from its epochs' mean time). */
  readonly etaSeconds?: number;
  /** The complete run's record. */
  readonly record?: RunRecord;
}

/** A file of the folder decoded by `codec`, or the one-line reason it cannot be; undefined when absent. */
async function readDecoded<A>(
  path: string,
  decode: (raw: unknown) => E.Either<string[], A>,
): Promise<{ value: A } | { problem: string } | undefined> {
  let text: string;
  try {
    text = await readRunText(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    return { problem: messageOf(error) };
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    return { problem: `${path}: not JSON (${messageOf(error)}): half-written or corrupt` };
  }
  const decoded = decode(raw);
  return E.isLeft(decoded) ? { problem: `${path}: ${decoded.left.join('; ')}` } : { value: decoded.right };
}

const byCodec =
  <A>(codec: t.Decoder<unknown, A>) =>
  (raw: unknown): E.Either<string[], A> =>
    E.mapLeft(formatErrors)(codec.decode(raw));

/**
 * Complete records already decoded, by path, with the file identity they were read from: a page
 * that polls every half second re-reads only the files that changed (a record is written once,
 * last and atomically, so a complete run's is read once). A file replaced, relinked or touched
 * has another identity and is read again.
 */
const decodedRecords = new Map<string, { identity: string; record: ReturnType<typeof readDecoded<RunRecord>> }>();

async function readRecord(path: string): ReturnType<typeof readDecoded<RunRecord>> {
  const info = await lstat(path).catch(() => undefined);
  if (info?.isFile() !== true) return readDecoded(path, byCodec(RunRecord));
  const identity = `${info.ino}/${info.size}/${info.mtimeMs}/${info.ctimeMs}`;
  const known = decodedRecords.get(path);
  if (known?.identity === identity) return known.record;
  const record = readDecoded(path, byCodec(RunRecord));
  decodedRecords.set(path, { identity, record });
  return record;
}

/**
 * Seconds left of a running run: the mean time of its finished epochs (or, before the first ends,
 * of the steps so far) times the epochs left, less the part of the current epoch already done.
 */
function estimateSeconds(
  history: readonly EpochRecord[],
  epochs: number,
  current: EpochUnderWay,
  nowMs: number,
): number | undefined {
  const elapsed = Math.max(0, (nowMs - Date.parse(current.epochStartedAt)) / 1000);
  const finished = current.step >= current.steps ? current.epoch : current.epoch - 1;
  const perEpoch =
    history.length > 0
      ? history.reduce((sum, entry) => sum + entry.seconds, 0) / history.length
      : current.step > 0 && current.steps > 0
        ? (elapsed * current.steps) / current.step
        : undefined;
  if (perEpoch === undefined || !Number.isFinite(elapsed)) return undefined;
  const left = (epochs - finished) * perEpoch - (current.step >= current.steps ? 0 : elapsed);
  return Math.max(0, left);
}

/**
 * The state of `<runsDir>/<experiment>/<runId>`; never throws for what is in the folder.
 *
 * @example (await readRunStatus('runs', 'blink', '2026-…-weighted-s0-4711')).state // 'running'
 */
export async function readRunStatus(
  runsDir: string,
  experiment: string,
  runId: string,
  nowMs: number = Date.now(),
): Promise<RunStatus> {
  const folder = join(runsDir, experiment, runId);
  const base = { experiment, runId, history: [] as readonly EpochRecord[] };
  const unreadable = (reason: string, known: Partial<RunStatus> = {}): RunStatus => ({
    ...base,
    ...known,
    state: 'unreadable',
    reason,
  });
  try {
    const info = await lstat(folder);
    if (info.isSymbolicLink())
      return unreadable(`${folder}: is a symbolic link; a run folder of losslab's is a folder`);
    if (!info.isDirectory()) return unreadable(`${folder}: is not a folder`);
  } catch (error) {
    return unreadable(messageOf(error));
  }
  const record = await readRecord(join(folder, RECORD_FILE));
  if (record !== undefined && 'value' in record) {
    const value = record.value;
    if (value.runId !== runId)
      return unreadable(
        `${join(folder, RECORD_FILE)}: runId expected ${JSON.stringify(runId)}, found ${JSON.stringify(value.runId)}`,
      );
    return {
      ...base,
      state: 'complete',
      variant: value.variant,
      seed: value.seed,
      startedAt: value.timing.startedAt,
      epochs: value.definition.train?.epochs ?? value.history.length,
      history: value.history,
      record: value,
    };
  }
  const started = await readDecoded(join(folder, STARTED_FILE), decodeStarted);
  const known =
    started !== undefined && 'value' in started
      ? { variant: started.value.variant, seed: started.value.seed, startedAt: started.value.startedAt }
      : {};
  if (record !== undefined) return unreadable(record.problem, known);
  const progress = await readDecoded(join(folder, PROGRESS_FILE), byCodec(RunProgress));
  const progressed =
    progress !== undefined && 'value' in progress
      ? {
          epochs: progress.value.epochs,
          history: progress.value.history,
          current: {
            epoch: progress.value.epoch,
            step: progress.value.step,
            steps: progress.value.steps,
            epochStartedAt: progress.value.epochStartedAt,
          },
        }
      : {};
  const failed = await readDecoded(join(folder, FAILED_FILE), byCodec(FailedRun));
  if (failed !== undefined) {
    if ('problem' in failed) return unreadable(failed.problem, known);
    return {
      ...base,
      ...known,
      ...progressed,
      state: 'failed',
      reason: `${failed.value.phase}: ${failed.value.message}`,
    };
  }
  if (started === undefined) return unreadable(`${folder}: has no ${STARTED_FILE} (not a run folder of losslab's)`);
  if ('problem' in started) return unreadable(started.problem);
  if (progress !== undefined && 'problem' in progress) return unreadable(progress.problem, known);
  if (!processAlive(started.value)) return { ...base, ...known, ...progressed, state: 'killed' };
  const eta =
    progressed.current === undefined
      ? undefined
      : estimateSeconds(progressed.history, progressed.epochs, progressed.current, nowMs);
  return { ...base, ...known, ...progressed, state: 'running', ...(eta === undefined ? {} : { etaSeconds: eta }) };
}

/** The experiments of a runs folder, each with its runs (oldest first; run ids sort by start time). */
export interface ExperimentRuns {
  readonly experiment: string;
  readonly runs: readonly RunStatus[];
}

/** Folder names in `dir` that are plain names (no hidden or temporary files), sorted; none when it cannot be read. */
async function entries(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir)).filter((name) => !name.startsWith('.')).sort();
  } catch {
    return [];
  }
}

/**
 * Every run of every experiment in `runsDir` (or of `only`), each with its state.
 *
 * @example (await listRuns('runs')).map((e) => e.experiment) // ['blink', 'mnist-odd']
 */
export async function listRuns(runsDir: string, only?: string, nowMs: number = Date.now()): Promise<ExperimentRuns[]> {
  if (only !== undefined && (only === '' || only === '.' || only === '..' || /[/\\\0]/.test(only)))
    throw new Error(`experiment "${only}" is not a plain folder name (it may not contain "/", "\\" or be "." or "..")`);
  const names = only === undefined ? await entries(runsDir) : [only];
  const found: ExperimentRuns[] = [];
  for (const experiment of names) {
    const dir = join(runsDir, experiment);
    const info = await lstat(dir).catch(() => undefined);
    if (!info?.isDirectory()) continue; // a link out of the runs folder is not followed
    const runs = await Promise.all(
      (await entries(dir)).map((runId) => readRunStatus(runsDir, experiment, runId, nowMs)),
    );
    found.push({ experiment, runs });
  }
  return found;
}

/** The numbers a table shows for a run: its evaluation when complete, else its last epoch's. */
export function headlineNumbers(status: RunStatus): Readonly<Record<string, number>> {
  if (status.record !== undefined) return status.record.evaluation.metrics;
  const last = status.history[status.history.length - 1];
  if (last === undefined) return {};
  return {
    loss: last.loss,
    ...Object.fromEntries(Object.entries(last.validation ?? {}).map(([name, value]) => [`validation.${name}`, value])),
  };
}

/** `running, epoch 3 of 10, ETA 1m 20s` / `complete, 10 epochs` / `failed: TrainFailed: …`. */
export function describeState(status: RunStatus): string {
  const total = status.epochs === undefined ? '' : ` of ${status.epochs}`;
  switch (status.state) {
    case 'running': {
      if (status.current === undefined && status.history.length === 0) return 'running, starting (no epoch yet)';
      const epoch = status.current?.epoch ?? status.history.length;
      const eta = status.etaSeconds === undefined ? '' : `, ETA ${formatDuration(status.etaSeconds)}`;
      return `running, epoch ${epoch}${total}${eta}`;
    }
    case 'killed':
      return `killed after epoch ${status.history.length}${total}`;
    case 'complete':
      return `complete, ${status.history.length} epochs`;
    case 'failed':
      return `failed: ${status.reason ?? ''}`;
    case 'unreadable':
      return `unreadable: ${status.reason ?? ''}`;
  }
}

/** `45s`, `3m 05s`, `1h 02m`. */
function formatDuration(seconds: number): string {
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}
