import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ReportError } from '../errors';
import { loadRuns } from '../load';
import { blinkRecord, mnistRecord, writeRuns } from './fixtures';

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
    delete broken['definitionHash'];
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
    expect(broken?.errors).toContain('seed: expected number, got "one"');
    expect(broken?.errors).toContain('definitionHash: expected string, got nothing');
  });

  it('reads every experiment when none is named', async () => {
    const { records } = await loadRuns(runsDir);
    expect(records.map((record) => record.experiment).sort()).toEqual(['blink', 'blink', 'mnist-odd']);
  });

  it('selects run ids in the given order across experiments and reports unknown ids', async () => {
    const { records, skipped } = await loadRuns(runsDir, { runIds: ['20250102-masked-s1', '20250101-unweighted-s2', 'no-such-run', 'killed-run'] });
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
