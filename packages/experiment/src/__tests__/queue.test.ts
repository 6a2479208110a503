import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  exitOf,
  filesUnder,
  freePort,
  killGroup,
  losslab,
  REDIS_SERVER,
  redisCheck,
  runFolders,
  scratchDir,
  startRedis,
  stopAll,
  waitFor,
  writeCsvDefinition,
  writeQueueDefinition,
  type Started,
} from './queue-processes.js';

/**
 * Sweeps through a real Redis (Debian's redis-server, started here on a free loopback port with a
 * password) and real `losslab worker` processes, all on this machine: the records must equal a
 * local run of the same matrix byte for byte, also when a worker is SIGKILLed mid-run and when
 * the coordinator is killed and restarted. Each scenario uses its own Redis database.
 */

const ROOT = resolve(fileURLToPath(import.meta.url), '../../../../..');
const PASSWORD = 'pw-Zq81-never-printed';

describe('redisCheck', () => {
  it('runs when redis-server is there, skips on a newcomer machine without it, fails where it is required', () => {
    expect(redisCheck({}, true)).toBe('run');
    expect(redisCheck({}, false)).toBe('skip');
    expect(redisCheck({ LOSSLAB_REQUIRE_REDIS: '0' }, false)).toBe('skip');
    expect(redisCheck({ LOSSLAB_REQUIRE_REDIS: '1' }, false)).toBe('fail');
    expect(redisCheck({ LOSSLAB_REQUIRE_REDIS: '1' }, true)).toBe('run');
  });
});

const mode = redisCheck(process.env, existsSync(REDIS_SERVER));
if (mode === 'skip')
  console.warn(
    `NOTICE: Redis queue tests skipped: ${REDIS_SERVER} not found. Install it with: apt-get install -y redis-server`,
  );

