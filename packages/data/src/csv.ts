import { createHash } from 'node:crypto';
import { LosslabError, requireInteger } from '@losslab/runtime';
import { CsvError, parse } from 'csv-parse/sync';
import { type DataFile, readFileBytes } from './idx.js';
import type { LabelledRows } from './rows.js';

/** Sliding windows over consecutive CSV rows (see {@link readCsvSplit}). */
export interface CsvWindow {
  /** Rows per window (integer ≥ 1). */
  readonly length: number;
  /** Rows between the starts of consecutive windows (integer ≥ 1). */
  readonly stride: number;
  /** A column (any text) whose change ends a run of rows: no window spans two runs, e.g. a subject id. */
  readonly groupBy?: string | undefined;
}

/** Options of {@link readCsvSplit}. */
export interface CsvSplitOptions {
  /** Numeric feature columns, in feature order (at least one, no repeats). */
  readonly features: readonly string[];
  /** The class column: integer class ids ≥ 0, or, when `classNames` is given, one of those names. */
  readonly label: string;
  /** Class names; a label is mapped to its index here (`classNames[i]` → class id i). */
  readonly classNames?: readonly string[] | undefined;
  /** Extra numeric columns copied into `rows.columns` under their own names. */
  readonly columns?: readonly string[] | undefined;
  /** Cut the rows into sliding windows instead of one row per line. */
  readonly window?: CsvWindow | undefined;
}

/** What {@link readCsvSplit} returns: the rows and the file read, with the sha256 of its bytes. */
export interface CsvSplit {
  readonly rows: LabelledRows;
  readonly file: DataFile;
}

/** One parsed record: its fields and the line on which it ends (csv-parse's `info.lines`). */
interface CsvRecord {
  readonly record: string[];
  readonly info: { readonly lines: number };
}

const NUMBER = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const CLASS_ID = /^\+?\d+$/;
const MAX_CLASS_ID = 0x7fffffff;

const newlines = (text: string): number => text.split('\n').length - 1;
const quoted = (names: readonly string[]): string => names.map((n) => `"${n}"`).join(', ');

function requireNames(what: string, names: unknown, min: number, noun = 'column name'): readonly string[] {
  if (!Array.isArray(names) || names.length < min) {
    throw new LosslabError(
      'INVALID_ARGUMENT',
      `${what}: expected an array of ${min > 0 ? `at least one ${noun}` : `${noun}s`}, got ${JSON.stringify(names)}`,
    );
  }
  names.forEach((name: unknown, i) => {
    if (typeof name !== 'string' || name.trim() === '') {
      throw new LosslabError(
        'INVALID_ARGUMENT',
        `${what}[${i}]: expected a non-empty name, got ${JSON.stringify(name)}`,
      );
    }
    if (names.indexOf(name) !== i) {
      throw new LosslabError(
        'INVALID_ARGUMENT',
        `${what}[${i}]: "${name}" is listed twice (also at ${what}[${names.indexOf(name)}])`,
      );
    }
  });
  return names as string[];
}

function requireName(what: string, name: unknown): string {
  if (typeof name !== 'string' || name.trim() === '') {
    throw new LosslabError(
      'INVALID_ARGUMENT',
      `${what}: expected a non-empty column name, got ${JSON.stringify(name)}`,
    );
  }
  return name;
}

