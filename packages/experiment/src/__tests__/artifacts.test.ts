import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import * as E from 'fp-ts/lib/Either.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selectBackend, sha256Hex } from '@losslab/runtime';
import type { RunRecord } from '@losslab/schema';
import { rejectionOf } from '@losslab/test-utils';
import { resolveExperiment, runOne, type RunOutcome } from '../index.js';
import {
  checkInlineSize,
  openArtifactStore,
  parseArtifactsUrl,
  type ArtifactLocation,
  type ArtifactStore,
} from '../queue/artifacts.js';
import { collectRun } from '../queue/collect.js';
import type { RunJobData } from '../queue/job.js';
import { RECORD_PARTS } from '../store.js';
import { tinyMnistOdd } from './fixtures.js';
import { filesUnder } from './queue-processes.js';
import { startS3Endpoint, type S3Endpoint } from './s3-endpoint.js';

/**
 * The artifact store of queued sweeps (issue 30 item 1), on both backends: a shared folder and an
 * S3-compatible endpoint (in this process, see s3-endpoint.ts) reached through the AWS SDK with
 * credentials from the environment. A run returned by reference must be written exactly as the
 * local run, and one changed byte in the store must be refused naming the file and both hashes.
 */

const ACCESS_KEY = 'AKIALOSSLABTEST';
const AWS_ENV = {
  AWS_ACCESS_KEY_ID: ACCESS_KEY,
  AWS_SECRET_ACCESS_KEY: 'secret-for-the-test-endpoint',
  AWS_REGION: 'us-east-1',
  AWS_EC2_METADATA_DISABLED: 'true',
};

let root = '';
let run: RunOutcome;
let endpoint: S3Endpoint;
const savedEnv = new Map<string, string | undefined>();

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'losslab-artifacts-'));
  endpoint = await startS3Endpoint(ACCESS_KEY);
  for (const [name, value] of Object.entries({ ...AWS_ENV, AWS_ENDPOINT_URL_S3: endpoint.url })) {
    savedEnv.set(name, process.env[name]);
    process.env[name] = value;
  }
  const backend = await selectBackend({ requested: 'cpu' });
  const resolved = resolveExperiment(tinyMnistOdd(), 'fixture');
  if (E.isLeft(resolved)) throw new Error(resolved.left.problems.join('\n'));
  const outcome = await runOne(
    { definition: resolved.right.definition, variant: resolved.right.variants[0]!, seed: 0 },
    { runsDir: join(root, 'worker-runs'), backend, reuse: false },
  );
  if (E.isLeft(outcome)) throw new Error(outcome.left.message);
  run = outcome.right;
}, 60_000);

afterAll(async () => {
  for (const [name, value] of savedEnv)
    if (value === undefined) Reflect.deleteProperty(process.env, name);
    else process.env[name] = value;
  await endpoint.close();
  rmSync(root, { recursive: true, force: true });
});

describe('parseArtifactsUrl', () => {
  it('reads a shared folder and an S3 bucket with its prefix', () => {
    expect(parseArtifactsUrl('file:///mnt/shared/losslab').location).toEqual({
      kind: 'file',
      url: 'file:///mnt/shared/losslab',
      dir: '/mnt/shared/losslab',
    });
    expect(parseArtifactsUrl('s3://team-runs/losslab/sweeps/').location).toEqual({
      kind: 's3',
      url: 's3://team-runs/losslab/sweeps/',
      bucket: 'team-runs',
      prefix: 'losslab/sweeps',
    });
    expect(parseArtifactsUrl('s3://team-runs').location).toMatchObject({ bucket: 'team-runs', prefix: '' });
  });

  it('refuses credentials in the URL, another scheme, a file URL of another host, and no bucket', () => {
    expect(parseArtifactsUrl('s3://AKIA:secret@bucket/p').problem).toMatch(
      /^--artifacts: the URL may not hold credentials; S3 credentials come from the AWS environment/,
    );
    expect(parseArtifactsUrl('s3://AKIA:secret@bucket/p').problem).not.toContain('secret');
    expect(parseArtifactsUrl('http://host/x').problem).toBe(
      '--artifacts: expected a file:// or s3:// URL, got http: in "http://host/x"',
    );
    expect(parseArtifactsUrl('file://nas/x').problem).toBe(
      '--artifacts: a file:// URL names a path on this machine, not host "nas": file://nas/x',
    );
    expect(parseArtifactsUrl('not a url').problem).toMatch(/^--artifacts: expected file:\/\/\/absolute\/path/);
  });
});

