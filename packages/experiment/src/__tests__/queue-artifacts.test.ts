import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashOf } from '@losslab/runtime';
import { EVENTS_KEPT } from '../queue/sweep.js';
import {
  exitOf,
  filesUnder,
  killGroup,
  losslab,
  REDIS_SERVER,
  redisCheck,
  runFolders,
  scratchDir,
  startRedis,
  stopAll,
  waitFor,
  type Started,
} from './queue-processes.js';

/**
 * A sweep of many tiny runs through Redis with a shared-folder artifact store (issue 30 items 1
 * and 2): the runs folder equals a local run's, no model byte crosses Redis, and once the sweep
 * is collected Redis holds no job and grows by less than 1 MB.
 */

const ROOT = resolve(fileURLToPath(import.meta.url), '../../../../..');
const PASSWORD = 'pw-artifacts-Kq2';
const SEEDS = Array.from({ length: 24 }, (_, seed) => seed).join(',');
const mode = redisCheck(process.env, existsSync(REDIS_SERVER));

/** A definition on a 40-row CSV file: a run trains in milliseconds, so the sweep measures the queue. */
function writeTinyDefinition(dir: string): string {
  const rows = Array.from({ length: 40 }, (_, i) => `${(i % 7) / 7},${(i % 3) / 3},${i % 2 === 0 ? 'rest' : 'move'}`);
  writeFileSync(join(dir, 'rows.csv'), `a,b,kind\n${rows.join('\n')}\n`);
  const file = join(dir, 'tiny.ts');
  writeFileSync(
    file,
    `import { adam, categoricalCrossentropy, classification, csv, defineExperiment, mlp, oneHot } from '@losslab/experiment';

export default defineExperiment({
  name: 'tiny-sweep',
  description: 'many tiny runs through the queue',
  data: csv({ splits: { train: 'rows.csv' }, features: ['a', 'b'], label: 'kind', classNames: ['rest', 'move'] }),
  labels: { kind: oneHot(['rest', 'move']) },
  model: mlp({ hidden: [{ units: 4, activation: 'relu' }], output: { units: 2, activation: 'softmax' } }),
  loss: categoricalCrossentropy(),
  optimizer: adam(),
  train: { epochs: 1, batchSize: 8 },
  evaluation: classification({ split: 'train', target: 'kind' }),
  seeds: [0],
  variants: { base: {} },
});
`,
  );
  return file;
}

