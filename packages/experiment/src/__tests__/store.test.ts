import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  CHECKPOINTS_FOLDER,
  checkpointFileName,
  RECORD_FILE,
  type RunRecord,
  type TrainingState,
} from '@losslab/schema';
import { sealCheckpoint } from '@losslab/train';
import { findResumableRun, findReusableRun, STARTED_FILE, type ReuseKey, type StartedRun } from '../store.js';

/**
 * A run is reused, or a killed one resumed, only when every part of its key matches: settings
 * hash, seed, backend and code. Each case changes one part and expects no match.
 */
const key: ReuseKey = { definitionHash: 'd'.repeat(64), seed: 0, backend: 'cpu', codeFingerprint: 'c'.repeat(64) };
const otherKeys: [string, ReuseKey][] = [
  ['settings hash', { ...key, definitionHash: 'e'.repeat(64) }],
  ['seed', { ...key, seed: 1 }],
  ['backend', { ...key, backend: 'wasm' }],
  ['code fingerprint', { ...key, codeFingerprint: 'f'.repeat(64) }],
];

const epoch = { epoch: 1, loss: 0.5, seconds: 1, samplesPerSecond: 64 };

function record(runId: string): RunRecord {
  return {
    schema: 'losslab.run/1',
    runId,
    experiment: 'tiny',
    variant: 'adam',
    seed: key.seed,
    definition: {},
    definitionHash: key.definitionHash,
    codeFingerprint: key.codeFingerprint,
    environment: {
      backend: key.backend,
      backendVersion: '4.22.0',
      node: 'v20.19.0',
      platform: 'linux-x64',
      packages: {},
      git: { commit: null, dirty: null },
    },
    dataFingerprint: {},
    timing: { startedAt: '2026-01-01T00:00:00.000Z', finishedAt: '2026-01-01T00:01:00.000Z', totalSeconds: 60 },
    history: [epoch],
    evaluation: { split: 'train', size: 64, metrics: { accuracy: 0.5 } },
    claims: [],
  };
}

const trainingState: TrainingState = {
  epoch: 1,
  history: [epoch],
  weights: [],
  optimizer: [],
  randomStates: [],
};

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((dir) => rmSync(dir, { recursive: true, force: true })));

/** A runs folder holding one run of `tiny`: complete (a record) or killed after epoch 1 (a checkpoint). */
function runsWith(state: 'complete' | 'killed'): string {
  const runsDir = mkdtempSync(join(tmpdir(), 'losslab-store-'));
  dirs.push(runsDir);
  const runId = '2026-01-01T00-00-00-000Z-adam-s0-1';
  const folder = join(runsDir, 'tiny', runId);
  mkdirSync(join(folder, CHECKPOINTS_FOLDER), { recursive: true });
  // This process's own pid counts as ended (an earlier attempt of it), so the run is resumable.
  const started: StartedRun = {
    ...key,
    runId,
    variant: 'adam',
    startedAt: '2026-01-01T00:00:00.000Z',
    pid: process.pid,
  };
  writeFileSync(join(folder, STARTED_FILE), JSON.stringify(started));
  if (state === 'complete') writeFileSync(join(folder, RECORD_FILE), JSON.stringify(record(runId)));
  else {
    const checkpoint = sealCheckpoint(trainingState, { runId, ...key });
    writeFileSync(join(folder, CHECKPOINTS_FOLDER, checkpointFileName(1)), JSON.stringify(checkpoint));
  }
  return runsDir;
}

describe('the run store matches runs on the whole key', () => {
  it('reuses a complete run with the same key', async () => {
    const found = await findReusableRun(runsWith('complete'), 'tiny', key);
    expect(found?.runId).toBe('2026-01-01T00-00-00-000Z-adam-s0-1');
  });

  it.each(otherKeys)('does not reuse a complete run of another %s', async (_part, other) => {
    expect(await findReusableRun(runsWith('complete'), 'tiny', other)).toBeUndefined();
  });

  it('resumes a killed run with the same key from its checkpoint', async () => {
    const found = await findResumableRun(runsWith('killed'), 'tiny', key);
    expect(found?.started.seed).toBe(0);
    expect(found?.checkpoint.epoch).toBe(1);
  });

  it.each(otherKeys)('does not resume a killed run of another %s', async (_part, other) => {
    // e.g. --seeds=1 must not finish a killed seed-0 run and record it as seed 1.
    expect(await findResumableRun(runsWith('killed'), 'tiny', other)).toBeUndefined();
  });
});
