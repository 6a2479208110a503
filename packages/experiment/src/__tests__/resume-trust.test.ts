import { spawn, type ChildProcess } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as E from 'fp-ts/lib/Either.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selectBackend, type BackendInfo } from '@losslab/runtime';
import type { Checkpoint, RunRecord } from '@losslab/schema';
import { sealCheckpoint } from '@losslab/train';
import { resolveExperiment, runOne, type ResolvedExperiment, type RunOutcome } from '../index.js';
import { tinyMnistOdd } from './fixtures.js';

/**
 * A killed run is rebuilt from an uninterrupted one: its `started.json` and the checkpoint of
 * epoch 2 of 3, without `record.json`. Each test changes one thing in a copy and reruns.
 */

const definition = tinyMnistOdd({ train: { epochs: 3, batchSize: 64, keepCheckpoints: true } });
const experiment = ((): ResolvedExperiment => {
  const resolved = resolveExperiment(definition, 'fixture');
  if (E.isLeft(resolved)) throw new Error(resolved.left.problems.join('\n'));
  return resolved.right;
})();
const variant = experiment.variants[0]!;

let backend: BackendInfo;
let root = '';
let whole: RunOutcome;
const lines: string[] = [];

async function run(runsDir: string, reuse = true) {
  return runOne(
    { definition: experiment.definition, variant, seed: 0 },
    { runsDir, backend, reuse, log: (line) => lines.push(line) },
  );
}

beforeAll(async () => {
  backend = await selectBackend({ requested: 'cpu' });
  root = mkdtempSync(join(tmpdir(), 'losslab-resume-trust-'));
  const outcome = await run(join(root, 'whole'), false);
  if (E.isLeft(outcome)) throw new Error(outcome.left.message);
  whole = outcome.right;
}, 60_000);

afterAll(() => rmSync(root, { recursive: true, force: true }));

const runId = () => whole.record.runId;
const CHECKPOINT = join('checkpoints', 'epoch-0002.json');

/** A runs folder holding the killed run; `change` edits its files before the rerun. */
function killedRun(name: string, change: (folder: string) => void = () => {}): { runsDir: string; folder: string } {
  const runsDir = join(root, name);
  const folder = join(runsDir, definition.name, runId());
  mkdirSync(join(folder, 'checkpoints'), { recursive: true });
  cpSync(join(whole.folder, 'started.json'), join(folder, 'started.json'));
  cpSync(join(whole.folder, CHECKPOINT), join(folder, CHECKPOINT));
  change(folder);
  return { runsDir, folder };
}

const readCheckpoint = (folder: string) => JSON.parse(readFileSync(join(folder, CHECKPOINT), 'utf8')) as Checkpoint;
const writeCheckpoint = (folder: string, value: unknown) =>
  writeFileSync(join(folder, CHECKPOINT), JSON.stringify(value));

/** Base64 of `count` zero float32 values. */
const zeros = (count: number) => Buffer.alloc(count * 4).toString('base64');

/** The first base64 character changed: the same length, another value. */
const flipped = (text: string) => `${text.startsWith('A') ? 'B' : 'A'}${text.slice(1)}`;

/** The rerun fails before training, naming the checkpoint (or `file`), and leaves the folder as it was. */
async function expectRefused(
  name: string,
  change: (folder: string) => void,
  problem: string | RegExp,
  file = CHECKPOINT,
) {
  const { runsDir, folder } = killedRun(name, change);
  const before = readdirSync(folder).sort();
  const outcome = await run(runsDir);
  if (E.isRight(outcome)) throw new Error(`${name}: resumed from a tampered run`);
  expect(outcome.left.tag).toBe('RunStoreFailed');
  expect(outcome.left.message).toContain(`${join(folder, file)}: `);
  expect(outcome.left.message).toMatch(problem);
  expect(outcome.left.message).toContain('rerun with --fresh to start a new run');
  // nothing written from it: no record, no failure note, no other run folder
  expect(readdirSync(folder).sort()).toEqual(before);
  expect(readdirSync(join(runsDir, definition.name))).toEqual([runId()]);
  return folder;
}

const timeless = (record: RunRecord) => record.history.map(({ seconds: _s, samplesPerSecond: _r, ...rest }) => rest);

