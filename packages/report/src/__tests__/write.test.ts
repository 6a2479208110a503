import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { chartFileName } from '../markdown.js';
import type { RunRecord } from '@losslab/schema';
import { REPORT_MARKER, writeReport } from '../write.js';
import { blinkRecord, mnistRecord } from './fixtures.js';

/** Paths whose write should fail, to simulate a full disk in the middle of writing a report. */
const failing = vi.hoisted(() => ({ pattern: null as RegExp | null, renameFrom: null as RegExp | null }));

vi.mock('node:fs/promises', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:fs/promises')>();
  const writeFile: typeof actual.writeFile = async (...args) => {
    const [path] = args;
    if (failing.pattern !== null && typeof path === 'string' && failing.pattern.test(path)) {
      throw Object.assign(new Error(`ENOSPC: no space left on device, open '${path}'`), { code: 'ENOSPC' });
    }
    return actual.writeFile(...args);
  };
  const rename: typeof actual.rename = async (from, to) => {
    if (failing.renameFrom !== null && typeof from === 'string' && failing.renameFrom.test(from)) {
      throw Object.assign(new Error(`EXDEV: cross-device link not permitted, rename '${from}'`), { code: 'EXDEV' });
    }
    return actual.rename(from, to);
  };
  return { ...actual, writeFile, rename, default: { ...actual, writeFile, rename } };
});

async function contents(folder: string): Promise<Record<string, string>> {
  const names = (await readdir(folder)).sort();
  return Object.fromEntries(
    await Promise.all(names.map(async (name) => [name, await readFile(join(folder, name), 'utf8')] as const)),
  );
}

describe('chart file names (item 3)', () => {
  it('keeps a short slug id as it is', () => {
    expect(chartFileName('confusion-even-masked')).toBe('confusion-even-masked.svg');
  });

  it('bounds a long or unsafe id: first 40 characters of its slug, a dash, 8 hex characters of its sha256', () => {
    // sha256('curve-' + 'a' × 60) starts 21aad0b7; with a 'b' appended, a6540993 (sha256sum).
    const long = `curve-${'a'.repeat(60)}`;
    expect(chartFileName(long)).toBe(`curve-${'a'.repeat(34)}-21aad0b7.svg`);
    expect(chartFileName(`${long}b`)).toBe(`curve-${'a'.repeat(34)}-a6540993.svg`);
    // An experiment name may hold a slash: the name stays inside the report folder.
    expect(chartFileName('mnist/odd-curve-training-loss')).toBe('mnist-odd-curve-training-loss-d13a1b40.svg');
    expect(chartFileName('Confusion')).toBe('confusion-9507ad17.svg');
  });
});