describe('checkInlineSize: files through Redis without a store', () => {
  it('lets the limit itself pass and names total, largest file and the way out one byte beyond', () => {
    const files = new Map([
      ['weights.bin', new Uint8Array(700)],
      ['model.json', new Uint8Array(300)],
    ]);
    expect(() => checkInlineSize(files, 1000)).not.toThrow();
    expect(() => checkInlineSize(files, 999)).toThrow(
      "the run's files total 1000 bytes (largest weights.bin, 700 bytes), more than the 999 bytes a job may return through Redis; start the workers with --artifacts=",
    );
  });
});

/** Each backend: how to make it, and where a stored file's bytes are, to damage them. */
const backends: [string, () => { location: ArtifactLocation; damage: (sha256: string) => void }][] = [
  [
    'file://',
    () => {
      const dir = mkdtempSync(join(root, 'store-'));
      const location = parseArtifactsUrl(pathToFileURL(dir).href).location!;
      return {
        location,
        damage: (sha256) => {
          const path = join(dir, 'sha256', sha256.slice(0, 2), sha256);
          const bytes = readFileSync(path);
          bytes[0] = bytes[0]! ^ 1;
          writeFileSync(path, bytes);
        },
      };
    },
  ],
  [
    's3://',
    () => {
      const prefix = `p${Math.random().toString(36).slice(2, 8)}`;
      const location = parseArtifactsUrl(`s3://runs-bucket/${prefix}`).location!;
      return {
        location,
        damage: (sha256) => {
          const key = `/runs-bucket/${prefix}/sha256/${sha256.slice(0, 2)}/${sha256}`;
          const bytes = endpoint.objects.get(key)!;
          bytes[0] = bytes[0]! ^ 1;
        },
      };
    },
  ],
];

