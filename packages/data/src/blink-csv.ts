import { readFile } from 'node:fs/promises';
import { LosslabError, requireInteger } from '@losslab/runtime';
import type { BlinkEvent, BlinkStream } from './blink.js';

/** Options for {@link readBlinkCsv}. */
export interface BlinkCsvOptions {
  /** Frames per second of the recording (default 30); stored on the stream. */
  readonly fps?: number;
  /** Subject id (default: the file path). */
  readonly id?: string;
}

const REQUIRED_COLUMNS = ['frame', 'ear', 'label'] as const;

/**
 * Reads one subject's real recording from a CSV file with a header naming the columns `frame`,
 * `ear` and `label` (any order; other columns are ignored; blank lines are skipped):
 *
 * ```csv
 * frame,ear,label
 * 0,0.31,0
 * 1,0.12,1
 * ```
 *
 * Returns the same {@link BlinkStream} shape as the generator, so {@link blinkWindows} applies;
 * blinks are the runs of label 1 (depth = their lowest EAR), there are no known hard negatives.
 * Errors (`DATA_FORMAT`, or `IO` for a missing file) name the file, the line and the column: a
 * missing column, a wrong number of fields, a non-numeric value, a frame that is not an integer,
 * a label other than 0/1, frames not strictly increasing, no data rows.
 *
 * @example
 * const stream = await readBlinkCsv('recordings/subject-01.csv');
 * const windows = blinkWindows(stream, { windowLength: 15 });
 */
export async function readBlinkCsv(path: string, options: BlinkCsvOptions = {}): Promise<BlinkStream> {
  const fps = requireInteger('fps', options.fps ?? 30, 1);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new LosslabError(
      'IO',
      `cannot read ${path}: ${code === 'ENOENT' ? 'file not found' : (error as Error).message}`,
    );
  }
  const fail = (where: string, what: string): LosslabError =>
    new LosslabError('DATA_FORMAT', `${path}: ${where}: ${what}`);

  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  const headerLine = lines[0] ?? '';
  if (headerLine.trim() === '')
    throw fail('line 1', `expected a header naming the columns ${REQUIRED_COLUMNS.join(',')}`);
  const header = headerLine.split(',').map((name) => name.trim());
  const columnIndex = {} as Record<(typeof REQUIRED_COLUMNS)[number], number>;
  for (const name of REQUIRED_COLUMNS) {
    const index = header.indexOf(name);
    if (index < 0) throw fail('line 1', `missing column "${name}" (header has: ${header.join(', ')})`);
    columnIndex[name] = index;
  }

  const frames: number[] = [];
  const ears: number[] = [];
  const labels: number[] = [];
  let previousLine = 0;
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.trim() === '') continue;
    const lineNumber = i + 1;
    const fields = line.split(',').map((field) => field.trim());
    if (fields.length !== header.length) {
      throw fail(`line ${lineNumber}`, `expected ${header.length} fields like the header, got ${fields.length}`);
    }
    const number = (name: (typeof REQUIRED_COLUMNS)[number]): number => {
      const raw = fields[columnIndex[name]]!;
      const value = raw === '' ? Number.NaN : Number(raw);
      if (!Number.isFinite(value)) {
        throw fail(`line ${lineNumber}, column ${columnIndex[name] + 1} "${name}"`, `expected a number, got "${raw}"`);
      }
      return value;
    };
    const frame = number('frame');
    const ear = number('ear');
    const label = number('label');
    const frameColumn = `line ${lineNumber}, column ${columnIndex.frame + 1} "frame"`;
    if (!Number.isInteger(frame) || frame < 0 || frame > 0x7fffffff) {
      throw fail(frameColumn, `expected a non-negative integer frame number, got ${frame}`);
    }
    const previous = frames[frames.length - 1];
    if (previous !== undefined && frame <= previous) {
      throw fail(
        frameColumn,
        `frames must be strictly increasing, got ${frame} after ${previous} (line ${previousLine})`,
      );
    }
    if (label !== 0 && label !== 1) {
      throw fail(`line ${lineNumber}, column ${columnIndex.label + 1} "label"`, `expected 0 or 1, got ${label}`);
    }
    frames.push(frame);
    ears.push(ear);
    labels.push(label);
    previousLine = lineNumber;
  }
  if (frames.length === 0) throw fail('line 2', 'expected at least one data row after the header');

  const ear = Float32Array.from(ears);
  const label = Uint8Array.from(labels);
  const blinks: BlinkEvent[] = [];
  for (let t = 0; t < label.length; t++) {
    if (label[t] !== 1 || (t > 0 && label[t - 1] === 1)) continue;
    let end = t;
    let depth = ear[t]!;
    while (end + 1 < label.length && label[end + 1] === 1) depth = Math.min(depth, ear[++end]!);
    blinks.push({ start: t, length: end - t + 1, depth });
  }
  return {
    fps,
    frame: Int32Array.from(frames),
    ear,
    label,
    blinks,
    hardNegatives: [],
    subject: { id: options.id ?? path },
  };
}
