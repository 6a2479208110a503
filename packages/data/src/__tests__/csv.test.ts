import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isLosslabError } from '@losslab/runtime';
import { rejectionOf } from '@losslab/test-utils';
import { fileSha256, readCsvSplit, type CsvSplitOptions } from '../node.js';

let dir: string;
let files = 0;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'losslab-csv-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function csv(text: string | Uint8Array): Promise<string> {
  const path = join(dir, `file-${++files}.csv`);
  await writeFile(path, text);
  return path;
}

describe('readCsvSplit', () => {
  it('reads features, labels and extra columns by name; quoted fields may hold commas and line breaks', async () => {
    const path = await csv(
      [
        'subject,x,y,label,note,w',
        's1,1,2,0,"hello, world",0.5',
        's1,"3",4,1,"line one',
        'line two, still the note",1',
        's1, 5 ,-6e-1,2,,.25',
        '',
      ].join('\n'),
    );
    const { rows, file } = await readCsvSplit(path, { features: ['x', 'y'], label: 'label', columns: ['w'] });
    expect(rows.size).toBe(3);
    expect(rows.featureShape).toEqual([2]);
    expect(Array.from(rows.features)).toEqual([1, 2, 3, 4, 5, -0.6].map(Math.fround));
    expect(Array.from(rows.classIds)).toEqual([0, 1, 2]);
    expect(Object.keys(rows.columns)).toEqual(['w']);
    expect(Array.from(rows.columns.w!)).toEqual([0.5, 1, 0.25]);
    expect(file).toEqual({ path, sha256: await fileSha256(path) });
  });

  it('features come in the declared order, whatever the header order', async () => {
    const path = await csv('b,label,a\n1,0,2\n3,1,4\n');
    const { rows } = await readCsvSplit(path, { features: ['a', 'b'], label: 'label' });
    expect(Array.from(rows.features)).toEqual([2, 1, 4, 3]);
    expect(rows.columns).toEqual({});
  });

  it('maps label names to their index in classNames, quoted names with commas included', async () => {
    const path = await csv('x,label\n1,dog\n2,"cat, big"\n3,dog\n');
    const { rows } = await readCsvSplit(path, { features: ['x'], label: 'label', classNames: ['dog', 'cat, big'] });
    expect(Array.from(rows.classIds)).toEqual([0, 1, 0]);
  });

  it('CRLF, a BOM and blank lines give the same rows and the same line numbers as LF', async () => {
    const lines = ['\uFEFFx,note,label', '1,"a', 'b",0', '', '2,c,1', 'oops,d,0'];
    const options = { features: ['x'], label: 'label' };
    for (const end of ['\n', '\r\n']) {
      const good = await csv(lines.slice(0, 5).join(end) + end);
      const { rows } = await readCsvSplit(good, options);
      expect(Array.from(rows.features)).toEqual([1, 2]);
      expect(Array.from(rows.classIds)).toEqual([0, 1]);
      const bad = await csv(lines.join(end));
      await expect(readCsvSplit(bad, options)).rejects.toThrow(
        `${bad} line 6, column "x": expected a number, got "oops"`,
      );
    }
  });

  describe('windows', () => {
    // Row r: x = r, label = r % 3, w = 10r.
    const text = (subjects: string[]): string =>
      ['s,x,label,w', ...subjects.map((s, r) => `${s},${r},${r % 3},${10 * r}`)].join('\n');

    it('cuts windows of consecutive rows every `stride` rows, labelled by the centre row', async () => {
      const path = await csv(text(['a', 'a', 'a', 'a', 'a', 'a']));
      const { rows } = await readCsvSplit(path, {
        features: ['x', 'w'],
        label: 'label',
        columns: ['w'],
        window: { length: 3, stride: 2 },
      });
      // starts 0 and 2 (a window at 4 would need rows 4..6); centres 1 and 3.
      expect(rows.size).toBe(2);
      expect(rows.featureShape).toEqual([3, 2]);
      expect(Array.from(rows.features)).toEqual([0, 0, 1, 10, 2, 20, /* window 2 */ 2, 20, 3, 30, 4, 40]);
      expect(Array.from(rows.classIds)).toEqual([1, 0]);
      expect(Array.from(rows.columns.w!)).toEqual([10, 30]);
    });

    it('an even length takes the row after the middle: start + floor(length / 2)', async () => {
      const path = await csv(text(['a', 'a', 'a']));
      const { rows } = await readCsvSplit(path, { features: ['x'], label: 'label', window: { length: 2, stride: 1 } });
      expect(Array.from(rows.features)).toEqual([0, 1, 1, 2]);
      expect(Array.from(rows.classIds)).toEqual([1, 2]);
    });

    it('windows never cross a change of the groupBy column', async () => {
      const subjects = ['a', 'a', 'a', 'a', 'b', 'b', 'b', 'a', 'c', 'c'];
      const path = await csv(text(subjects));
      const { rows } = await readCsvSplit(path, {
        features: ['x'],
        label: 'label',
        columns: ['w'],
        window: { length: 3, stride: 1, groupBy: 's' },
      });
      // runs a: rows 0–3, b: 4–6, a: 7, c: 8–9 → windows start at 0, 1 and 4.
      expect(Array.from(rows.features)).toEqual([0, 1, 2, 1, 2, 3, 4, 5, 6]);
      expect(Array.from(rows.columns.w!)).toEqual([10, 20, 50]);
      for (let k = 0; k < rows.size; k++) {
        const members = Array.from(rows.features.subarray(3 * k, 3 * k + 3), (r) => subjects[r]);
        expect(new Set(members).size).toBe(1);
      }
    });

    it('no window that fits is an error naming the longest run', async () => {
      const path = await csv(text(['a', 'a', 'b', 'b', 'b', 'a']));
      await expect(
        readCsvSplit(path, { features: ['x'], label: 'label', window: { length: 4, stride: 1, groupBy: 's' } }),
      ).rejects.toThrow(`${path}: no window of length 4 fits: the longest run of rows with one "s" value has 3`);
    });
  });

  const basic: CsvSplitOptions = { features: ['x', 'y'], label: 'label' };
  it.each<[string, string, CsvSplitOptions, string]>([
    [
      'a non-numeric value after a multi-line quoted field',
      'x,y,label,note\n1,2,0,a\n3,4,1,"b\nc, d\ne"\n5,6,0,f\nabc,7,1,g\n',
      basic,
      'line 7, column "x": expected a number, got "abc"',
    ],
    [
      'a bad field on the second line of a record',
      'x,note,y,label\n1,"a\nb",zz,0\n',
      basic,
      'line 3, column "y": expected a number, got "zz"',
    ],
    [
      'a bad field before a multi-line quoted field of the same record',
      'x,y,label,note\n1,2,0,a\nabc,1,0,"a\nb\nc"\n',
      basic,
      'line 3, column "x": expected a number, got "abc"',
    ],
    ['an empty value', 'x,y,label\n1,,0\n', basic, 'line 2, column "y": expected a number, got ""'],
    ['a hexadecimal value', 'x,y,label\n0x10,1,0\n', basic, 'line 2, column "x": expected a number, got "0x10"'],
    ['an infinite value', 'x,y,label\n1e999,1,0\n', basic, 'line 2, column "x": expected a number, got "1e999"'],
    [
      'missing columns',
      'x,label,z\n1,0,2\n',
      { ...basic, columns: ['w'] },
      'line 1: missing columns "y", "w"; declared columns: x, y, label, w; header has: x, label, z',
    ],
    [
      'a missing groupBy column',
      'x,y,label\n1,0,2\n',
      { ...basic, window: { length: 1, stride: 1, groupBy: 'subject' } },
      'line 1: missing column "subject"; declared columns: x, y, label, subject; header has: x, y, label',
    ],
    [
      'a declared column twice in the header',
      'x,y,label,x\n1,2,0,3\n',
      basic,
      'line 1: column "x" appears twice in the header (fields 1 and 4)',
    ],
    ['an empty file', '', basic, 'line 1: expected a header naming the columns x, y, label'],
    ['no data rows', 'x,y,label\n\n', basic, 'line 2: expected at least one data row after the header'],
    [
      'a fractional label',
      'x,y,label\n1,2,0\n1,2,1.5\n',
      basic,
      'line 3, column "label": expected an integer class id >= 0, got "1.5"',
    ],
    [
      'a negative label',
      'x,y,label\n1,2,-1\n',
      basic,
      'line 2, column "label": expected an integer class id >= 0, got "-1"',
    ],
    [
      'an unknown class name',
      'x,y,label\n1,2,dog\n1,2,cow\n',
      { ...basic, classNames: ['dog', 'cat'] },
      'line 3, column "label": expected one of the classNames "dog", "cat", got "cow"',
    ],
    [
      'a line with another number of fields',
      'x,y,label\n1,2,0\n1,2,0,9\n',
      basic,
      'line 3: expected 3 fields like the header (line 1), got 4',
    ],
  ])('%s is a DATA_FORMAT error naming file, line and column', async (_, text, options, message) => {
    const path = await csv(text);
    const error = await rejectionOf(readCsvSplit(path, options));
    expect(isLosslabError(error, 'DATA_FORMAT')).toBe(true);
    expect(error.message).toBe(`${path} ${message}`);
  });

  it('malformed CSV and invalid UTF-8 are DATA_FORMAT errors naming the file and line', async () => {
    const unclosed = await csv('x,y,label\n1,2,0\n1,"2,0\n');
    const error = await rejectionOf(readCsvSplit(unclosed, basic));
    expect(isLosslabError(error, 'DATA_FORMAT')).toBe(true);
    expect(error.message).toMatch(new RegExp(`^${unclosed} line 3: malformed CSV: Quote Not Closed`));
    const latin1 = await csv(Uint8Array.of(0x78, 0x2c, 0x79, 0x2c, 0xe9, 0x0a));
    await expect(readCsvSplit(latin1, basic)).rejects.toThrow(
      `${latin1} line 1: expected UTF-8 text (the file is not valid UTF-8)`,
    );
  });

  it.each<[Partial<CsvSplitOptions>, string]>([
    [{ features: [] }, 'options.features: expected an array of at least one column name, got []'],
    [{ features: ['x', 'x'] }, 'options.features[1]: "x" is listed twice (also at options.features[0])'],
    [{ label: '' }, 'options.label: expected a non-empty column name, got ""'],
    [{ columns: [''] }, 'options.columns[0]: expected a non-empty name, got ""'],
    [{ classNames: [] }, 'options.classNames: expected an array of at least one class name, got []'],
    [{ window: { length: 0, stride: 1 } }, 'options.window.length: expected an integer >= 1, got 0'],
    [{ window: { length: 3, stride: 1.5 } }, 'options.window.stride: expected an integer >= 1, got 1.5'],
  ])('rejects the options %j before reading', async (override, message) => {
    const error = await rejectionOf(readCsvSplit(join(dir, 'never-read.csv'), { ...basic, ...override }));
    expect(isLosslabError(error, 'INVALID_ARGUMENT')).toBe(true);
    expect(error.message).toBe(message);
  });

  it('a missing file is an IO error naming the path', async () => {
    const path = join(dir, 'absent.csv');
    const error = await rejectionOf(readCsvSplit(path, basic));
    expect(isLosslabError(error, 'IO')).toBe(true);
    expect(error.message).toBe(`cannot read ${path}: file not found`);
  });
});