describe.each(backends)('the %s artifact store', (_name, make) => {
  /** The run as a worker with `store` returns it: model files by reference, the rest inline. */
  async function returnedThrough(store: ArtifactStore) {
    const record = JSON.parse(readFileSync(join(run.folder, 'record.json'), 'utf8')) as RunRecord;
    const files: Record<string, string> = {};
    const artifacts: Record<string, string> = {};
    for (const [name, bytes] of filesUnder(run.folder)) {
      if (RECORD_PARTS.has(name)) continue;
      if (name === 'started.json') files[name] = bytes.toString('base64');
      else {
        artifacts[name] = sha256Hex(bytes);
        await store.put(artifacts[name], bytes);
      }
    }
    const job: RunJobData = {
      schema: 'losslab.job/2',
      experiment: record.experiment,
      variant: record.variant,
      seed: record.seed,
      definitionPath: 'fixture.ts',
      definitionSha256: 'a'.repeat(64),
      sets: [],
      definitionHash: record.definitionHash,
      backend: record.environment.backend,
      codeFingerprint: record.codeFingerprint!,
      code: { sources: {}, versions: {} },
      dataFingerprint: record.dataFingerprint,
      fresh: false,
    };
    return { value: { record, files, artifacts }, artifacts, job };
  }

  it('keeps bytes under their sha256, once, and refuses a reference that is no sha256', async () => {
    const store = openArtifactStore(make().location);
    const bytes = Buffer.from('model bytes');
    const sha256 = sha256Hex(bytes);
    await store.put(sha256, bytes);
    await store.put(sha256, bytes);
    expect((await store.get(sha256)).equals(bytes)).toBe(true);
    expect((await rejectionOf(store.get('b'.repeat(64)))).message).toMatch(/not in the artifact store/);
    expect((await rejectionOf(store.get('../../../etc/passwd'))).message).toBe(
      'artifact reference "../../../etc/passwd" is not a sha256 (64 lowercase hex digits)',
    );
  });

  it('a run returned by reference is written byte for byte as the worker wrote it', async () => {
    const store = openArtifactStore(make().location);
    const { value, artifacts, job } = await returnedThrough(store);
    // the model's files always go by reference, and nothing of 16 KB or more travels inline
    expect(Object.keys(artifacts)).toEqual(expect.arrayContaining(['model.json', 'weights.bin']));
    for (const [path, base64] of Object.entries(value.files))
      expect(Buffer.from(base64, 'base64').byteLength, path).toBeLessThan(16 * 1024);
    const runs = mkdtempSync(join(root, 'collect-'));
    const { folder } = await collectRun(runs, value, job, 'job-1', store);
    const written = filesUnder(folder);
    const original = filesUnder(run.folder);
    expect([...written.keys()].sort()).toEqual([...original.keys()].sort());
    for (const [name, bytes] of original) expect(written.get(name)?.equals(bytes), name).toBe(true);
  });

  it('one byte changed in the store is refused naming the file and both hashes; nothing is written', async () => {
    const { location, damage } = make();
    const store = openArtifactStore(location);
    const { value, artifacts, job } = await returnedThrough(store);
    damage(artifacts['weights.bin']!);
    const damaged = await store.get(artifacts['weights.bin']!);
    const runs = mkdtempSync(join(root, 'collect-'));
    const error = await rejectionOf(collectRun(runs, value, job, 'job-1', store));
    expect(error.message).toBe(
      `job job-1: artifact weights.bin from ${location.url} has sha256 ${sha256Hex(damaged)}, expected ${artifacts['weights.bin']} (damaged or forged); nothing written`,
    );
    expect(filesUnder(runs).size).toBe(0);
  });

  it("a reference other than the record's sha256 (another run's model) is refused before anything is fetched", async () => {
    const store = openArtifactStore(make().location);
    const { value, artifacts, job } = await returnedThrough(store);
    const other = Buffer.from('another model');
    await store.put(sha256Hex(other), other);
    const forged = { ...value, artifacts: { ...artifacts, 'weights.bin': sha256Hex(other) } };
    const runs = mkdtempSync(join(root, 'collect-'));
    expect((await rejectionOf(collectRun(runs, forged, job, 'job-1', store))).message).toBe(
      `job job-1: artifact weights.bin is referenced as sha256 ${sha256Hex(other)}, the record says ${artifacts['weights.bin']} (damaged or forged); nothing written`,
    );
    expect(filesUnder(runs).size).toBe(0);
  });

  it('a submitter without --artifacts says so instead of writing a run without its model', async () => {
    const store = openArtifactStore(make().location);
    const { value, artifacts, job } = await returnedThrough(store);
    const runs = mkdtempSync(join(root, 'collect-'));
    expect(Object.keys(artifacts)).toEqual(expect.arrayContaining(['model.json', 'weights.bin']));
    expect((await rejectionOf(collectRun(runs, value, job, 'job-1'))).message).toBe(
      `job job-1 returned its files (${Object.keys(artifacts).sort().join(', ')}) in the workers' artifact store; give this command the same --artifacts as the workers`,
    );
  });
});

it('the S3 backend signed every request with the access key from the environment', () => {
  expect(endpoint.requests.length).toBeGreaterThan(0);
  expect(endpoint.requests.some((r) => r.startsWith('PUT /runs-bucket/p'))).toBe(true);
});