describe('resuming a killed run checks its checkpoint and started.json first', () => {
  it('an honest checkpoint resumes to the same weights, history and evaluation as the uninterrupted run', async () => {
    const { runsDir, folder } = killedRun('honest');
    expect(readCheckpoint(folder).run).toEqual({
      runId: runId(),
      definitionHash: whole.record.definitionHash,
      seed: 0,
      backend: 'cpu',
      codeFingerprint: whole.record.codeFingerprint,
    });
    const outcome = await run(runsDir);
    if (E.isLeft(outcome)) throw new Error(outcome.left.message);
    expect(outcome.right.folder).toBe(folder);
    expect(lines).toContain(`resuming ${runId()} after epoch 2 from its checkpoint ${join(folder, CHECKPOINT)}`);
    expect(outcome.right.record.resumes?.map((r) => r.afterEpoch)).toEqual([2]);
    expect(timeless(outcome.right.record)).toEqual(timeless(whole.record));
    expect(outcome.right.record.evaluation).toEqual(whole.record.evaluation);
    expect(readFileSync(join(folder, 'weights.bin')).equals(readFileSync(join(whole.folder, 'weights.bin')))).toBe(
      true,
    );
  }, 60_000);

  it('(3) refuses a checkpoint whose weights were changed (same length), naming the sha256 that differs', async () => {
    await expectRefused(
      'weights',
      (folder) => {
        const checkpoint = readCheckpoint(folder);
        const [first, ...rest] = checkpoint.weights;
        writeCheckpoint(folder, { ...checkpoint, weights: [{ ...first!, base64: flipped(first!.base64) }, ...rest] });
      },
      new RegExp(
        `sha256 expected [0-9a-f]{64} \\(of its content\\), found ${readCheckpoint(whole.folder).sha256}: it was changed after it was written`,
      ),
    );
  });

  it('(4) refuses a checkpoint whose Adam moments were zeroed', async () => {
    await expectRefused(
      'moments',
      (folder) => {
        const checkpoint = readCheckpoint(folder);
        const optimizer = checkpoint.optimizer.map((s, i) =>
          i === 0 ? s : { ...s, base64: zeros(s.shape.reduce((a, b) => a * b, 1)) },
        );
        expect(optimizer.length).toBeGreaterThan(1); // iterations, then m and v of each weight
        writeCheckpoint(folder, { ...checkpoint, optimizer });
      },
      /sha256 expected [0-9a-f]{64} \(of its content\), found [0-9a-f]{64}: it was changed after it was written/,
    );
  });

  it('(5) refuses a checkpoint whose history was edited', async () => {
    await expectRefused(
      'history',
      (folder) => {
        const checkpoint = readCheckpoint(folder);
        writeCheckpoint(folder, { ...checkpoint, history: checkpoint.history.map((h) => ({ ...h, loss: 0.01 })) });
      },
      /sha256 expected [0-9a-f]{64} \(of its content\), found [0-9a-f]{64}/,
    );
  });

  it('(6) refuses a history shorter than its epoch even when the sha256 was recomputed to match', async () => {
    await expectRefused(
      'shortened',
      (folder) => {
        const { schema: _s, run: owner, sha256: _h, ...state } = readCheckpoint(folder);
        writeCheckpoint(folder, sealCheckpoint({ ...state, history: state.history.slice(0, 1) }, owner));
      },
      'history holds 1 epochs; the checkpoint is of epoch 2',
    );
    await expectRefused(
      'renumbered',
      (folder) => {
        const { schema: _s, run: owner, sha256: _h, ...state } = readCheckpoint(folder);
        writeCheckpoint(folder, sealCheckpoint({ ...state, epoch: 1, history: state.history.slice(0, 1) }, owner));
      },
      'epoch expected 2 (its file name), found 1',
    );
  });

  it('refuses the checkpoint of another run (resealed), naming the field, the expected and the found value', async () => {
    await expectRefused(
      'other-run',
      (folder) => {
        const { schema: _s, run: owner, sha256: _h, ...state } = readCheckpoint(folder);
        writeCheckpoint(folder, sealCheckpoint(state, { ...owner, seed: 1 }));
      },
      'run.seed expected 0, found 1: it is of another run',
    );
  });

  it('(23) names the checkpoint file and the field of invalid base64, not "Invalid character"', async () => {
    const folder = await expectRefused(
      'base64',
      (folder) => {
        const checkpoint = readCheckpoint(folder);
        const [first, ...rest] = checkpoint.weights;
        writeCheckpoint(folder, {
          ...checkpoint,
          weights: [{ ...first!, base64: `*${first!.base64.slice(1)}` }, ...rest],
        });
      },
      /weights\.0\.base64: expected base64 text \(A-Z, a-z, 0-9, \+, \/ and = padding\): character 1 of \d+ is "\*"/,
    );
    expect(readFileSync(join(folder, CHECKPOINT), 'utf8')).toContain('"base64":"*');
  });

  it('refuses a checkpoint of the format before this check, telling to use --fresh', async () => {
    await expectRefused(
      'old-format',
      (folder) => {
        const { run: _r, sha256: _h, ...state } = readCheckpoint(folder);
        writeCheckpoint(folder, { ...state, schema: 'losslab.checkpoint/1' });
      },
      'written by an earlier losslab (losslab.checkpoint/1), without its run and sha256, so it cannot be checked',
    );
  });

  it('refuses a symbolic link in place of the checkpoint or of started.json, naming it', async () => {
    await expectRefused(
      'linked-checkpoint',
      (folder) => {
        const elsewhere = join(root, 'elsewhere.json');
        cpSync(join(folder, CHECKPOINT), elsewhere);
        rmSync(join(folder, CHECKPOINT));
        symlinkSync(elsewhere, join(folder, CHECKPOINT));
      },
      'is a symbolic link; losslab reads only regular files in a run folder',
    );
    await expectRefused(
      'linked-started',
      (folder) => {
        const elsewhere = join(root, 'started-elsewhere.json');
        cpSync(join(folder, 'started.json'), elsewhere);
        rmSync(join(folder, 'started.json'));
        symlinkSync(elsewhere, join(folder, 'started.json'));
      },
      'is a symbolic link',
      'started.json',
    );
  });

  it('(13) refuses a run id in started.json that is not its folder’s name (a "../" id), naming the file', async () => {
    await expectRefused(
      'run-id',
      (folder) => {
        const started = JSON.parse(readFileSync(join(folder, 'started.json'), 'utf8')) as { runId: string };
        writeFileSync(join(folder, 'started.json'), JSON.stringify({ ...started, runId: '../../poisoned' }));
      },
      `runId expected "${runId()}" (its folder's name), found "../../poisoned"`,
      'started.json',
    );
  });

  it('refuses a started.json of this run with a field that does not decode, naming the file and the field', async () => {
    await expectRefused(
      'started-pid',
      (folder) => {
        const started = JSON.parse(readFileSync(join(folder, 'started.json'), 'utf8')) as { pid: number };
        writeFileSync(join(folder, 'started.json'), JSON.stringify({ ...started, pid: 'abc' }));
      },
      'pid: expected a positive integer, got "abc"',
      'started.json',
    );
  });

  it('--fresh (reuse: false) leaves a tampered run as it is and starts a new one', async () => {
    const { runsDir, folder } = killedRun('fresh', (folder) => {
      const checkpoint = readCheckpoint(folder);
      writeCheckpoint(folder, { ...checkpoint, epoch: 1 });
    });
    const outcome = await run(runsDir, false);
    if (E.isLeft(outcome)) throw new Error(outcome.left.message);
    expect(outcome.right.folder).not.toBe(folder);
    expect(outcome.right.record.evaluation).toEqual(whole.record.evaluation);
    expect(existsSync(join(folder, 'record.json'))).toBe(false);
  }, 60_000);
});

