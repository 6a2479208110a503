import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as E from 'fp-ts/lib/Either.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '@losslab/runtime';
import type { RunRecord } from '@losslab/schema';
import { resolveExperiment, runOne } from '../index.js';
import { RunIndex } from '../run-index.js';
import { findReusableRun, type ReuseKey } from '../store.js';
import { tinyMnistOdd } from './fixtures.js';

/**
 * The runs folder read once into an index by reuse key (issue 30 item 4) must answer exactly as
 * rescanning it does (`findReusableRun`): the newest run of a key, nothing for a record without
 * code fingerprint, and nothing for a folder removed since it was read.
 */

let root = '';
let record: RunRecord;
const experiment = 'tiny-mnist-odd';

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'losslab-run-index-'));
  const backend = await selectBackend({ requested: 'cpu' });
  const resolved = resolveExperiment(tinyMnistOdd(), 'fixture');
  if (E.isLeft(resolved)) throw new Error(resolved.left.problems.join('\n'));
  const outcome = await runOne(
    { definition: resolved.right.definition, variant: resolved.right.variants[0]!, seed: 0 },
    { runsDir: join(root, 'source'), backend, reuse: false },
  );
  if (E.isLeft(outcome)) throw new Error(outcome.left.message);
  record = JSON.parse(readFileSync(join(outcome.right.folder, 'record.json'), 'utf8')) as RunRecord;
}, 60_000);

afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A complete run folder holding `record` with the given run id and changes. */
function writeRun(runsDir: string, runId: string, change: Partial<RunRecord> = {}): RunRecord {
  const written = { ...record, ...change, runId };
  mkdirSync(join(runsDir, experiment, runId), { recursive: true });
  writeFileSync(join(runsDir, experiment, runId, 'record.json'), JSON.stringify(written));
  return written;
}

const keyOf = (seed: number, codeFingerprint = record.codeFingerprint!): ReuseKey => ({
  definitionHash: record.definitionHash,
  seed,
  backend: record.environment.backend,
  codeFingerprint,
});

describe('RunIndex', () => {
  it('answers every key as rescanning the folder does: newest of a key, none without code fingerprint', async () => {
    const runs = mkdtempSync(join(root, 'runs-'));
    writeRun(runs, '2026-01-01-a-s0', { seed: 0 });
    writeRun(runs, '2026-01-03-a-s0', { seed: 0 }); // newer run of the same key
    writeRun(runs, '2026-01-02-a-s1', { seed: 1 });
    const { codeFingerprint: _dropped, ...old } = record;
    mkdirSync(join(runs, experiment, '2026-01-04-old-s2'), { recursive: true });
    writeFileSync(
      join(runs, experiment, '2026-01-04-old-s2', 'record.json'),
      JSON.stringify({ ...old, seed: 2, runId: '2026-01-04-old-s2' }),
    );
    const index = await RunIndex.read(runs, experiment);
    for (const key of [keyOf(0), keyOf(1), keyOf(2), keyOf(3), keyOf(0, 'f'.repeat(64))]) {
      const scanned = await findReusableRun(runs, experiment, key);
      expect(index.find(key)?.runId, JSON.stringify(key)).toBe(scanned?.runId);
    }
    expect(index.find(keyOf(0))?.runId).toBe('2026-01-03-a-s0');
    expect(index.find(keyOf(2))).toBeUndefined();
  });

  it('forgets a run whose folder was removed, and knows a run added after it was read', async () => {
    const runs = mkdtempSync(join(root, 'runs-'));
    writeRun(runs, '2026-01-01-a-s0', { seed: 0 });
    const index = await RunIndex.read(runs, experiment);
    rmSync(join(runs, experiment, '2026-01-01-a-s0'), { recursive: true });
    expect(index.find(keyOf(0))).toBeUndefined();
    index.add(writeRun(runs, '2026-01-05-a-s4', { seed: 4 }));
    expect(index.find(keyOf(4))?.runId).toBe('2026-01-05-a-s4');
  });
});
