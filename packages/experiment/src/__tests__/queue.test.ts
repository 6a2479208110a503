import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rejectionOf } from '@losslab/test-utils';
import type { RunRecord } from '@losslab/schema';
import { sha256Hex } from '@losslab/runtime';
import { collectRun } from '../queue/collect.js';
import type { RunJobData } from '../queue/job.js';
import { UNTIL_DECIDED_DEFINITION } from './until-decided-definition.js';
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

  afterAll(async () => {
    await stopAll();
    if (dir !== '') rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  const worker = (name: string, db: number, extra: string[] = [], cwd = ROOT) =>
    losslab(
      name,
      [
        'worker',
        `--queue=${url(db)}`,
        `--runs-dir=${dir}/${name}-runs`,
        '--lock-duration=5000',
        `--name=${name}`,
        // The definitions of these tests lie in a scratch folder, outside the working folder.
        `--allow-definitions=${dir}`,
        ...extra,
      ],
      cwd,
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

  it('--until-decided through the queue: each round enqueues only its new seeds, and the study stops by itself', async () => {
    const file = join(dir, 'until-decided.ts');
    writeFileSync(file, UNTIL_DECIDED_DEFINITION);
    const w = worker('until-worker', 10);
    const sweep = submit('until', 10, ['--until-decided', '--max-seeds=8', '--smallest-effect=0.05'], file);
    expect(await exitOf(sweep, 240_000), sweep.output()).toBe(0);
    await stopWorkers(w);
    const out = sweep.output();
    expect(out).toContain('round 1: base, slower on seed(s) 0, 1, 2');
    const decided =
      /^look (\d) of 6 \((\d) seeds per variant\): 1 decided, 0 open — every comparison decided, stopping$/m.exec(out);
    expect(decided, out).not.toBeNull();
    const [, look = '', seeds = ''] = decided ?? [];
    expect(Number(look)).toBeGreaterThan(1);
    // Every later round submitted the one new seed, and nothing after the deciding look.
    for (let round = 2; round <= Number(look); round++)
      expect(out).toContain(`round ${round}: base, slower on seed(s) ${round + 1}`);
    expect(out).not.toContain(`round ${Number(look) + 1}:`);
    const seedList = Array.from({ length: Number(seeds) }, (_, seed) => seed);
    expect([...runFolders(join(dir, 'until-runs'), 'until-decided').keys()].sort()).toEqual([
      ...seedList.map((seed) => `base/${seed}`),
      ...seedList.map((seed) => `slower/${seed}`),
    ]);
    const report = readFileSync(join(dir, 'until-reports', 'until-decided', 'report.md'), 'utf8');
    expect(report).toContain(
      `| slower vs base | accuracy | **too small to matter (within ±0.05)** | ${seeds} | ${look} |`,
    );
  });

  it('a worker SIGKILLed during its first job: the job goes back to the queue, the other worker runs it, the sweep completes', async () => {
    // Through an artifact store (issue 30): the models of the killed attempt never reach the submitter.
    const store = [`--artifacts=file://${dir}/killed-store`];
    const sweep = submit('killed', 2, store);
    await waitFor(sweep, /queued sgd s1/);
    const doomed = worker('doomed', 2, store);
    const [, victim] = await waitFor(doomed, /started queued \/ (\S+ s\d+)/);
    killGroup(doomed); // the worker and its sandboxed job process, as when its machine dies
    expect(await exitOf(doomed)).toBe(137);
    const survivor = worker('survivor', 2, store);
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

  it('a stale worker whose data differs refuses the job naming the file and hands it back; an up-to-date worker then runs it (issue 22 case 12)', async () => {
    const { file, csv } = writeCsvDefinition(dir);
    const sweep = submit('csv', 5, ['--attempts=1'], file);
    await waitFor(sweep, /queued base s0/);
    const original = readFileSync(csv, 'utf8');
    writeFileSync(csv, `${original}0.5,0.5,rest\n`);
    const stale = worker('stale5', 5);
    await waitFor(
      sweep,
      /handed back base s0 \(job \S+, refusal 1 of 3\): worker stale5 refused it: this worker's data differs from the submitter's: data rows\.csv \(here [0-9a-f]{12}, submitted [0-9a-f]{12}\)/,
    );
    await stopWorkers(stale);
    writeFileSync(csv, original);
    const good = worker('good5', 5);
    expect(await exitOf(sweep), sweep.output()).toBe(0);
    expect(sweep.output()).toMatch(/done base s0 on good5 /);
    expect(sweep.output()).toContain('1/1 run(s) complete');
    expect(runFolders(join(dir, 'stale5-runs'), 'queued-csv').size).toBe(0);
    await stopWorkers(good);
  }, 240_000);

  it('a job refused by every worker (its code differs) fails after the third refusal, naming each (issue 22 case 12)', async () => {
    const { file, lossKind } = writeCsvDefinition(dir);
    const sweep = submit('code', 6, ['--attempts=3'], file);
    await waitFor(sweep, /queued base s0/);
    writeFileSync(lossKind, `${readFileSync(lossKind, 'utf8')}// changed after the sweep was submitted\n`);
    const w = worker('w6', 6);
    expect(await exitOf(sweep), sweep.output()).toBe(1);
    const refusal =
      "w6: this worker's code differs from the submitter's \\(fingerprint [0-9a-f]{12} here, [0-9a-f]{12} submitted\\): .*user kind file \\S+/loss-kind\\.ts \\(here [0-9a-f]{12}, submitted [0-9a-f]{12}\\)";
    expect(sweep.output()).toMatch(/handed back base s0 \(job \S+, refusal 2 of 3\): worker w6 refused it/);
    expect(sweep.output()).toMatch(
      new RegExp(
        `error: base s0 failed after 1 attempt\\(s\\) .*: \\[Refused\\] base s0 \\(job \\S+\\): refused 3 times, the limit: ${refusal} \\| ${refusal} \\| ${refusal}$`,
        'm',
      ),
    );
    await stopWorkers(w);
  }, 240_000);

  /** A client of the test's Redis, to tamper with a job as an attacker with access to Redis would. */
  const redis = (db: number) => new Redis({ host: '127.0.0.1', port, db, password: PASSWORD });
  /** The hash BullMQ keeps a job in. */
  const jobKey = (id: string) => `bull:losslab-runs:${id}`;

  it('a job whose definition path was changed in Redis (outside the allowed folders, /etc/passwd, other bytes) is refused before anything is imported (issue 22 case 1)', async () => {
    const defs = join(dir, 'defs');
    mkdirSync(defs, { recursive: true });
    const file = writeQueueDefinition(defs);
    // Each evil file would leave a marker if it were ever imported or compiled.
    const evil = (path: string, marker: string) => {
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(
        path,
        `import { writeFileSync } from 'node:fs';\nwriteFileSync(${JSON.stringify(marker)}, 'ran');\nexport default {};\n`,
      );
    };
    const outsideMarker = join(dir, 'outside-ran');
    const insideMarker = join(dir, 'inside-ran');
    evil(join(dir, 'elsewhere', 'evil.ts'), outsideMarker);
    evil(join(defs, 'evil-inside.ts'), insideMarker);
    const workerHome = join(dir, 'w', 'x', 'y', 'z');
    mkdirSync(workerHome, { recursive: true });
    const sweep = submit('tampered', 7, [], file);
    const ids = new Map<string, string>();
    for (const label of ['adam s0', 'adam s1', 'sgd s0', 'sgd s1'])
      ids.set(label, (await waitFor(sweep, new RegExp(`queued ${label} \\(job (\\S+)\\)`)))[1]!);
    const client = redis(7);
    try {
      const tamper = async (label: string, definitionPath: string) => {
        const key = jobKey(ids.get(label)!);
        const data = JSON.parse((await client.hget(key, 'data'))!) as { definitionPath: string };
        await client.hset(key, 'data', JSON.stringify({ ...data, definitionPath }));
      };
      await tamper('adam s0', '../../../../elsewhere/evil.ts');
      await tamper('adam s1', '/etc/passwd');
      // Inside an allowed folder, but not the bytes the submitter hashed.
      await tamper('sgd s0', join(defs, 'evil-inside.ts'));
    } finally {
      client.disconnect();
    }
    const w = losslab(
      'w7',
      ['worker', `--queue=${url(7)}`, `--runs-dir=${dir}/w7-runs`, `--name=w7`, `--allow-definitions=${defs}`],
      workerHome,
    );
    expect(await exitOf(sweep), sweep.output()).toBe(1);
    // Nothing a tampered job named was imported or compiled.
    expect(existsSync(outsideMarker)).toBe(false);
    expect(existsSync(insideMarker)).toBe(false);
    const output = sweep.output();
    const home = realpathSync(workerHome);
    const allowed = `${home}, ${realpathSync(defs)}`;
    const outside = (path: string, real: string) =>
      `the definition file ${path} (${real}) lies outside the folders this worker imports definitions from (${allowed}; add one with --allow-definitions); nothing was imported`;
    expect(output).toContain(
      `[Refused] adam s0 (job ${ids.get('adam s0')}): refused 3 times, the limit: w7: ${outside('../../../../elsewhere/evil.ts', realpathSync(join(dir, 'elsewhere', 'evil.ts')))}`,
    );
    expect(output).toContain(
      `[Refused] adam s1 (job ${ids.get('adam s1')}): refused 3 times, the limit: w7: the definition file /etc/passwd lies outside`,
    );
    expect(output).toMatch(
      new RegExp(
        `\\[Refused\\] sgd s0 \\(job ${ids.get('sgd s0')!.replaceAll('.', '\\.')}\\): refused 3 times, the limit: w7: the definition file \\S+/evil-inside\\.ts differs from the submitter's \\(sha256 [0-9a-f]{12} here, [0-9a-f]{12} submitted\\); nothing was imported`,
      ),
    );
    expect(output).toMatch(/done sgd s1 on w7 /);
    // The worker ran only the job it was given untouched; the submitter holds no run of the others.
    expect([...runFolders(join(dir, 'w7-runs'), 'queued').keys()]).toEqual(['sgd/1']);
    expect([...runFolders(join(dir, 'tampered-runs'), 'queued').keys()]).toEqual(['sgd/1']);
    await stopWorkers(w);
  }, 240_000);

  it('a result whose record was forged in Redis (another experiment, seed, accuracy) is refused naming the job and field; nothing is written (issue 22 case 2)', async () => {
    const args = ['--variant=adam', '--seeds=0'];
    const first = submit('forged', 8, args);
    const [, id] = await waitFor(first, /queued adam s0 \(job (\S+)\)/);
    killGroup(first); // the submitter is away while the job runs, as when it was restarted
    await exitOf(first);
    const w = worker('w8', 8);
    await waitFor(w, /finished queued \/ adam s0/);
    await stopWorkers(w);
    const client = redis(8);
    try {
      const result = JSON.parse((await client.hget(jobKey(id!), 'returnvalue'))!) as {
        record: { experiment: string; seed: number; evaluation: { metrics: Record<string, number> } };
      };
      result.record.experiment = 'victim';
      result.record.seed = 3;
      result.record.evaluation.metrics.accuracy = 0.999;
      await client.hset(jobKey(id!), 'returnvalue', JSON.stringify(result));
    } finally {
      client.disconnect();
    }
    const again = submit('forged', 8, args);
    expect(await exitOf(again), again.output()).toBe(1);
    expect(again.output()).toContain(
      `failed: adam s0: job ${id} returned a record that is not the run submitted: experiment "victim" (submitted "queued"); seed 3 (submitted 0)`,
    );
    expect(filesUnder(join(dir, 'forged-runs')).size).toBe(0);
    expect(existsSync(join(dir, 'forged-reports', 'victim'))).toBe(false);
  }, 240_000);

  describe('collectRun: a returned run checked against the job submitted (issue 22 case 2)', () => {
    /** The local adam/0 run as a worker would return it, and the job that asked for it. */
    const returned = () => {
      const folder = local.get('adam/0')!;
      const record = JSON.parse(readFileSync(join(folder, 'record.json'), 'utf8')) as RunRecord;
      const files = Object.fromEntries(
        [...filesUnder(folder)]
          .filter(([name]) => name !== 'record.json')
          .map(([name, bytes]) => [name, bytes.toString('base64')]),
      );
      const job: RunJobData = {
        schema: 'losslab.job/2',
        experiment: record.experiment,
        variant: record.variant,
        seed: record.seed,
        definitionPath: definition,
        definitionSha256: sha256Hex(readFileSync(definition)),
        sets: [],
        definitionHash: record.definitionHash,
        backend: record.environment.backend,
        codeFingerprint: record.codeFingerprint!,
        code: { sources: {}, versions: {} },
        dataFingerprint: record.dataFingerprint,
        fresh: false,
      };
      return { record, files, job };
    };
    const refusalOf = async (value: unknown, job: RunJobData) => {
      const runs = mkdtempSync(join(dir, 'collect-'));
      const error = await rejectionOf(collectRun(runs, value, job, 'job-1'));
      expect(filesUnder(runs).size).toBe(0);
      return error.message;
    };

    it('the untouched result is written as a run folder', async () => {
      const { record, files, job } = returned();
      const runs = mkdtempSync(join(dir, 'collect-'));
      const { folder } = await collectRun(runs, { record, files }, job, 'job-1');
      expect(
        readFileSync(join(folder, 'weights.bin')).equals(readFileSync(join(local.get('adam/0')!, 'weights.bin'))),
      ).toBe(true);
    });

    it.each([
      ['experiment', (r: RunRecord) => ({ ...r, experiment: 'victim' }), 'experiment "victim" (submitted "queued")'],
      ['variant', (r: RunRecord) => ({ ...r, variant: 'sgd' }), 'variant "sgd" (submitted "adam")'],
      ['seed', (r: RunRecord) => ({ ...r, seed: 1 }), 'seed 1 (submitted 0)'],
      [
        'codeFingerprint',
        (r: RunRecord) => ({ ...r, codeFingerprint: 'c'.repeat(64) }),
        `codeFingerprint "${'c'.repeat(64)}" (submitted`,
      ],
      [
        'backend',
        (r: RunRecord) => ({ ...r, environment: { ...r.environment, backend: 'tensorflow' } }),
        'environment.backend "tensorflow" (submitted "cpu")',
      ],
      [
        'data',
        (r: RunRecord) => ({
          ...r,
          dataFingerprint: { ...r.dataFingerprint, [Object.keys(r.dataFingerprint)[0]!]: 'd'.repeat(64) },
        }),
        'dataFingerprint.',
      ],
    ])('a forged %s is refused naming it', async (_field, forge, expected) => {
      const { record, files, job } = returned();
      const message = await refusalOf({ record: forge(record), files }, job);
      expect(message).toContain('job job-1 returned a record that is not the run submitted: ');
      expect(message).toContain(expected);
    });

    it('settings changed with the settings hash left as submitted, and a changed model file, are refused', async () => {
      const { record, files, job } = returned();
      const settings = { ...record, definition: { ...(record.definition as object), seeds: [9] } };
      expect(await refusalOf({ record: settings, files }, job)).toMatch(
        /^job job-1 returned a record that is not the run submitted: definition \(its sha256 [0-9a-f]{12} is not the record's definitionHash [0-9a-f]{12}\)$/,
      );
      const weights = Buffer.from(files['weights.bin']!, 'base64');
      weights[0] = weights[0]! ^ 1;
      expect(await refusalOf({ record, files: { ...files, 'weights.bin': weights.toString('base64') } }, job)).toBe(
        "job job-1: model file weights.bin differs from the record's sha256 (damaged or forged)",
      );
    });
  });

  it('the password from $LOSSLAB_QUEUE_PASSWORD (worker) and --queue-password-file (submitter): no command line holds it (issue 22 case 16)', async () => {
    const bare = `redis://127.0.0.1:${port}/9`;
    const passwordFile = join(dir, 'queue-password');
    writeFileSync(passwordFile, `${PASSWORD}\n`, { mode: 0o600 });
    const w = losslab(
      'w9',
      ['worker', `--queue=${bare}`, `--runs-dir=${dir}/w9-runs`, '--name=w9', `--allow-definitions=${dir}`],
      ROOT,
      { LOSSLAB_QUEUE_PASSWORD: PASSWORD },
    );
    const sweep = losslab(
      'env-password',
      [
        'run',
        definition,
        `--queue=${bare}`,
        `--queue-password-file=${passwordFile}`,
        `--runs-dir=${dir}/env-password-runs`,
        `--reports-dir=${dir}/env-password-reports`,
        '--variant=adam',
        '--seeds=0',
      ],
      ROOT,
    );
    expect(await exitOf(sweep), sweep.output()).toBe(0);
    expect(sweep.output()).toMatch(/done adam s0 on w9 /);
    for (const p of [w, sweep]) {
      expect(p.child.spawnargs.join(' ')).not.toContain(PASSWORD);
      expect(p.output()).not.toContain(PASSWORD);
    }
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
