import { constants } from 'node:fs';
import { lstat, open, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type * as t from 'io-ts';
import { ReportError } from './errors.js';
import { ExperimentName, FAILED_FILE, FailedRun, RECORD_FILE, RunRecord } from '@losslab/schema';

/**
 * Why a run folder was left out of a report: `failed` (it has a `failed.json`), `incomplete` (it
 * has neither that nor a `record.json`: killed, or still running), `invalid` (a file that cannot
 * be read, parsed or decoded), `not-found` (a requested run id with no folder).
 */
export type SkipReason = 'incomplete' | 'invalid' | 'not-found' | 'failed';

interface SkippedBase {
  /** The run folder as found (`<runsDir>/<experiment>/<runId>`), or, for `not-found`, the requested run id. */
  readonly folder: string;
  /**
   * The folder relative to the runs folder, `<experiment>/<runId>` (the run id for `not-found`):
   * what reports show, so they do not embed where the runs happened to be stored.
   * Set by {@link loadRuns}; without it reports show `folder`.
   */
  readonly runPath?: string;
  /** Human-readable details: decode errors by path for `invalid`, `phase: message` for `failed`. */
  readonly errors: readonly string[];
}

/** A run folder that {@link loadRuns} did not use, with the reason in words. */
export type SkippedRun =
  | (SkippedBase & { readonly reason: Exclude<SkipReason, 'failed'> })
  | (SkippedBase & {
      readonly reason: 'failed';
      /** The step that failed, e.g. `TrainFailed`. */
      readonly phase: string;
      readonly message: string;
      /** The whole `failed.json`. */
      readonly failure: FailedRun;
    });

/** Result of {@link loadRuns}: the valid records and the folders that were skipped. */
export interface LoadedRuns {
  readonly records: readonly RunRecord[];
  readonly skipped: readonly SkippedRun[];
}

/** Options of {@link loadRuns}. */
export interface LoadRunsOptions {
  /** Only runs of `runs/<experiment>/`; otherwise every experiment folder is read. */
  readonly experiment?: string;
  /** Only these run ids (folder names), in this order; searched in every experiment folder. */
  readonly runIds?: readonly string[];
}

function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  // JSON.stringify(Infinity) is "null": name non-finite numbers as they are.
  if (typeof value === 'number') return String(value);
  // JSON.stringify gives undefined for a function or symbol and throws on a bigint: name those instead.
  if (typeof value === 'function') return 'a function';
  if (typeof value === 'symbol' || typeof value === 'bigint') return value.toString();
  const json = JSON.stringify(value);
  return json.length > 60 ? `${json.slice(0, 57)}...` : json;
}

/**
 * Formats io-ts decode errors as `path.to.field: expected <type>, got <value>`. Intersection
 * and union members add no path segment, so paths read like the JSON they point at. What was
 * expected is the failing codec's name, or the error's message when the codec gives one (the
 * refined numbers of `record.ts` say `number` for a value that is no number at all).
 *
 * @example formatDecodeErrors(errors) // ['seed: expected number, got "one"', 'timing.startedAt: expected an ISO-8601 date-time ..., got "not a date"']
 */
export function formatDecodeErrors(errors: t.Errors): string[] {
  const messages = errors.map((error) => {
    const segments: string[] = [];
    for (let i = 1; i < error.context.length; i++) {
      const parent = error.context[i - 1]?.type as { _tag?: string } | undefined;
      if (parent?._tag === 'IntersectionType' || parent?._tag === 'UnionType') continue;
      const key = error.context[i]?.key;
      if (key !== undefined && key !== '') segments.push(key);
    }
    const expected = error.message ?? error.context[error.context.length - 1]?.type.name ?? 'a value';
    const path = segments.length > 0 ? segments.join('.') : '(record)';
    return `${path}: expected ${expected}, got ${describeValue(error.value)}`;
  });
  return [...new Set(messages)];
}

/** A single folder name: no separators, not `.` or `..`, no NUL. */
const isFolderName = (name: string): boolean => name !== '' && name !== '.' && name !== '..' && !/[/\\\0]/.test(name);

async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}

