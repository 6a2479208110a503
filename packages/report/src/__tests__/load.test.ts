import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ReportError } from '../errors.js';
import { renderHtml } from '../html.js';
import { loadRuns } from '../load.js';
import { renderMarkdown } from '../markdown.js';
import { buildReport } from '../model.js';
import { FAILED_FILE, isRateMetric, RunRecord, type FailedRun } from '@losslab/schema';
import { blinkRecord, mnistRecord, writeRuns } from './fixtures.js';

describe('loadRuns', () => {
  let runsDir: string;

  beforeEach(async () => {
    runsDir = await mkdtemp(join(tmpdir(), 'losslab-runs-'));
    await writeRuns(runsDir, [blinkRecord('unweighted', 2), blinkRecord('unweighted', 1), mnistRecord()]);
    // A run that was killed: its folder exists, record.json does not.
    await mkdir(join(runsDir, 'blink', 'killed-run'), { recursive: true });
    await writeFile(join(runsDir, 'blink', 'killed-run', 'record.json.tmp-123'), '{"schema":');
    // A record with a wrong type and a missing field.
    const broken = { ...blinkRecord('class-weighted', 1), runId: 'broken-run', seed: 'one' } as Record<string, unknown>;
    delete broken.definitionHash;
    await mkdir(join(runsDir, 'blink', 'broken-run'));
    await writeFile(join(runsDir, 'blink', 'broken-run', 'record.json'), JSON.stringify(broken));
    // A record that is not JSON at all.
    await mkdir(join(runsDir, 'blink', 'garbled-run'));
    await writeFile(join(runsDir, 'blink', 'garbled-run', 'record.json'), '{ not json');
  });

  afterEach(async () => {
    await rm(runsDir, { recursive: true, force: true });
  });

  it('returns the valid records of an experiment, sorted by start time, and lists skipped folders', async () => {
    const { records, skipped } = await loadRuns(runsDir, { experiment: 'blink' });
    expect(records.map((record) => record.runId)).toEqual(['20250101-unweighted-s1', '20250101-unweighted-s2']);
    const byFolder = Object.fromEntries(skipped.map((skip) => [skip.folder.slice(runsDir.length + 1), skip]));
    expect(Object.keys(byFolder).sort()).toEqual(['blink/broken-run', 'blink/garbled-run', 'blink/killed-run']);
    expect(byFolder['blink/killed-run']?.reason).toBe('incomplete');
    expect(byFolder['blink/garbled-run']?.reason).toBe('invalid');
    expect(byFolder['blink/garbled-run']?.errors[0]).toMatch(/record\.json: not valid JSON/);
    const broken = byFolder['blink/broken-run'];
    expect(broken?.reason).toBe('invalid');
    // Decode errors name the path of each bad field.
    expect(broken?.errors).toContain('seed: expected a non-negative integer, got "one"');
    expect(broken?.errors).toContain('definitionHash: expected string, got nothing');
  });

  it('reads every experiment when none is named', async () => {
    const { records } = await loadRuns(runsDir);
    expect(records.map((record) => record.experiment).sort()).toEqual(['blink', 'blink', 'mnist-odd']);
  });

  it('selects run ids in the given order across experiments and reports unknown ids', async () => {
    const { records, skipped } = await loadRuns(runsDir, {
      runIds: ['20250102-masked-s1', '20250101-unweighted-s2', 'no-such-run', 'killed-run'],
    });
    expect(records.map((record) => record.runId)).toEqual(['20250102-masked-s1', '20250101-unweighted-s2']);
    expect(skipped.map((skip) => skip.reason)).toEqual(['not-found', 'incomplete']);
    expect(skipped[0]?.folder).toBe('no-such-run');
  });

  it('throws IO only when the runs directory or experiment is missing', async () => {
    await expect(loadRuns(join(runsDir, 'nope'))).rejects.toThrow(ReportError);
    await expect(loadRuns(join(runsDir, 'nope'))).rejects.toThrow(/runsDir: expected a directory/);
    await expect(loadRuns(runsDir, { experiment: 'unknown' })).rejects.toThrow(/experiment: no runs of "unknown"/);
  });
});

