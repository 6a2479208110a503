import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as E from 'fp-ts/lib/Either.js';
import { describe, expect, it, vi } from 'vitest';
import { selectBackend } from '@losslab/runtime';
import { temporaryFolders } from '@losslab/test-utils';
import { main } from '../cli.js';
import { resolveExperiment, runOne } from '../index.js';
import { PROGRESS_FILE, progressFile, type RunProgress } from '../live-progress.js';
import { listRuns, readRunStatus } from '../run-state.js';
import { tinyMnistOdd } from './fixtures.js';

const folders = temporaryFolders('losslab-run-state-');

const epoch = (n: number, seconds = 10) => ({ epoch: n, loss: 1 / n, seconds, samplesPerSecond: 100 });

const started = (runId: string, pid: number) => ({
  runId,
  variant: 'masked',
  startedAt: '2026-01-01T00:00:00.000Z',
  definitionHash: 'a'.repeat(64),
  seed: 3,
  backend: 'cpu',
  codeFingerprint: 'b'.repeat(64),
  pid,
});

/** A pid that named a process which has exited (and was reaped). */
const endedPid = (): number => spawnSync(process.execPath, ['-e', '0']).pid;

function runFolderWith(runsDir: string, runId: string, files: Record<string, unknown>): string {
  const folder = join(runsDir, 'exp', runId);
  mkdirSync(folder, { recursive: true });
  for (const [name, content] of Object.entries(files))
    writeFileSync(join(folder, name), typeof content === 'string' ? content : JSON.stringify(content));
  return folder;
}

describe('progress.json while a run trains', () => {
  it('holds every finished epoch before the next one starts, and the whole history at the end', async () => {
    const runsDir = folders.make();
    const resolved = resolveExperiment(tinyMnistOdd({ train: { epochs: 3, batchSize: 64 } }), 'fixture');
    if (E.isLeft(resolved)) throw new Error(resolved.left.problems.join('\n'));
    const { definition, variants } = resolved.right;
    const seen: number[] = [];
    const read = (): RunProgress | undefined => {
      const [runId] = listRunIds(runsDir);
      if (runId === undefined) return undefined;
      try {
        return JSON.parse(readFileSync(join(runsDir, 'tiny-mnist-odd', runId, PROGRESS_FILE), 'utf8')) as RunProgress;
      } catch {
        return undefined;
      }
    };
    const outcome = await runOne(
      { definition, variant: variants[0]!, seed: 0 },
      {
        runsDir,
        backend: await selectBackend({ requested: 'cpu' }),
        reuse: false,
        progress: {
          epochStart(current) {
            // what a reader sees when epoch `current` begins: epochs 1 … current-1
            seen.push(read()?.history.length ?? 0);
            expect(read()?.history.map((entry) => entry.epoch) ?? []).toEqual(
              Array.from({ length: current - 1 }, (_, i) => i + 1),
            );
          },
          step() {},
          epochEnd() {},
        },
      },
    );
    if (E.isLeft(outcome)) throw new Error(outcome.left.message);
    expect(seen).toEqual([0, 1, 2]);
    const final = read()!;
    expect(final.history).toEqual(outcome.right.record.history);
    expect(final).toMatchObject({ epochs: 3, epoch: 3, step: 4, steps: 4 });
    const status = await readRunStatus(runsDir, 'tiny-mnist-odd', outcome.right.record.runId);
    expect(status.state).toBe('complete');
    expect(status.history).toHaveLength(3);
  }, 60_000);
});

const listRunIds = (runsDir: string): string[] =>
  existsSync(join(runsDir, 'tiny-mnist-odd')) ? readdirSync(join(runsDir, 'tiny-mnist-odd')) : [];