describe('a complete run is reused only when its record.json is its own', () => {
  /** A runs folder holding a copy of the complete run, changed by `change`; the rerun must start a new run. */
  async function expectNotReused(name: string, change: (folder: string) => void, passedOver: string) {
    const runsDir = join(root, name);
    const folder = join(runsDir, definition.name, runId());
    cpSync(whole.folder, folder, { recursive: true });
    const honest = await run(runsDir);
    if (E.isLeft(honest)) throw new Error(honest.left.message);
    expect(honest.right.reused).toBe(true);
    change(folder);
    const outcome = await run(runsDir);
    if (E.isLeft(outcome)) throw new Error(outcome.left.message);
    expect(outcome.right.reused).toBe(false);
    expect(outcome.right.folder).not.toBe(folder);
    expect(lines).toContain(`not reused: ${join(folder, 'record.json')}: ${passedOver}`);
  }

  it('a symbolic link in place of record.json is passed over, named', async () => {
    await expectNotReused(
      'reuse-link',
      (folder) => {
        rmSync(join(folder, 'record.json'));
        symlinkSync(join(whole.folder, 'record.json'), join(folder, 'record.json'));
      },
      'is a symbolic link; losslab reads only regular files in a run folder',
    );
  }, 60_000);

  it('a run folder that is a symbolic link is passed over, named', async () => {
    const runsDir = join(root, 'reuse-linked-folder');
    mkdirSync(join(runsDir, definition.name), { recursive: true });
    const linked = join(runsDir, definition.name, runId());
    symlinkSync(whole.folder, linked);
    const outcome = await run(runsDir);
    if (E.isLeft(outcome)) throw new Error(outcome.left.message);
    expect(outcome.right.reused).toBe(false);
    expect(lines).toContain(`not reused: ${linked}: is a symbolic link; a run folder of losslab's is a folder`);
  }, 60_000);

  it('a record whose run id is not its folder’s name (a "../" id) is passed over, named', async () => {
    await expectNotReused(
      'reuse-run-id',
      (folder) => {
        const record = JSON.parse(readFileSync(join(folder, 'record.json'), 'utf8')) as RunRecord;
        writeFileSync(join(folder, 'record.json'), JSON.stringify({ ...record, runId: '../../poisoned' }));
      },
      `runId expected "${runId()}" (its folder's name), found "../../poisoned"`,
    );
  }, 60_000);
});