describe.skipIf(mode === 'skip')('losslab run --queue with losslab worker processes', () => {
  let dir = '';
  let definition = '';
  let port = 0;
  /** The runs of the same matrix run locally, in one process: `variant/seed` → folder. */
  let local = new Map<string, string>();
  const url = (db: number, password = PASSWORD) => `redis://:${password}@127.0.0.1:${port}/${db}`;

  beforeAll(async () => {
    if (mode === 'fail')
      throw new Error(
        `${REDIS_SERVER} not found and LOSSLAB_REQUIRE_REDIS=1: install it with apt-get install -y redis-server`,
      );
    dir = scratchDir();
    definition = writeQueueDefinition(dir);
    ({ port } = await startRedis(PASSWORD, dir));
    const reference = losslab(
      'local run',
      ['run', definition, `--runs-dir=${dir}/local`, `--reports-dir=${dir}/local-reports`],
      ROOT,
    );
    expect(await exitOf(reference), reference.output()).toBe(0);
    local = runFolders(join(dir, 'local'), 'queued');
    expect([...local.keys()].sort()).toEqual(['adam/0', 'adam/1', 'sgd/0', 'sgd/1']);
  }, 180_000);

  afterAll(stopAll, 60_000);

  const worker = (name: string, db: number, extra: string[] = []) =>
    losslab(
      name,
      [
        'worker',
        `--queue=${url(db)}`,
        `--runs-dir=${dir}/${name}-runs`,
        '--lock-duration=5000',
        `--name=${name}`,
        ...extra,
      ],
      ROOT,
    );
  const submit = (name: string, db: number, extra: string[] = [], file = definition) =>
    losslab(
      name,
      [
        'run',
        file,
        `--queue=${url(db)}`,
        `--runs-dir=${dir}/${name}-runs`,
        `--reports-dir=${dir}/${name}-reports`,
        ...extra,
      ],
      ROOT,
    );
  /** Stops workers as a user would (SIGTERM: finish what runs, then exit 0). */
  const stopWorkers = async (...workers: Started[]) => {
    workers.forEach((w) => killGroup(w, 'SIGTERM'));
    for (const w of workers) expect(await exitOf(w, 60_000), w.output()).toBe(0);
  };

  /** The queue's runs equal the local ones: evaluation and weights byte for byte, the same losses, the same files. */
  function expectSameAsLocal(runsDir: string) {
    const queued = runFolders(runsDir, 'queued');
    expect([...queued.keys()].sort()).toEqual([...local.keys()].sort());
    for (const [key, folder] of queued) {
      const here = filesUnder(local.get(key)!);
      const there = filesUnder(folder);
      expect([...there.keys()].sort(), key).toEqual([...here.keys()].sort());
      expect(there.get('evaluation.json')?.toString(), key).toBe(here.get('evaluation.json')?.toString());
      expect(there.get('weights.bin')?.equals(here.get('weights.bin')!), key).toBe(true);
      const losses = (files: Map<string, Buffer>) =>
        (JSON.parse(files.get('history.json')!.toString()) as { loss: number }[]).map((e) => e.loss);
      expect(losses(there), key).toEqual(losses(here));
    }
  }

  it('two workers: every record equals the local run; the password appears in no output, record or report', async () => {
    const w1 = worker('w1', 1);
    const w2 = worker('w2', 1);
    const sweep = submit('sweep', 1);
    const code = await exitOf(sweep);
    expect(code, sweep.output()).toBe(0);
    expect(sweep.output()).toContain(`on the workers of redis://:***@127.0.0.1:${port}/1`);
    expect(sweep.output()).toMatch(/done adam s0 on w[12] after 1 attempt\(s\)/);
    expect(sweep.output()).toContain('queue: 0 queued, 0 running, 4 done, 0 failed, 0 retried');
    expect(sweep.output()).toContain('4/4 run(s) complete');
    expectSameAsLocal(join(dir, 'sweep-runs'));
    expect(existsSync(join(dir, 'sweep-reports', 'queued', 'report.md'))).toBe(true);
    await stopWorkers(w1, w2);
    for (const p of [w1, w2, sweep]) expect(p.output(), p.name).not.toContain(PASSWORD);
    for (const folder of ['sweep-runs', 'sweep-reports', 'w1-runs', 'w2-runs'])
      for (const [name, bytes] of filesUnder(join(dir, folder))) expect(bytes.includes(PASSWORD), name).toBe(false);
  }, 240_000);

  it('a worker SIGKILLed during its first job: the job goes back to the queue, the other worker runs it, the sweep completes', async () => {
    const sweep = submit('killed', 2);
    await waitFor(sweep, /queued sgd s1/);
    const doomed = worker('doomed', 2);
    const [, victim] = await waitFor(doomed, /started queued \/ (\S+ s\d+)/);
    killGroup(doomed); // the worker and its sandboxed job process, as when its machine dies
    expect(await exitOf(doomed)).toBe(137);
    const survivor = worker('survivor', 2);
    expect(await exitOf(sweep), sweep.output()).toBe(0);
    const output = sweep.output();
    expect(output).toContain(`requeued ${victim}: worker doomed stopped renewing its lock`);
    expect(output).toMatch(new RegExp(`done ${victim} on survivor after 2 attempt\\(s\\)`));
    expect(output.match(/after 1 attempt\(s\)/g)).toHaveLength(3);
    expect(output).toContain('4 done, 0 failed, 1 retried');
    expectSameAsLocal(join(dir, 'killed-runs'));
    await stopWorkers(survivor);
  }, 240_000);

  it('a run that fails every time: tried --attempts times, then recorded as failed with its reason, and the report lists it', async () => {
    const w = worker('w3', 3);
    const sweep = submit('failing', 3, [
      '--variant=adam,sgd',
      '--seeds=0',
      '--set',
      'variants.sgd.optimizer.learningRate=1e30',
      '--attempts=2',
    ]);
    expect(await exitOf(sweep), sweep.output()).toBe(1);
    const output = sweep.output();
    expect(output).toMatch(
      /retrying sgd s0 after attempt 1 failed: \[TrainFailed\] train failed \(variant sgd, seed 0\)/,
    );
    expect(output).toMatch(/error: sgd s0 failed after 2 attempt\(s\)/);
    expect(output).toContain('failed: sgd s0 (failed after 2 attempt(s))');
    expect(output).toMatch(/done adam s0 on w3 after 1 attempt\(s\)/);
    const runs = join(dir, 'failing-runs', 'queued');
    const failedFolder = readdirSync(runs).find((name) => name.endsWith('-sgd-s0-queue'));
    expect(failedFolder).toBeDefined();
    const failure = JSON.parse(readFileSync(join(runs, failedFolder!, 'failed.json'), 'utf8')) as Record<
      string,
      string
    >;
    expect(failure.phase).toBe('TrainFailed');
    expect(failure.message).toMatch(/became .*\(job queued\.sgd\.s0\.[^,]+, 2 attempt\(s\)\)$/);
    const report = readFileSync(join(dir, 'failing-reports', 'queued', 'report.md'), 'utf8');
    expect(report).toContain(failedFolder);
    // Submitted again, the failed job stays failed; --fresh removes it and enqueues it again.
    const args = ['--variant=sgd', '--seeds=0', '--set', 'variants.sgd.optimizer.learningRate=1e30', '--attempts=1'];
    const again = submit('failing', 3, args);
    expect(await exitOf(again), again.output()).toBe(1);
    expect(again.output()).toMatch(/already in the queue: sgd s0 \(job [^,]+, failed\)/);
    const fresh = submit('failing', 3, [...args, '--fresh']);
    expect(await exitOf(fresh), fresh.output()).toBe(1);
    expect(fresh.output()).toMatch(/^queued sgd s0 /m);
    expect(fresh.output()).toMatch(/error: sgd s0 failed after 1 attempt\(s\)/);
    await stopWorkers(w);
  }, 240_000);

  it('the coordinator killed and restarted with the same command: nothing is enqueued twice, finished runs are collected', async () => {
    const w = worker('w4', 4, ['--concurrency=2']);
    const first = submit('restart', 4);
    await waitFor(first, /done \S+ s\d+ on w4/);
    killGroup(first);
    await exitOf(first);
    const again = submit('restart', 4);
    expect(await exitOf(again), again.output()).toBe(0);
    const output = again.output();
    expect(output).not.toMatch(/^queued /m);
    const reused = output.match(/^reused \S+ s\d+: /gm) ?? [];
    const waiting = output.match(/^already in the queue: /gm) ?? [];
    expect(reused.length).toBeGreaterThanOrEqual(1);
    expect(reused.length + waiting.length).toBe(4);
    // each run trained once: nothing was retried or run twice
    expect(`${first.output()}${output}`).not.toMatch(/after 2 attempt/);
    expectSameAsLocal(join(dir, 'restart-runs'));
    await stopWorkers(w);
  }, 240_000);

  it('a worker whose data differs refuses the job without retries and names the file', async () => {
    const { file, csv } = writeCsvDefinition(dir);
    const sweep = submit('csv', 5, ['--attempts=3'], file);
    await waitFor(sweep, /queued base s0/);
    writeFileSync(csv, `${readFileSync(csv, 'utf8')}0.5,0.5,rest\n`);
    const w = worker('w5', 5);
    expect(await exitOf(sweep), sweep.output()).toBe(1);
    expect(sweep.output()).toMatch(
      /error: base s0 failed after 1 attempt\(s\) .*: \[Refused\] base s0: this worker's data differs from the submitter's: data rows\.csv \(here [0-9a-f]{12}, submitted [0-9a-f]{12}\)/,
    );
    await stopWorkers(w);
  }, 240_000);

  it('a worker whose code differs refuses the job without retries and names the file', async () => {
    const { file, lossKind } = writeCsvDefinition(dir);
    const sweep = submit('code', 6, ['--attempts=3'], file);
    await waitFor(sweep, /queued base s0/);
    writeFileSync(lossKind, `${readFileSync(lossKind, 'utf8')}// changed after the sweep was submitted\n`);
    const w = worker('w6', 6);
    expect(await exitOf(sweep), sweep.output()).toBe(1);
    expect(sweep.output()).toMatch(
      /error: base s0 failed after 1 attempt\(s\) .*: \[Refused\] base s0: this worker's code differs from the submitter's \(fingerprint [0-9a-f]{12} here, [0-9a-f]{12} submitted\): .*user kind file \S+\/loss-kind\.ts \(here [0-9a-f]{12}, submitted [0-9a-f]{12}\)/,
    );
    await stopWorkers(w);
  }, 240_000);

  it('Redis unreachable or the password wrong: one line, exit 1, nothing written; the password never printed', async () => {
    const closed = await freePort();
    const unreachable = losslab(
      'unreachable',
      [
        'run',
        definition,
        `--queue=redis://127.0.0.1:${closed}`,
        `--runs-dir=${dir}/none`,
        `--reports-dir=${dir}/none-r`,
      ],
      ROOT,
    );
    expect(await exitOf(unreachable)).toBe(1);
    expect(unreachable.output()).toMatch(
      new RegExp(`^error: cannot use the Redis queue at redis://127\\.0\\.0\\.1:${closed}: .*ECONNREFUSED.*$`, 'm'),
    );
    const wrong = 'not-the-password';
    const denied = submit('denied', 1, [`--queue=${url(1, wrong)}`]);
    expect(await exitOf(denied)).toBe(1);
    expect(denied.output()).toMatch(
      /error: cannot use the Redis queue at redis:\/\/:\*\*\*@127\.0\.0\.1:\d+\/1: WRONGPASS/,
    );
    const deniedWorker = losslab('denied worker', ['worker', `--queue=${url(1, wrong)}`], ROOT);
    expect(await exitOf(deniedWorker)).toBe(1);
    for (const p of [unreachable, denied, deniedWorker]) {
      expect(p.output()).not.toContain(wrong);
      expect(
        p
          .output()
          .trim()
          .split('\n')
          .filter((line) => line.startsWith('error: ')),
      ).toHaveLength(1);
    }
    for (const folder of ['none', 'none-r', 'denied-runs', 'denied-reports'])
      expect(existsSync(join(dir, folder))).toBe(false);
  }, 120_000);
});
