import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isLosslabError } from '@losslab/runtime';
import { rejectionOf } from '@losslab/test-utils';
import { blinkWindows } from '../index.js';
import { readBlinkCsv } from '../node.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'losslab-blink-csv-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function csv(name: string, text: string): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, text);
  return path;
}

describe('readBlinkCsv', () => {
  it('reads frame, ear, label in any column order, with CRLF, extra columns and blank lines', async () => {
    const path = await csv(
      'subject-01.csv',
      '\uFEFFlabel, frame ,ear,note\r\n0,10,0.31,a\r\n1,11,0.12,b\r\n1,12,0.09,c\r\n\r\n0,14,0.30,d\r\n1,15,0.11,e\r\n',
    );
    const stream = await readBlinkCsv(path);
    expect(Array.from(stream.frame)).toEqual([10, 11, 12, 14, 15]);
    expect(Array.from(stream.ear)).toEqual([0.31, 0.12, 0.09, 0.3, 0.11].map(Math.fround));
    expect(Array.from(stream.label)).toEqual([0, 1, 1, 0, 1]);
    expect(stream.blinks).toEqual([
      { start: 1, length: 2, depth: Math.fround(0.09) },
      { start: 4, length: 1, depth: Math.fround(0.11) },
    ]);
    expect(stream.subject).toEqual({ id: path });
    expect(stream.fps).toBe(30);
    // The stream works with blinkWindows: centre of rows 0..2 is row 1 (a blink).
    const ds = blinkWindows(stream, { windowLength: 3 });
    expect(Array.from(ds.labels)).toEqual([0, 1, 0, 1, 1, 0]);
  });

  it.each([
    ['missing column', 'frame,ear\n0,0.3\n', 'line 1: missing column "label" (header has: frame, ear)'],
    ['empty file', '', 'line 1: expected a header naming the columns frame,ear,label'],
    ['no data rows', 'frame,ear,label\n', 'line 2: expected at least one data row after the header'],
    [
      'non-numeric value',
      'frame,ear,label\n0,0.3,0\n1,abc,0\n',
      'line 3, column 2 "ear": expected a number, got "abc"',
    ],
    ['empty value', 'frame,ear,label\n0,,0\n', 'line 2, column 2 "ear": expected a number, got ""'],
    ['label not 0/1', 'frame,ear,label\n0,0.3,0\n1,0.3,2\n', 'line 3, column 3 "label": expected 0 or 1, got 2'],
    [
      'frames not increasing',
      'frame,ear,label\n0,0.3,0\n5,0.3,0\n\n5,0.2,0\n',
      'line 5, column 1 "frame": frames must be strictly increasing, got 5 after 5 (line 3)',
    ],
    [
      'fractional frame',
      'frame,ear,label\n0.5,0.3,0\n',
      'line 2, column 1 "frame": expected a non-negative integer frame number, got 0.5',
    ],
    ['wrong field count', 'frame,ear,label\n0,0.3\n', 'line 2: expected 3 fields like the header, got 2'],
  ])('%s is a DATA_FORMAT error naming file, line and column', async (name, text, message) => {
    const path = await csv(`${name.replace(/[ /]/g, '-')}.csv`, text);
    const error = await rejectionOf(readBlinkCsv(path));
    expect(isLosslabError(error, 'DATA_FORMAT')).toBe(true);
    expect(error.message).toBe(`${path}: ${message}`);
  });

  it('a missing file is an IO error naming the path', async () => {
    const path = join(dir, 'absent.csv');
    const error = await rejectionOf(readBlinkCsv(path));
    expect(isLosslabError(error, 'IO')).toBe(true);
    expect(error.message).toBe(`cannot read ${path}: file not found`);
  });
});