/** The run folders in `path`: real folders, and symbolic links (refused when read, see {@link readRunFolder}). */
async function subdirectories(path: string): Promise<string[]> {
  const entries = await readdir(path, { withFileTypes: true });
  return entries
    .filter((entry) => (entry.isDirectory() || entry.isSymbolicLink()) && !entry.name.startsWith('.'))
    .map((entry) => entry.name)
    .sort();
}

const SYMLINK_REFUSED = 'a symbolic link; run files are read only where the run wrote them, never through a link';

type FolderResult = { readonly record: RunRecord } | { readonly skipped: SkippedRun };

type ReadJson = { readonly json: unknown } | { readonly missing: true } | { readonly error: string };

/**
 * Reads and parses `folder/file`; never throws. The file is opened without following a symbolic
 * link (O_NOFOLLOW, so nothing can swap one in between a check and the read) and must be a
 * regular file: a planted link to a secret must not reach a report.
 */
async function readJson(folder: string, file: string): Promise<ReadJson> {
  let text: string;
  try {
    const handle = await open(join(folder, file), constants.O_RDONLY | constants.O_NOFOLLOW);
    try {
      if (!(await handle.stat()).isFile()) return { error: `${file}: not a regular file` };
      text = await handle.readFile('utf8');
    } finally {
      await handle.close();
    }
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { missing: true };
    if (code === 'ELOOP') return { error: `${file}: ${SYMLINK_REFUSED}` };
    return { error: `${file}: cannot read (${String(code ?? error)})` };
  }
  try {
    return { json: JSON.parse(text) as unknown };
  } catch (error) {
    return { error: `${file}: not valid JSON (${(error as Error).message})` };
  }
}

/** Reads and decodes one run folder (`runPath` is `<experiment>/<runId>`); never throws. */
async function readRunFolder(folder: string, runPath: string): Promise<FolderResult> {
  const where = { folder, runPath };
  if ((await lstat(folder)).isSymbolicLink())
    return { skipped: { ...where, reason: 'invalid', errors: [`${runPath}: ${SYMLINK_REFUSED}`] } };
  const record = await readJson(folder, RECORD_FILE);
  if ('error' in record) return { skipped: { ...where, reason: 'invalid', errors: [record.error] } };
  if ('json' in record) {
    const decoded = RunRecord.decode(record.json);
    if (decoded._tag === 'Left')
      return { skipped: { ...where, reason: 'invalid', errors: formatDecodeErrors(decoded.left) } };
    return { record: decoded.right };
  }
  // No record: the run failed (and said so) or did not finish (killed, or still running).
  const failed = await readJson(folder, FAILED_FILE);
  if ('missing' in failed) {
    return {
      skipped: {
        ...where,
        reason: 'incomplete',
        errors: [`no ${RECORD_FILE} and no ${FAILED_FILE}: the run did not finish (killed, or still running)`],
      },
    };
  }
  if ('error' in failed) return { skipped: { ...where, reason: 'invalid', errors: [failed.error] } };
  const decoded = FailedRun.decode(failed.json);
  if (decoded._tag === 'Left') {
    return {
      skipped: {
        ...where,
        reason: 'invalid',
        errors: formatDecodeErrors(decoded.left).map((error) => `${FAILED_FILE}: ${error}`),
      },
    };
  }
  const { phase, message } = decoded.right;
  return {
    skipped: { ...where, reason: 'failed', phase, message, failure: decoded.right, errors: [`${phase}: ${message}`] },
  };
}

/**
 * Loads the completed runs under `runsDir` (layout `runsDir/<experiment>/<runId>/record.json`).
 * A folder without `record.json` but with `failed.json` is a failed run (with the failing step
 * and message); one with neither is an unfinished run; a file that fails to parse or decode is
 * invalid; a requested run id that exists nowhere is not found. Each of those is listed in
 * `skipped` with its reason (and `runPath`, relative to `runsDir`) instead of stopping the load. Records come sorted by start time
 * (then run id), or in the order of `runIds` when given.
 *
 * Throws `IO` only when `runsDir` (or `runsDir/<experiment>`) itself is missing.
 *
 * @example
 * const { records, skipped } = await loadRuns('runs', { experiment: 'blink' });
 */
