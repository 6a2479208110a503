import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reportCommand, type ReportCommandOptions } from '../command.js';
import { printable } from '../format.js';
import { FAILED_FILE } from '@losslab/schema';
import { blinkRecord, blinkRecords, mnistRecord, writeRuns } from './fixtures.js';

/** The options `losslab report --runs-dir=… --experiment=… --out=…` gives, or with `--runs` instead. */
const options = (
  given: Pick<ReportCommandOptions, 'runsDir' | 'out'> & Partial<ReportCommandOptions>,
): ReportCommandOptions => ({ check: false, groupBy: given.runIds === undefined ? 'variant' : 'auto', ...given });

function capture(): { log: (line: string) => void; error: (line: string) => void; out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  return { log: (line) => out.push(line), error: (line) => err.push(line), out, err };
}

describe('reportCommand', () => {
  let root: string;
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'losslab-cli-'));
    await writeRuns(join(root, 'runs'), [...blinkRecords(), mnistRecord()]);
    // The same unweighted seed again from a later, dirty commit: "before vs after".
    const after = blinkRecord('unweighted', 1);
    await writeRuns(join(root, 'runs'), [
      {
        ...after,
        runId: 'after-s1',
        environment: { ...after.environment, git: { commit: '9999999aaaa', dirty: true } },
      },
    ]);
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('writes the report, prints paths, and exits 0 without --check', async () => {
    const io = capture();
    const out = join(root, 'reports', 'mnist');
    expect(await reportCommand(options({ runsDir: join(root, 'runs'), experiment: 'mnist-odd', out }), io)).toBe(0);
    expect(io.out[0]).toBe(`wrote ${join(out, 'index.html')}`);
    expect(io.out).toContain('✓ accuracy of group even ≤ 0.010 (every variant, mean over seeds)');
    expect(await readdir(out)).toContain('report.md');
  });

  it('--check exits 1 when a claim fails and 0 when all hold', async () => {
    const runsDir = join(root, 'runs');
    const failing = capture();
    expect(
      await reportCommand(
        options({ runsDir, experiment: 'blink', out: join(root, 'reports', 'blink'), check: true }),
        failing,
      ),
    ).toBe(1);
    expect(failing.err).toContain('check failed: not every claim holds');
    expect(
      await reportCommand(
        options({ runsDir, experiment: 'mnist-odd', out: join(root, 'reports', 'm2'), check: true }),
        capture(),
      ),
    ).toBe(0);
  });

  it('--runs compares stored runs with labels naming the commit state', async () => {
    const io = capture();
    const code = await reportCommand(
      options({
        runsDir: join(root, 'runs'),
        runIds: ['20250101-unweighted-s1', 'after-s1'],
        out: join(root, 'reports', 'cmp'),
      }),
      io,
    );
    expect(code).toBe(0);
    expect(io.out).toContain(
      'unweighted @ 9999999* vs unweighted @ 0123456: accuracy 0.000, Welch, 1 seed each: no significance can be claimed (a test needs at least 2 seeds per variant)',
    );
    // The fasterToTarget claim needs class-weighted runs, which were not selected: undecided, not passed.
    expect(io.out).toContain('? class-weighted reaches f1 ≥ 0.800 in fewer epochs than unweighted (mean over seeds)');
  });

  it('--check exits 1 when the variants are not compared like with like, and says which fields differ', async () => {
    // Claims dropped so only the like-with-like check can fail; class-weighted ran other data.
    const records = [1, 2].flatMap((seed) => [
      { ...blinkRecord('unweighted', seed), experiment: 'mixed', claims: [] },
      {
        ...blinkRecord('class-weighted', seed),
        experiment: 'mixed',
        claims: [],
        dataFingerprint: { 'blink-generator': 'e'.repeat(64) },
      },
    ]);
    const runsDir = join(root, 'mixed-runs');
    await writeRuns(runsDir, records);
    const io = capture();
    const mixed = options({ runsDir, experiment: 'mixed', out: join(root, 'reports', 'mixed') });
    expect(await reportCommand(mixed, capture())).toBe(0);
    expect(await reportCommand({ ...mixed, check: true }, io)).toBe(1);
    expect(io.err).toContain('check failed: the variants are not compared like with like');
    expect(io.err.join('\n')).toContain(
      `⚠ Not like with like (mixed): data fingerprint differs (unweighted: blink-generator: ${'f'.repeat(12)}; class-weighted: blink-generator: ${'e'.repeat(12)})`,
    );
  });

  it('exits 2 with a clear message on bad input', async () => {
    const io = capture();
    const nowhere = options({ runsDir: join(root, 'nowhere'), experiment: 'blink', out: join(root, 'reports', 'x') });
    expect(await reportCommand(nowhere, io)).toBe(2);
    expect(io.err[0]).toMatch(/^report: runsDir: expected a directory of runs/);
  });

  it('--experiment=../../x exits 2 naming the value, and writes nothing (issue 22 case 14)', async () => {
    const io = capture();
    const out = join(root, 'reports', '..', 'escaped', 'x');
    const escape = options({ runsDir: join(root, 'runs'), experiment: '../../x', out });
    expect(await reportCommand(escape, io)).toBe(2);
    expect(io.err).toEqual([
      'report: experiment: expected an experiment name (a name of 1–64 lowercase letters, digits and dashes, starting with a letter or digit, as in a definition\'s name), got "../../x"',
    ]);
    expect(await readdir(root)).not.toContain('escaped');
  });
});