describe('loadRuns trusts no path it is given or finds (issue 22)', () => {
  let root: string;
  let runsDir: string;
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'losslab-links-'));
    runsDir = join(root, 'runs');
    await writeRuns(runsDir, [blinkRecord('unweighted', 1)]);
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('refuses a symlinked record.json, failed.json or run folder, naming it; nothing of the target is read (case 18)', async () => {
    // The target is a well-formed record carrying a secret: followed, it would reach the report.
    const secretRecord = { ...blinkRecord('class-weighted', 1), runId: 'secret', variant: 'SECRET-TOKEN' };
    const secret = join(root, 'secret.json');
    await writeFile(secret, JSON.stringify(secretRecord));
    await mkdir(join(runsDir, 'blink', 'linked-record'));
    await symlink(secret, join(runsDir, 'blink', 'linked-record', 'record.json'));
    await mkdir(join(runsDir, 'blink', 'linked-failure'));
    await symlink(secret, join(runsDir, 'blink', 'linked-failure', FAILED_FILE));
    await mkdir(join(root, 'elsewhere'));
    await writeFile(join(root, 'elsewhere', 'record.json'), JSON.stringify(secretRecord));
    await symlink(join(root, 'elsewhere'), join(runsDir, 'blink', 'linked-folder'));

    for (const loaded of [
      await loadRuns(runsDir, { experiment: 'blink' }),
      await loadRuns(runsDir, {
        runIds: ['20250101-unweighted-s1', 'linked-record', 'linked-failure', 'linked-folder'],
      }),
    ]) {
      expect(loaded.records.map((record) => record.runId)).not.toContain('secret');
      const errors: Record<string, string[]> = Object.fromEntries(
        loaded.skipped.map((skip) => [skip.runPath ?? skip.folder, [skip.reason, ...skip.errors]]),
      );
      expect(errors['blink/linked-record']).toEqual([
        'invalid',
        'record.json: a symbolic link; run files are read only where the run wrote them, never through a link',
      ]);
      expect(errors['blink/linked-failure']).toEqual([
        'invalid',
        `${FAILED_FILE}: a symbolic link; run files are read only where the run wrote them, never through a link`,
      ]);
      expect(errors['blink/linked-folder']).toEqual([
        'invalid',
        'blink/linked-folder: a symbolic link; run files are read only where the run wrote them, never through a link',
      ]);
      const model = await buildReport(loaded.records, { skipped: loaded.skipped });
      expect(renderMarkdown(model)).not.toContain('SECRET');
      expect(renderHtml(model)).not.toContain('SECRET');
    }
  });

  it('takes experiment names only: a path is refused before anything is read (case 14)', async () => {
    await writeRuns(join(root, 'x'), [mnistRecord()]);
    for (const experiment of ['../../x', '../x', '/tmp', 'blink/..', '.', '']) {
      const error = await loadRuns(runsDir, { experiment }).then(
        () => new Error('expected a refusal'),
        (reason: unknown) => reason as Error,
      );
      expect(error).toBeInstanceOf(ReportError);
      expect(error.message).toBe(
        `experiment: expected an experiment name (a name of 1–64 lowercase letters, digits and dashes, starting with a letter or digit, as in a definition's name), got ${JSON.stringify(experiment)}`,
      );
    }
    await expect(loadRuns(runsDir, { runIds: ['../x/mnist-odd/20250101-masked-s1'] })).rejects.toThrow(
      'runs: expected run ids (run folder names, without "/", "\\" or ".."), got "../x/mnist-odd/20250101-masked-s1"',
    );
    await expect(loadRuns(runsDir, { runIds: ['..'] })).rejects.toThrow(/^runs: expected run ids/);
  });

  it('counts a run folder once, even when its id is given twice (case 11)', async () => {
    const loaded = await loadRuns(runsDir, { runIds: ['20250101-unweighted-s1', '20250101-unweighted-s1'] });
    expect(loaded.records.map((record) => record.runId)).toEqual(['20250101-unweighted-s1']);
  });
});