export async function loadRuns(runsDir: string, options: LoadRunsOptions = {}): Promise<LoadedRuns> {
  // Names become paths below runsDir: nothing given here may lead out of it.
  if (options.experiment !== undefined && !ExperimentName.is(options.experiment))
    throw new ReportError(
      'INVALID_ARGUMENT',
      `experiment: expected an experiment name (${ExperimentName.name}, as in a definition's name), got ${JSON.stringify(options.experiment)}`,
    );
  const badRunId = options.runIds?.find((runId) => !isFolderName(runId));
  if (badRunId !== undefined)
    throw new ReportError(
      'INVALID_ARGUMENT',
      `runs: expected run ids (run folder names, without "/", "\\" or ".."), got ${JSON.stringify(badRunId)}`,
    );
  if (!(await isDirectory(runsDir))) {
    throw new ReportError('IO', `runsDir: expected a directory of runs, but ${runsDir} does not exist`);
  }
  let experiments: string[];
  if (options.experiment !== undefined) {
    if (!(await isDirectory(join(runsDir, options.experiment)))) {
      throw new ReportError(
        'IO',
        `experiment: no runs of "${options.experiment}" (expected the directory ${join(runsDir, options.experiment)})`,
      );
    }
    experiments = [options.experiment];
  } else {
    experiments = await subdirectories(runsDir);
  }

  const folders: { folder: string; runPath: string }[] = [];
  const skipped: SkippedRun[] = [];
  // Posix separators: the relative path is shown in reports, the same on every platform.
  const at = (experiment: string, runId: string) => ({
    folder: join(runsDir, experiment, runId),
    runPath: `${experiment}/${runId}`,
  });
  if (options.runIds !== undefined) {
    // A run id given twice is still one run: counted once.
    for (const runId of new Set(options.runIds)) {
      const matches: { folder: string; runPath: string }[] = [];
      for (const experiment of experiments) {
        const location = at(experiment, runId);
        if (await isDirectory(location.folder)) matches.push(location);
      }
      if (matches.length === 0) {
        skipped.push({
          folder: runId,
          runPath: runId,
          reason: 'not-found',
          errors: [`run id ${runId}: no folder <experiment>/${runId} in the runs folder`],
        });
      }
      folders.push(...matches);
    }
  } else {
    for (const experiment of experiments) {
      for (const runId of await subdirectories(join(runsDir, experiment))) folders.push(at(experiment, runId));
    }
  }

  const records: RunRecord[] = [];
  for (const { folder, runPath } of folders) {
    const result = await readRunFolder(folder, runPath);
    if ('record' in result) records.push(result.record);
    else skipped.push(result.skipped);
  }
  if (options.runIds === undefined) {
    records.sort((a, b) => a.timing.startedAt.localeCompare(b.timing.startedAt) || a.runId.localeCompare(b.runId));
  }
  return { records, skipped };
}

/** Records kept by {@link latestRuns}, and how many older ones with other settings were left out. */
export interface LatestRuns {
  readonly records: readonly RunRecord[];
  readonly leftOut: number;
}

const settingsOf = (record: RunRecord): string =>
  `${record.definitionHash}/${record.codeFingerprint ?? ''}/${record.environment.backend}`;

/**
 * The runs a report of one experiment should compare: per variant, only the runs made with the
 * settings, code and backend of its newest run, and per seed only the newest of those — so a
 * smoke run with `--epochs=1` or runs from before a code change are never averaged in with the
 * current ones as if they were more seeds.
 *
 * @example latestRuns(records).records // one record per (variant, seed)
 */
export function latestRuns(records: readonly RunRecord[]): LatestRuns {
  const byFinish = [...records].sort((a, b) => b.timing.finishedAt.localeCompare(a.timing.finishedAt));
  const current = new Map<string, string>();
  const kept = new Map<string, RunRecord>();
  for (const record of byFinish) {
    const variant = JSON.stringify([record.experiment, record.variant]);
    if (!current.has(variant)) current.set(variant, settingsOf(record));
    const seed = JSON.stringify([record.experiment, record.variant, record.seed]);
    if (current.get(variant) === settingsOf(record) && !kept.has(seed)) kept.set(seed, record);
  }
  const selected = records.filter((record) => [...kept.values()].includes(record));
  return { records: selected, leftOut: records.length - selected.length };
}