describe('control characters from records never reach the terminal or a report raw (issue 22 case 17)', () => {
  let root: string;
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'losslab-control-'));
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  // ESC clears the screen and colours; CR rewrites the line; U+202E reverses what follows.
  const hostile = 'ok\u001b[2J\u001b[31mred\r\u202eevil';
  const shown = 'ok\\x1b[2J\\x1b[31mred\\x0d\\u202eevil';
  // Anything but tab and line feed below 0x20, DEL, C1, bidi controls.
  // eslint-disable-next-line no-control-regex -- looking for control characters is the point
  const raw = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/;

  it('escapes them in every printed line and in report.md, index.html and the SVGs', async () => {
    const runs = join(root, 'runs');
    const records = blinkRecords().map((record) =>
      record.variant === 'unweighted' ? { ...record, variant: `unweighted ${hostile}` } : record,
    );
    await writeRuns(runs, records);
    const failed = join(runs, 'blink', 'failed-run');
    await mkdir(failed, { recursive: true });
    await writeFile(
      join(failed, FAILED_FILE),
      JSON.stringify({
        schema: 'losslab.failed/1',
        runId: 'failed-run',
        experiment: 'blink',
        variant: 'unweighted',
        seed: 9,
        phase: 'TrainFailed',
        message: `boom ${hostile}`,
        startedAt: '2026-01-01T00:00:00.000Z',
        failedAt: '2026-01-01T00:01:00.000Z',
      }),
    );
    const io = capture();
    const out = join(root, 'report');
    expect(await reportCommand(options({ runsDir: runs, experiment: 'blink', out }), io)).toBe(0);
    for (const line of [...io.out, ...io.err]) expect(line).not.toMatch(raw);
    expect(io.err.join('\n')).toContain(`boom ${shown}`);
    expect(io.out.join('\n')).toContain(`unweighted ${shown}`);
    const files = (await readdir(out)).filter((name) => name !== '.losslab-report');
    expect(files.filter((name) => name.endsWith('.svg')).length).toBeGreaterThan(0);
    for (const name of files) expect(await readFile(join(out, name), 'utf8'), name).not.toMatch(raw);
    expect(await readFile(join(out, 'report.md'), 'utf8')).toContain(
      // Markdown turns a line break (here CR) into a space.
      'boom ok\\x1b[2J\\x1b[31mred \\u202eevil',
    );
    expect(await readFile(join(out, 'index.html'), 'utf8')).toContain(`unweighted ${shown}`);
  });

  it('printable writes each control character as a visible escape, keeping tabs and line breaks', () => {
    expect(printable(hostile)).toBe(shown);
    expect(printable('a\tb\nc\u0000\u007f\u009b\u2066')).toBe('a\tb\nc\\x00\\x7f\\x9b\\u2066');
    expect(printable('plain ünïcode — ok')).toBe('plain ünïcode — ok');
  });
});