describe.skipIf(mode === 'skip')('a sweep with --artifacts=file://', () => {
  let dir = '';
  let port = 0;
  let definition = '';
  const url = (db: number) => `redis://:${PASSWORD}@127.0.0.1:${port}/${db}`;

  beforeAll(async () => {
    if (mode === 'fail') throw new Error(`${REDIS_SERVER} not found and LOSSLAB_REQUIRE_REDIS=1`);
    dir = scratchDir();
    definition = writeTinyDefinition(mkdtempSync(join(dir, 'def-')));
    ({ port } = await startRedis(PASSWORD, dir));
  }, 30_000);

  afterAll(async () => {
    await stopAll();
    if (dir !== '') rmSync(dir, { recursive: true, force: true });
  }, 30_000);

  it('24 runs: the runs folder equals a local run, models only in the store, Redis keeps no job and grows < 1 MB', async () => {
    const store = pathToFileURL(join(dir, 'store')).href;
    const workers: Started[] = ['a1', 'a2'].map((name) =>
      losslab(
        name,
        [
          'worker',
          `--queue=${url(1)}`,
          `--runs-dir=${dir}/${name}-runs`,
          `--name=${name}`,
          `--allow-definitions=${dir}`,
          `--artifacts=${store}`,
        ],
        ROOT,
      ),
    );
    // The local reference runs meanwhile, in its own process.
    const local = losslab(
      'local',
      ['run', definition, `--seeds=${SEEDS}`, `--runs-dir=${dir}/local`, `--reports-dir=${dir}/local-reports`],
      ROOT,
    );
    const redis = new Redis({ host: '127.0.0.1', port, db: 1, password: PASSWORD });
    try {
      const usedMemory = async () => Number(/used_memory:(\d+)/.exec(await redis.info('memory'))![1]);
      for (const w of workers) await waitFor(w, /^losslab worker /m);
      const before = await usedMemory();
      const sweep = losslab(
        'sweep',
        [
          'run',
          definition,
          `--seeds=${SEEDS}`,
          `--queue=${url(1)}`,
          `--artifacts=${store}`,
          `--runs-dir=${dir}/sweep-runs`,
          `--reports-dir=${dir}/sweep-reports`,
        ],
        ROOT,
      );
      // A job waiting in the queue carries the code fingerprint, not the code map.
      const [, lastId] = await waitFor(sweep, /queued base s23 \(job (\S+)\)/);
      const waiting = await redis.hget(`bull:losslab-runs:${lastId!}`, 'data');
      if (waiting !== null) expect(Object.keys(JSON.parse(waiting) as object)).not.toContain('code');
      expect(await exitOf(sweep), sweep.output()).toBe(0);
      expect(sweep.output()).toContain('24/24 run(s) complete');
      const after = await usedMemory();
      const keys = await redis.keys('*');
      const sizes = await Promise.all(
        keys.map(async (key) => `${key} ${String(await redis.call('MEMORY', 'USAGE', key))}`),
      );
      console.log(`Redis keys after the sweep (bytes): ${sizes.join(', ')}`);
      const jobKeys = (await redis.keys('bull:losslab-runs:tiny-sweep.*')).length;
      const eventsKept = await redis.hget('bull:losslab-runs:meta', 'opts.maxLenEvents');
      const scripts = /used_memory_scripts:(\d+)/.exec(await redis.info('memory'))?.[1];
      console.log(
        `Redis used_memory ${before} → ${after} bytes after 24 runs (${after - before} bytes; Lua scripts ${scripts} bytes), job keys left ${jobKeys}`,
      );
      // Every collected job was removed, the event stream is capped, and what is left is small.
      expect(jobKeys).toBe(0);
      expect(eventsKept).toBe(String(EVENTS_KEPT));
      expect(after - before).toBeLessThan(1024 * 1024);
    } finally {
      redis.disconnect();
    }
    expect(await exitOf(local), local.output()).toBe(0);
    workers.forEach((w) => killGroup(w, 'SIGTERM'));
    for (const w of workers) expect(await exitOf(w, 60_000), w.output()).toBe(0);

    const here = runFolders(join(dir, 'local'), 'tiny-sweep');
    const there = runFolders(join(dir, 'sweep-runs'), 'tiny-sweep');
    expect(there.size).toBe(24);
    expect([...there.keys()].sort()).toEqual([...here.keys()].sort());
    for (const [key, folder] of there) {
      const a = filesUnder(here.get(key)!);
      const b = filesUnder(folder);
      expect([...b.keys()].sort(), key).toEqual([...a.keys()].sort());
      // As queue.test.ts compares: model.json holds TF.js layer names, numbered per process.
      for (const name of ['evaluation.json', 'weights.bin'])
        expect(b.get(name)?.equals(a.get(name)!), `${key} ${name}`).toBe(true);
      const losses = (files: Map<string, Buffer>) =>
        (JSON.parse(files.get('history.json')!.toString()) as { loss: number }[]).map((e) => e.loss);
      expect(losses(b), key).toEqual(losses(a));
    }
    // What every job shares is stored once: the code map, under the code fingerprint it hashes to.
    const fingerprint = (
      JSON.parse(readFileSync(join(there.get('base/0')!, 'record.json'), 'utf8')) as {
        codeFingerprint: string;
      }
    ).codeFingerprint;
    const codeMap = readFileSync(join(dir, 'store', 'sha256', fingerprint.slice(0, 2), fingerprint));
    expect(hashOf(JSON.parse(codeMap.toString('utf8')))).toBe(fingerprint);
    // Each model file is in the store once, under its sha256.
    const stored = readdirSync(join(dir, 'store', 'sha256'), { recursive: true }).filter((p) =>
      /[0-9a-f]{64}$/.test(String(p)),
    );
    expect(stored.length).toBeGreaterThanOrEqual(24);
  }, 180_000);
});