/**
 * Reads a CSV file with a header row into {@link LabelledRows}, parsed by `csv-parse`: fields may
 * be quoted (`"1,5"`, doubled quotes `""`, line breaks inside quotes), fields are trimmed, blank
 * lines are skipped, a UTF-8 BOM is dropped, and CRLF, CR and LF line ends are all accepted (line
 * ends inside quoted fields become LF). Columns are found by name; other columns are ignored.
 *
 * - `features` → `rows.features`, one row per line: featureShape [features.length].
 * - `label` → `rows.classIds`: an integer ≥ 0, or a name of `classNames` mapped to its index.
 * - `columns` → `rows.columns[name]`, numeric.
 * - `window: { length: L, stride: s, groupBy? }`: rows become windows of L consecutive lines,
 *   featureShape [L, features.length] (line-major), starting every s lines; window k starting at
 *   line-row `start` takes its class id and extra columns from its CENTRE row, start + ⌊L/2⌋. With
 *   `groupBy`, consecutive rows with the same value of that column form a run and windows never
 *   cross from one run into the next (windows restart at the first row of each run).
 *
 * Numbers are decimal (`-1.5`, `.5`, `2e-3`) and stored as float32. `file.sha256` hashes the bytes
 * as stored.
 *
 * Errors: a bad option → `INVALID_ARGUMENT` naming it; a missing file → `IO`; otherwise
 * `DATA_FORMAT` naming the file, the line and the column, e.g.
 * `data/train.csv line 7, column "x": expected a number, got "abc"`; a missing column names the
 * declared columns and those the header has; also a malformed CSV (unclosed quote, a line with
 * another number of fields than the header), a label that is not a class id / class name, no data
 * rows, or no window that fits.
 *
 * @example
 * // data/train.csv:  subject,x,y,label,weight
 * const { rows, file } = await readCsvSplit('data/train.csv', {
 *   features: ['x', 'y'], label: 'label', columns: ['weight'],
 *   window: { length: 15, stride: 1, groupBy: 'subject' },
 * });
 * rows.featureShape; // [15, 2]; rows.columns.weight[k] = weight of the centre row of window k
 */