describe('run-record refinements (item 10)', () => {
  let runsDir: string;
  beforeEach(async () => {
    runsDir = await mkdtemp(join(tmpdir(), 'losslab-runs-'));
  });
  afterEach(async () => {
    await rm(runsDir, { recursive: true, force: true });
  });

  it('the records the experiment package writes decode, edge values included', () => {
    for (const record of [blinkRecord('unweighted', 1), blinkRecord('class-weighted', 3), mnistRecord(0)]) {
      expect(RunRecord.decode(JSON.parse(JSON.stringify(record)))._tag).toBe('Right');
    }
    // Rates at their bounds, a negative loss (some losses are), a custom unbounded metric, a UTC offset.
    const base = blinkRecord('unweighted', 0);
    const edge = {
      ...base,
      timing: { ...base.timing, startedAt: '2024-02-29T23:59:59+01:00' },
      evaluation: { ...base.evaluation, metrics: { accuracy: 0, f1: 1, loss: -0.5, logLikelihood: -1234.5 } },
    };
    expect(RunRecord.decode(JSON.parse(JSON.stringify(edge)))._tag).toBe('Right');
  });

  it('names rates by a documented rule', () => {
    for (const name of [
      'accuracy',
      'even.accuracy',
      'balancedAccuracy',
      'majorityAccuracy',
      'precision',
      'recall',
      'f1',
      'macroF1',
      'prAuc',
      'positiveRate',
    ]) {
      expect([name, isRateMetric(name)]).toEqual([name, true]);
    }
    for (const name of ['loss', 'validation.loss', 'truePositives', 'zeta', 'Accuracy'])
      expect([name, isRateMetric(name)]).toEqual([name, false]);
  });

  it('skips records whose values are the right type but nonsense, with errors by path', async () => {
    const base = blinkRecord('unweighted', 1);
    const nonsense = {
      ...base,
      seed: 1.5,
      timing: { startedAt: 'not a date', finishedAt: '2025-02-30T00:00:00.000Z', totalSeconds: -1 },
      history: [{ ...base.history[0], epoch: 0, validation: { f1: 1.2, loss: 0.3 } }],
      evaluation: {
        split: 'test',
        size: 10.5,
        metrics: { accuracy: 1e308, loss: 0.2 },
        groups: [
          {
            name: 'all',
            size: 2,
            accuracy: 0.5,
            confusion: [
              [1, -1],
              [0, 1.5],
            ],
            trueCounts: [1, 1],
            predictedCounts: [1, 1],
          },
        ],
      },
    };
    // 1e999 is valid JSON and parses to Infinity.
    const text = JSON.stringify(nonsense).replace('"loss":0.2', '"loss":1e999');
    await mkdir(join(runsDir, 'blink', 'nonsense'), { recursive: true });
    await writeFile(join(runsDir, 'blink', 'nonsense', 'record.json'), text);
    const { records, skipped } = await loadRuns(runsDir, { experiment: 'blink' });
    expect(records).toEqual([]);
    expect(skipped.map((skip) => skip.reason)).toEqual(['invalid']);
    expect(skipped[0]?.errors).toEqual([
      'seed: expected a non-negative integer, got 1.5',
      'timing.startedAt: expected an ISO-8601 date-time such as 2025-01-01T00:00:00.000Z, got "not a date"',
      'timing.finishedAt: expected an ISO-8601 date-time such as 2025-01-01T00:00:00.000Z, got "2025-02-30T00:00:00.000Z"',
      'timing.totalSeconds: expected a non-negative number, got -1',
      'history.0.epoch: expected a positive integer, got 0',
      'history.0.validation.f1: expected a number in [0, 1], got 1.2',
      'evaluation.size: expected a non-negative integer, got 10.5',
      'evaluation.metrics.accuracy: expected a number in [0, 1], got 1e+308',
      'evaluation.metrics.loss: expected a finite number, got Infinity',
      'evaluation.groups.0.confusion.0.1: expected a non-negative integer, got -1',
      'evaluation.groups.0.confusion.1.1: expected a non-negative integer, got 1.5',
    ]);
  });
});