describe('writeReport is all-or-nothing (item 3)', () => {
  let parent: string;
  let out: string;
  beforeEach(async () => {
    parent = await mkdtemp(join(tmpdir(), 'losslab-write-'));
    out = join(parent, 'report');
    failing.pattern = null;
  });
  afterEach(async () => {
    failing.pattern = null;
    failing.renameFrom = null;
    await rm(parent, { recursive: true, force: true });
  });

  it('writes a report whose names are 300 characters long', async () => {
    const base = mnistRecord();
    const long = (text: string) => text.repeat(300).slice(0, 300);
    const record: RunRecord = {
      ...base,
      variant: long('variant '),
      evaluation: {
        ...base.evaluation,
        groups: (base.evaluation.groups ?? []).map((group) => ({ ...group, name: long(`${group.name} `) })),
      },
    };
    const { files, model } = await writeReport([record], out);
    const names = (await readdir(out)).filter((name) => name !== REPORT_MARKER);
    expect(names.sort()).toEqual(
      ['index.html', 'report.md', ...model.charts.map((chart) => chartFileName(chart.id))].sort(),
    );
    expect(new Set(names).size).toBe(model.charts.length + 2);
    for (const name of names) expect(name.length).toBeLessThanOrEqual(40 + 1 + 8 + '.svg'.length);
    expect(files).toHaveLength(names.length);
    const markdown = await readFile(join(out, 'report.md'), 'utf8');
    for (const [, file] of markdown.matchAll(/!\[[^\]]*\]\(([^)]+)\)/g)) expect(names).toContain(file);
    expect(await readdir(parent)).toEqual(['report']);
  });

  for (const [stage, pattern] of [
    // Unanchored: a writer may write through temporary names such as index.html.tmp-123.
    ['the first chart', /\.svg/],
    ['report.md', /report\.md/],
    ['index.html', /index\.html/],
  ] as const) {
    it(`a failure while writing ${stage} leaves the previous report untouched and no temp folder behind`, async () => {
      await writeReport([blinkRecord('unweighted', 1), blinkRecord('class-weighted', 1)], out);
      const before = await contents(out);
      failing.pattern = pattern;
      await expect(writeReport([mnistRecord()], out)).rejects.toThrow(/ENOSPC/);
      expect(await contents(out)).toEqual(before);
      expect(await readdir(parent)).toEqual(['report']);
    });
  }

  it('a failure while moving the new report in puts the previous one back', async () => {
    await writeReport([blinkRecord('unweighted', 1)], out);
    const before = await contents(out);
    failing.renameFrom = /\.report\.tmp-\w{6}$/; // the finished temporary folder (mkdtemp adds 6 characters)
    await expect(writeReport([mnistRecord()], out)).rejects.toThrow(/EXDEV/);
    expect(await contents(out)).toEqual(before);
    expect(await readdir(parent)).toEqual(['report']);
  });

  it('a first report that fails leaves nothing behind', async () => {
    failing.pattern = /index\.html/;
    await expect(writeReport([mnistRecord()], out)).rejects.toThrow(/ENOSPC/);
    expect(await readdir(parent)).toEqual([]);
  });

  it('replaces the previous report whole: charts it no longer has are gone', async () => {
    await writeReport([blinkRecord('unweighted', 1)], out);
    const { model } = await writeReport([mnistRecord()], out);
    expect((await readdir(out)).sort()).toEqual(
      [REPORT_MARKER, 'index.html', 'report.md', ...model.charts.map((chart) => chartFileName(chart.id))].sort(),
    );
  });

  it('refuses to replace a folder that holds anything but a report', async () => {
    await mkdir(out);
    await writeFile(join(out, 'notes.txt'), 'mine');
    await expect(writeReport([mnistRecord()], out)).rejects.toThrow(
      /out: .*report has no \.losslab-report file, so it is not a folder losslab wrote a report into \(it holds notes\.txt\)/,
    );
    expect(await readdir(out)).toEqual(['notes.txt']);
    expect(await readdir(parent)).toEqual(['report']);
  });

  it("never replaces a user's folder that only looks like a report: no marker, refused, nothing deleted (issue 22 case 10)", async () => {
    // The folder of the case: a site of the user's with the names a report uses.
    await mkdir(out);
    const site = {
      'index.html': '<h1>my site</h1>',
      'report.md': '# notes\n\n![logo](logo.svg)\n',
      'logo.svg': '<svg/>',
    };
    for (const [name, text] of Object.entries(site)) await writeFile(join(out, name), text);
    const error = await writeReport([mnistRecord()], out).then(
      () => new Error('expected a refusal'),
      (reason: unknown) => reason as Error,
    );
    expect(error.message).toMatch(/^out: .*report has no \.losslab-report file, so it is not a folder losslab wrote/);
    expect(error.message).toContain('(it holds index.html, logo.svg, report.md)');
    expect(await contents(out)).toEqual(site);
    expect(await readdir(parent)).toEqual(['report']);
  });

  it('writes the marker listing the files it wrote, and replaces a marked folder', async () => {
    const { files } = await writeReport([blinkRecord('unweighted', 1)], out);
    const marker = (await readFile(join(out, REPORT_MARKER), 'utf8')).split('\n');
    expect(marker.slice(1, -1)).toEqual(files.map((file) => file.slice(out.length + 1)));
    expect(marker.at(-1)).toBe('');
    await writeReport([mnistRecord()], out);
    expect(await readFile(join(out, 'report.md'), 'utf8')).toContain('mnist');
  });

  it('refuses a marked folder that also holds files the marker does not list, naming them', async () => {
    await writeReport([blinkRecord('unweighted', 1)], out);
    await writeFile(join(out, 'logo.svg'), '<svg/>');
    await mkdir(join(out, 'images'));
    await expect(writeReport([mnistRecord()], out)).rejects.toThrow(
      /out: .* holds images, logo\.svg, which \.losslab-report does not list as part of the report/,
    );
    expect(await readFile(join(out, 'logo.svg'), 'utf8')).toBe('<svg/>');
  });

  it('replaces a report written before the marker existed: exactly index.html, report.md and the charts it shows', async () => {
    await writeReport([blinkRecord('unweighted', 1)], out);
    await rm(join(out, REPORT_MARKER));
    const before = await contents(out);
    // A chart-named SVG that report.md does not show makes it someone else's folder.
    await writeFile(join(out, 'curve-logo.svg'), '<svg/>');
    await expect(writeReport([mnistRecord()], out)).rejects.toThrow(/has no \.losslab-report file/);
    await rm(join(out, 'curve-logo.svg'));
    expect(await contents(out)).toEqual(before);
    await writeReport([mnistRecord()], out);
    expect(await readdir(out)).toContain(REPORT_MARKER);
    expect(await readFile(join(out, 'report.md'), 'utf8')).toContain('mnist');
  });
});