describe('a run counts as running only while its recorded process is alive and is that process', () => {
  const children: ChildProcess[] = [];
  afterAll(() => {
    for (const child of children) child.kill('SIGKILL');
  });

  /** started.json of the killed run, naming another process. */
  const recordProcess = (folder: string, identity: Record<string, unknown>) => {
    const started = JSON.parse(readFileSync(join(folder, 'started.json'), 'utf8')) as Record<string, unknown>;
    const { pid: _p, processStart: _s, bootId: _b, ...rest } = started;
    writeFileSync(join(folder, 'started.json'), JSON.stringify({ ...rest, ...identity }));
  };

  /** A zombie: `sleep 0`, whose parent (the shell turned `sleep 30`) never reaps it. */
  async function zombie(): Promise<number> {
    const child = spawn('sh', ['-c', 'sleep 0 & echo $!; exec sleep 30'], { stdio: ['ignore', 'pipe', 'ignore'] });
    children.push(child);
    const pid = await new Promise<number>((done) => child.stdout.once('data', (chunk: Buffer) => done(Number(chunk))));
    for (let i = 0; i < 500 && readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.[0] !== 'Z'; i++)
      await new Promise((r) => setTimeout(r, 10));
    return pid;
  }

  it.runIf(existsSync('/proc/self/stat'))(
    'a zombie left by a SIGKILL, or a pid now used by another process, is dead: the rerun resumes; a live one is not resumed',
    async () => {
      const dead = await zombie();
      const zombied = killedRun('zombie', (folder) => recordProcess(folder, { pid: dead }));
      const resumed = await run(zombied.runsDir);
      if (E.isLeft(resumed)) throw new Error(resumed.left.message);
      expect(resumed.right.folder).toBe(zombied.folder);

      const live = spawn('sleep', ['30'], { stdio: 'ignore' });
      children.push(live);
      const stat = readFileSync(`/proc/${live.pid}/stat`, 'utf8');
      const start = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]);
      const reused = killedRun('reused', (folder) => recordProcess(folder, { pid: live.pid, processStart: start - 1 }));
      const again = await run(reused.runsDir);
      if (E.isLeft(again)) throw new Error(again.left.message);
      expect(again.right.folder).toBe(reused.folder);

      const otherBoot = killedRun('other-boot', (folder) =>
        recordProcess(folder, { pid: live.pid, processStart: start, bootId: 'another-boot' }),
      );
      const afterReboot = await run(otherBoot.runsDir);
      if (E.isLeft(afterReboot)) throw new Error(afterReboot.left.message);
      expect(afterReboot.right.folder).toBe(otherBoot.folder);

      // the very process, still running: its run is not taken over, a new one starts beside it
      const running = killedRun('running', (folder) => recordProcess(folder, { pid: live.pid, processStart: start }));
      const beside = await run(running.runsDir);
      if (E.isLeft(beside)) throw new Error(beside.left.message);
      expect(beside.right.folder).not.toBe(running.folder);
    },
    120_000,
  );
});