describe('readRunStatus', () => {
  const progress = (runId: string, history: ReturnType<typeof epoch>[], current: object) => ({
    schema: 'losslab.progress/1',
    runId,
    epochs: 5,
    updatedAt: '2026-01-01T00:01:00.000Z',
    history,
    ...current,
  });

  it('a run whose process is alive is running, with its epoch and an ETA from its epochs’ mean time', async () => {
    const runsDir = folders.make();
    // the test runner's parent process stands in for a live training process
    runFolderWith(runsDir, 'r1', {
      'started.json': started('r1', process.ppid),
      [PROGRESS_FILE]: progress('r1', [epoch(1, 8), epoch(2, 12)], {
        epoch: 3,
        step: 5,
        steps: 10,
        epochStartedAt: '2026-01-01T00:00:30.000Z',
      }),
    });
    const status = await readRunStatus(runsDir, 'exp', 'r1', Date.parse('2026-01-01T00:00:35.000Z'));
    expect(status).toMatchObject({ state: 'running', variant: 'masked', seed: 3, epochs: 5 });
    expect(status.current).toMatchObject({ epoch: 3, step: 5, steps: 10 });
    // 3 epochs left (3, 4, 5) at 10 s each, less the 5 s epoch 3 has run
    expect(status.etaSeconds).toBeCloseTo(25, 10);
  });

  it('a run whose process is gone is killed and keeps the epochs it finished', async () => {
    const runsDir = folders.make();
    runFolderWith(runsDir, 'r2', {
      'started.json': started('r2', endedPid()),
      [PROGRESS_FILE]: progress('r2', [epoch(1), epoch(2)], {
        epoch: 3,
        step: 1,
        steps: 10,
        epochStartedAt: '2026-01-01T00:00:30.000Z',
      }),
    });
    const status = await readRunStatus(runsDir, 'exp', 'r2');
    expect(status.state).toBe('killed');
    expect(status.history.map((entry) => entry.epoch)).toEqual([1, 2]);
    expect(status.etaSeconds).toBeUndefined();
  });

  it('a failed run says its phase and message', async () => {
    const runsDir = folders.make();
    runFolderWith(runsDir, 'r3', {
      'started.json': started('r3', endedPid()),
      'failed.json': {
        schema: 'losslab.failed/1',
        runId: 'r3',
        experiment: 'exp',
        variant: 'masked',
        seed: 3,
        phase: 'TrainFailed',
        message: 'loss became NaN at epoch 2, step 3 of 4',
        startedAt: '2026-01-01T00:00:00.000Z',
        failedAt: '2026-01-01T00:00:09.000Z',
      },
    });
    const status = await readRunStatus(runsDir, 'exp', 'r3');
    expect(status).toMatchObject({ state: 'failed', reason: 'TrainFailed: loss became NaN at epoch 2, step 3 of 4' });
  });

  it('a half-written, invalid or linked file makes the run unreadable, with the file and the reason', async () => {
    const runsDir = folders.make();
    runFolderWith(runsDir, 'half', {
      'started.json': started('half', process.ppid),
      [PROGRESS_FILE]: '{"schema":"losslab.progress/1","hist',
    });
    runFolderWith(runsDir, 'invalid', {
      'started.json': started('invalid', process.ppid),
      'record.json': { schema: 'losslab.run/1' },
    });
    const linked = runFolderWith(runsDir, 'linked', {});
    symlinkSync(join(runsDir, 'exp', 'half', 'started.json'), join(linked, 'started.json'));
    runFolderWith(runsDir, 'stranger', { 'notes.txt': 'not a run' });
    const [experiment] = await listRuns(runsDir);
    const byId = new Map(experiment!.runs.map((run) => [run.runId, run]));
    expect(byId.get('half')).toMatchObject({ state: 'unreadable', variant: 'masked' });
    expect(byId.get('half')!.reason).toContain(`${PROGRESS_FILE}: not JSON`);
    expect(byId.get('invalid')!.state).toBe('unreadable');
    expect(byId.get('invalid')!.reason).toMatch(/record\.json: .*runId/);
    expect(byId.get('linked')!.reason).toContain('is a symbolic link');
    expect(byId.get('stranger')!.reason).toContain('has no started.json');
  });
});

describe('losslab runs', () => {
  it('prints each run with its state, variant, seed, epochs and metrics; reasons under the table', async () => {
    const runsDir = folders.make();
    runFolderWith(runsDir, 'alive', {
      'started.json': started('alive', process.ppid),
      [PROGRESS_FILE]: {
        schema: 'losslab.progress/1',
        runId: 'alive',
        epochs: 5,
        epoch: 3,
        step: 2,
        steps: 10,
        epochStartedAt: new Date().toISOString(),
        updatedAt: new Date().toISOString(),
        history: [epoch(1), { ...epoch(2), validation: { accuracy: 0.75 } }],
      },
    });
    runFolderWith(runsDir, 'gone', { 'started.json': started('gone', endedPid()) });
    runFolderWith(runsDir, 'broken', { 'started.json': '{"runId": "bro' });
    const out: string[] = [];
    const log = vi.spyOn(console, 'log').mockImplementation((text: string) => void out.push(text));
    try {
      expect(await main(['runs', `--runs-dir=${runsDir}`, '--experiment=exp'])).toBe(0);
    } finally {
      log.mockRestore();
    }
    const lines = out.join('\n').split('\n');
    expect(lines[0]).toBe('exp (3 runs)');
    const row = (runId: string) =>
      lines.find((line) => line.includes(` ${runId} `) || line.endsWith(` ${runId}`)) ?? '';
    expect(row('alive')).toMatch(
      /^ {2}running, epoch 3 of 5, ETA \S+ +masked +3 +2\/5 +alive +loss 0\.500 {2}validation\.accuracy 0\.750$/,
    );
    expect(row('gone')).toMatch(/^ {2}killed after epoch 0 +masked +3 +0 +gone$/);
    expect(row('broken')).toMatch(/^ {2}unreadable +\? +\? +0 +broken$/);
    expect(lines).toContain(
      `  broken: unreadable: ${join(runsDir, 'exp', 'broken', 'started.json')}: not JSON (Unterminated string in JSON at position 14): half-written or corrupt`,
    );
  });
});

describe('progressFile', () => {
  it('starts from a resumed run’s history, writes at most once a second within an epoch, and at once after each', async () => {
    const folder = folders.make();
    let clock = 0;
    const file = progressFile(folder, 'r', [epoch(1)], () => clock);
    const read = () => JSON.parse(readFileSync(join(folder, PROGRESS_FILE), 'utf8')) as RunProgress;
    const reporter = file.reporter({ epochStart() {}, step() {}, epochEnd() {} });
    reporter.epochStart(2, 4, 10);
    await file.onBatchEnd(1);
    expect(read()).toMatchObject({ epoch: 2, step: 1, steps: 10, epochs: 4 });
    clock = 999;
    await file.onBatchEnd(2);
    expect(read().step).toBe(1); // within the second: not written again
    clock = 1000;
    await file.onBatchEnd(3);
    expect(read().step).toBe(3);
    clock = 1100;
    await file.onEpochEnd(epoch(2));
    expect(read()).toMatchObject({ epoch: 2, step: 10, steps: 10 });
    expect(read().history.map((entry) => entry.epoch)).toEqual([1, 2]);
  });
});