describe('failed runs (item 11) and relative folders (item 4)', () => {
  let runsDir: string;
  const failure: FailedRun = {
    schema: 'losslab.failed/1',
    runId: 'masked-s0-123',
    experiment: 'mnist-odd',
    variant: 'masked',
    seed: 0,
    phase: 'TrainFailed',
    message: 'loss became NaN at epoch 2, step 17 of 468',
    startedAt: '2026-01-01T00:00:00.000Z',
    failedAt: '2026-01-01T00:01:00.000Z',
  };
  const started = JSON.stringify({
    runId: 'x',
    variant: 'masked',
    seed: 0,
    startedAt: '2026-01-01T00:00:00.000Z',
    pid: 1,
  });

  beforeEach(async () => {
    runsDir = await mkdtemp(join(tmpdir(), 'losslab-runs-'));
    await writeRuns(runsDir, [mnistRecord()]);
    const folder = async (name: string, files: Record<string, string>) => {
      await mkdir(join(runsDir, 'mnist-odd', name), { recursive: true });
      for (const [file, text] of Object.entries(files)) await writeFile(join(runsDir, 'mnist-odd', name, file), text);
    };
    await folder('masked-s0-123', { 'started.json': started, [FAILED_FILE]: JSON.stringify(failure) });
    await folder('killed', { 'started.json': started });
    await folder('bad-failure', { 'started.json': started, [FAILED_FILE]: JSON.stringify({ ...failure, seed: -1 }) });
    await folder('garbled-failure', { 'started.json': started, [FAILED_FILE]: '{ "schema": ' });
  });
  afterEach(async () => {
    await rm(runsDir, { recursive: true, force: true });
  });

  it('loadRuns tells failed runs from killed ones; a bad failed.json is invalid', async () => {
    expect(FAILED_FILE).toBe('failed.json');
    const { records, skipped } = await loadRuns(runsDir, { experiment: 'mnist-odd' });
    expect(records).toHaveLength(1);
    const byRun = Object.fromEntries(skipped.map((skip) => [skip.runPath ?? skip.folder, skip]));
    expect(Object.keys(byRun).sort()).toEqual([
      'mnist-odd/bad-failure',
      'mnist-odd/garbled-failure',
      'mnist-odd/killed',
      'mnist-odd/masked-s0-123',
    ]);
    expect(byRun['mnist-odd/masked-s0-123']).toMatchObject({
      reason: 'failed',
      phase: 'TrainFailed',
      message: 'loss became NaN at epoch 2, step 17 of 468',
      failure,
      errors: ['TrainFailed: loss became NaN at epoch 2, step 17 of 468'],
    });
    expect(byRun['mnist-odd/killed']?.reason).toBe('incomplete');
    expect(byRun['mnist-odd/bad-failure']).toMatchObject({
      reason: 'invalid',
      errors: ['failed.json: seed: expected a non-negative integer, got -1'],
    });
    expect(byRun['mnist-odd/garbled-failure']?.reason).toBe('invalid');
    expect(byRun['mnist-odd/garbled-failure']?.errors[0]).toMatch(/^failed\.json: not valid JSON/);
  });

  it('reports list failed runs in their own section and show folders relative to the runs folder', async () => {
    const { records, skipped } = await loadRuns(runsDir, { experiment: 'mnist-odd' });
    const model = await buildReport(records, { skipped });
    expect(model.warnings).toContain('1 run(s) failed; see "Failed runs".');
    expect(model.warnings).toContain(
      '3 run folder(s) skipped (did not finish, invalid or not found); see "Skipped runs".',
    );
    const markdown = renderMarkdown(model);
    const failedSection = markdown.slice(markdown.indexOf('## Failed runs'), markdown.indexOf('## Skipped runs'));
    expect(failedSection).toContain(
      '| mnist-odd/masked-s0-123 | masked | 0 | TrainFailed | loss became NaN at epoch 2, step 17 of 468 | 2026-01-01T00:01:00.000Z |',
    );
    expect(failedSection).not.toContain('killed');
    const skippedSection = markdown.slice(markdown.indexOf('## Skipped runs'));
    expect(skippedSection).toContain(
      '- mnist-odd/killed: incomplete: no record.json and no failed.json: the run did not finish (killed, or still running)',
    );
    expect(skippedSection).not.toContain('masked-s0-123');
    const html = renderHtml(model);
    expect(html).toContain('<section id="failed">\n<h2>Failed runs</h2>');
    expect(html).toContain('<th scope="row">mnist-odd/masked-s0-123</th>');
    expect(html).toContain('<li>mnist-odd/killed: incomplete: ');
  });

  it('reports show skipped folders relative to the runs folder, not where it lives (item 4)', async () => {
    const { records, skipped } = await loadRuns(runsDir, { experiment: 'mnist-odd' });
    const killed = skipped.filter((skip) => skip.reason === 'incomplete');
    expect(killed.map((skip) => skip.runPath)).toEqual(['mnist-odd/killed']);
    const model = await buildReport(records, { skipped: killed });
    const markdown = renderMarkdown(model);
    const html = renderHtml(model);
    expect(markdown).toContain('- mnist-odd/killed: incomplete: ');
    expect(html).toContain('<li>mnist-odd/killed: incomplete: ');
    expect(markdown).not.toContain(runsDir);
    expect(html).not.toContain(runsDir);
    // A requested run id that exists nowhere names no absolute folder either.
    const notFound = await loadRuns(runsDir, { runIds: ['nope'] });
    expect(notFound.skipped).toEqual([
      {
        folder: 'nope',
        runPath: 'nope',
        reason: 'not-found',
        errors: ['run id nope: no folder <experiment>/nope in the runs folder'],
      },
    ]);
  });
});