export async function readCsvSplit(path: string, options: CsvSplitOptions): Promise<CsvSplit> {
  const features = requireNames('options.features', options.features, 1);
  const label = requireName('options.label', options.label);
  const extras = requireNames('options.columns', options.columns ?? [], 0);
  const classNames =
    options.classNames === undefined
      ? undefined
      : requireNames('options.classNames', options.classNames, 1, 'class name');
  const window = options.window;
  if (window !== undefined) {
    requireInteger('options.window.length', window.length, 1);
    requireInteger('options.window.stride', window.stride, 1);
    if (window.groupBy !== undefined) requireName('options.window.groupBy', window.groupBy);
  }
  const groupBy = window?.groupBy;

  const stored = await readFileBytes(path);
  // node:crypto, not runtime's portable sha256: data files can be large.
  const file: DataFile = { path, sha256: createHash('sha256').update(stored).digest('hex') };
  const fail = (where: string, what: string): LosslabError =>
    new LosslabError('DATA_FORMAT', `${path}${where === '' ? '' : ` ${where}`}: ${what}`);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(stored);
  } catch {
    throw fail('line 1', 'expected UTF-8 text (the file is not valid UTF-8)');
  }

  let records: CsvRecord[];
  try {
    // With `info: true` each record comes as { record, info }; the typings do not model that option.
    records = parse(text.replace(/\r\n?/g, '\n'), {
      bom: true,
      trim: true,
      skip_empty_lines: true,
      record_delimiter: '\n',
      relax_column_count: true, // checked below, with the header's count in the message
      info: true,
    }) as unknown as CsvRecord[];
  } catch (error) {
    if (!(error instanceof CsvError)) throw error;
    throw fail(`line ${typeof error.lines === 'number' ? error.lines : 1}`, `malformed CSV: ${error.message}`);
  }

  const declared = [...features, label, ...extras, ...(groupBy === undefined ? [] : [groupBy])];
  const headerRecord = records[0];
  if (headerRecord === undefined) {
    throw fail('line 1', `expected a header naming the columns ${[...new Set(declared)].join(', ')}`);
  }
  const header = headerRecord.record;
  const headerLine = headerRecord.info.lines - newlines(header.join(''));
  const missing = [...new Set(declared)].filter((name) => !header.includes(name));
  if (missing.length > 0) {
    throw fail(
      `line ${headerLine}`,
      `missing column${missing.length > 1 ? 's' : ''} ${quoted(missing)}; declared columns: ${[...new Set(declared)].join(', ')}; header has: ${header.join(', ')}`,
    );
  }
  const columnIndex = (name: string): number => {
    const at = header.indexOf(name);
    const again = header.indexOf(name, at + 1);
    if (again >= 0) {
      throw fail(
        `line ${headerLine}`,
        `column "${name}" appears twice in the header (fields ${at + 1} and ${again + 1})`,
      );
    }
    return at;
  };
  const featureAt = features.map(columnIndex);
  const labelAt = columnIndex(label);
  const extraAt = extras.map(columnIndex);
  const groupAt = groupBy === undefined ? undefined : columnIndex(groupBy);

  const data = records.slice(1);
  if (data.length === 0) {
    throw fail(`line ${headerRecord.info.lines + 1}`, 'expected at least one data row after the header');
  }
  for (const row of data) {
    if (row.record.length !== header.length) {
      throw fail(
        `line ${row.info.lines - newlines(row.record.join(''))}`,
        `expected ${header.length} fields like the header (line ${headerLine}), got ${row.record.length}`,
      );
    }
  }

  /** The line on which field `at` of `record` starts. */
  const lineOf = ({ record, info }: CsvRecord, at: number): number => info.lines - newlines(record.slice(at).join(''));
  const where = (row: CsvRecord, at: number): string => `line ${lineOf(row, at)}, column "${header[at]}"`;
  const numberAt = (row: CsvRecord, at: number): number => {
    const raw = row.record[at]!;
    const value = NUMBER.test(raw) ? Number(raw) : Number.NaN;
    if (!Number.isFinite(value)) throw fail(where(row, at), `expected a number, got "${raw}"`);
    return value;
  };
  const classIdAt = (row: CsvRecord, at: number): number => {
    const raw = row.record[at]!;
    if (classNames !== undefined) {
      const id = classNames.indexOf(raw);
      if (id < 0) throw fail(where(row, at), `expected one of the classNames ${quoted(classNames)}, got "${raw}"`);
      return id;
    }
    const id = CLASS_ID.test(raw) ? Number(raw) : Number.NaN;
    if (!(id <= MAX_CLASS_ID)) throw fail(where(row, at), `expected an integer class id >= 0, got "${raw}"`);
    return id;
  };

  const lineCount = data.length;
  const featureCount = features.length;
  const lineFeatures = new Float32Array(lineCount * featureCount);
  const lineClassIds = new Int32Array(lineCount);
  const lineExtras = extras.map(() => new Float32Array(lineCount));
  data.forEach((row, r) => {
    featureAt.forEach((at, f) => (lineFeatures[r * featureCount + f] = numberAt(row, at)));
    lineClassIds[r] = classIdAt(row, labelAt);
    extraAt.forEach((at, e) => (lineExtras[e]![r] = numberAt(row, at)));
  });
  const columnsOf = (values: Float32Array[]): Record<string, Float32Array> =>
    Object.fromEntries(extras.map((name, e) => [name, values[e]!]));

  if (window === undefined) {
    return {
      rows: {
        features: lineFeatures,
        featureShape: [featureCount],
        classIds: lineClassIds,
        columns: columnsOf(lineExtras),
        size: lineCount,
      },
      file,
    };
  }

  // Runs of consecutive rows with the same groupBy value (one run without groupBy), then windows.
  const runs: { start: number; end: number }[] = [];
  for (let r = 0; r < lineCount; r++) {
    const sameRun = r > 0 && groupAt !== undefined && data[r]!.record[groupAt] === data[r - 1]!.record[groupAt];
    if (r === 0 || (groupAt !== undefined && !sameRun)) runs.push({ start: r, end: r + 1 });
    else runs[runs.length - 1]!.end = r + 1;
  }
  const starts: number[] = [];
  for (const run of runs) {
    for (let start = run.start; start + window.length <= run.end; start += window.stride) starts.push(start);
  }
  if (starts.length === 0) {
    const longest = Math.max(...runs.map((run) => run.end - run.start));
    throw fail(
      '',
      `no window of length ${window.length} fits: the longest run of rows${groupBy === undefined ? '' : ` with one "${groupBy}" value`} has ${longest}`,
    );
  }
  const perWindow = window.length * featureCount;
  const centre = Math.floor(window.length / 2);
  const windowFeatures = new Float32Array(starts.length * perWindow);
  const windowClassIds = new Int32Array(starts.length);
  const windowExtras = extras.map(() => new Float32Array(starts.length));
  starts.forEach((start, k) => {
    windowFeatures.set(lineFeatures.subarray(start * featureCount, start * featureCount + perWindow), k * perWindow);
    windowClassIds[k] = lineClassIds[start + centre]!;
    lineExtras.forEach((values, e) => (windowExtras[e]![k] = values[start + centre]!));
  });
  return {
    rows: {
      features: windowFeatures,
      featureShape: [window.length, featureCount],
      classIds: windowClassIds,
      columns: columnsOf(windowExtras),
      size: starts.length,
    },
    file,
  };
}
