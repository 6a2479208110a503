import { existsSync } from 'node:fs';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { S3Client } from '@aws-sdk/client-s3';
import { readRunFile } from '../run-files.js';

/**
 * Where workers put the large files of a run (its model) so that only the record and references
 * cross Redis: a content-addressed store, each file kept under the sha256 of its bytes. A
 * reference is nothing but that sha256, so a worker (or anyone with access to Redis) can name no
 * place outside the store the submitter gave; the submitter checks the bytes it fetches against
 * the reference and the record before writing them.
 */

/** Where an artifact store lies, as `--artifacts=file:///path` or `--artifacts=s3://bucket/prefix` gives it. */
export type ArtifactLocation =
  | { readonly kind: 'file'; readonly url: string; readonly dir: string }
  | { readonly kind: 's3'; readonly url: string; readonly bucket: string; readonly prefix: string };

/** The two operations a backend offers; everything else (checks, layout of a run folder) is the caller's. */
export interface ArtifactStore {
  /** The store's URL, as printed. */
  readonly url: string;
  /** Keeps `bytes` under `sha256` (the caller's hash of them); storing the same file again is a no-op. */
  put(sha256: string, bytes: Uint8Array): Promise<void>;
  /** The bytes kept under `sha256`, as stored: the caller checks them. Throws naming the key when absent. */
  get(sha256: string): Promise<Buffer>;
}

const SHA256 = /^[0-9a-f]{64}$/;

/** The store-relative key of a file: `sha256/ab/abcdef…` (two-letter fan-out, as git and MLflow's file store do). */
function keyOf(sha256: string): string {
  // A reference comes from Redis: only a well-formed hash may become part of a path or key.
  if (!SHA256.test(sha256)) throw new Error(`artifact reference "${sha256}" is not a sha256 (64 lowercase hex digits)`);
  return `sha256/${sha256.slice(0, 2)}/${sha256}`;
}

/**
 * Parses `--artifacts=URL`: `file:///shared/losslab` (an absolute path, e.g. on NFS) or
 * `s3://bucket[/prefix]` (credentials, region and endpoint from the standard AWS environment and
 * config files, never from the URL).
 *
 * @example parseArtifactsUrl('s3://team-runs/losslab').location // { kind: 's3', bucket: 'team-runs', prefix: 'losslab', … }
 */
export function parseArtifactsUrl(text: string): { location?: ArtifactLocation; problem?: string } {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return { problem: `--artifacts: expected file:///absolute/path or s3://bucket/prefix, got "${text}"` };
  }
  if (url.username !== '' || url.password !== '')
    return {
      problem:
        '--artifacts: the URL may not hold credentials; S3 credentials come from the AWS environment (AWS_ACCESS_KEY_ID, AWS_PROFILE, …)',
    };
  if (url.protocol === 'file:') {
    if (url.host !== '' && url.host !== 'localhost')
      return { problem: `--artifacts: a file:// URL names a path on this machine, not host "${url.host}": ${text}` };
    return { location: { kind: 'file', url: url.href, dir: resolve(fileURLToPath(url)) } };
  }
  if (url.protocol === 's3:') {
    if (url.hostname === '') return { problem: `--artifacts: the URL names no bucket: ${text}` };
    const prefix = url.pathname.replace(/^\/+|\/+$/g, '');
    return { location: { kind: 's3', url: text, bucket: url.hostname, prefix } };
  }
  return { problem: `--artifacts: expected a file:// or s3:// URL, got ${url.protocol} in "${text}"` };
}

/** A folder (shared between machines, e.g. NFS); files are written under a temporary name and renamed. */
function fileStore(location: Extract<ArtifactLocation, { kind: 'file' }>): ArtifactStore {
  return {
    url: location.url,
    async put(sha256, bytes) {
      const path = join(location.dir, keyOf(sha256));
      if (existsSync(path)) return;
      await mkdir(dirname(path), { recursive: true });
      const incoming = `${path}.${process.pid}.incoming`;
      await writeFile(incoming, bytes);
      await rename(incoming, path).catch(async (error: unknown) => {
        await rm(incoming, { force: true });
        throw error;
      });
    },
    async get(sha256) {
      const path = join(location.dir, keyOf(sha256));
      try {
        return await readRunFile(path);
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        throw new Error(
          code === 'ENOENT' ? `${path}: not in the artifact store ${location.url}` : (error as Error).message,
          { cause: error },
        );
      }
    },
  };
}

/** An S3 bucket, or an S3-compatible server (MinIO, Ceph) named by `AWS_ENDPOINT_URL_S3`/`AWS_ENDPOINT_URL`. */
function s3Store(location: Extract<ArtifactLocation, { kind: 's3' }>): ArtifactStore {
  let connection: Promise<{ sdk: typeof import('@aws-sdk/client-s3'); client: S3Client }> | undefined;
  // The AWS SDK is loaded on first use only: a worker with a shared folder never pays for it.
  const connect = () =>
    (connection ??= import('@aws-sdk/client-s3').then((sdk) => {
      const customEndpoint = (process.env.AWS_ENDPOINT_URL_S3 ?? process.env.AWS_ENDPOINT_URL ?? '') !== '';
      const client = new sdk.S3Client({
        // S3-compatible servers are addressed by path (http://host:9000/bucket/key), AWS by virtual host.
        forcePathStyle: customEndpoint,
        // Checksums only where S3 requires them: many S3-compatible servers reject the newer trailers.
        requestChecksumCalculation: 'WHEN_REQUIRED',
        responseChecksumValidation: 'WHEN_REQUIRED',
      });
      return { sdk, client };
    }));
  const keyIn = (sha256: string) => (location.prefix === '' ? keyOf(sha256) : `${location.prefix}/${keyOf(sha256)}`);
  const where = (sha256: string) => `s3://${location.bucket}/${keyIn(sha256)}`;
  const failure = (sha256: string, error: unknown, doing = '') =>
    new Error(`${where(sha256)}: ${doing}${(error as Error).name}: ${(error as Error).message}`, { cause: error });
  return {
    url: location.url,
    async put(sha256, bytes) {
      const Key = keyIn(sha256);
      const { sdk, client } = await connect();
      const present = await client.send(new sdk.HeadObjectCommand({ Bucket: location.bucket, Key })).then(
        () => true,
        (error: unknown) => {
          if ((error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 404) return false;
          throw failure(sha256, error);
        },
      );
      if (present) return;
      await client
        .send(new sdk.PutObjectCommand({ Bucket: location.bucket, Key, Body: bytes }))
        .catch((error: unknown) => {
          throw failure(sha256, error, 'cannot store it: ');
        });
    },
    async get(sha256) {
      const Key = keyIn(sha256);
      const { sdk, client } = await connect();
      try {
        const answer = await client.send(new sdk.GetObjectCommand({ Bucket: location.bucket, Key }));
        if (answer.Body === undefined) throw new Error('the answer has no body');
        return Buffer.from(await answer.Body.transformToByteArray());
      } catch (error) {
        if ((error as Error).name === 'NoSuchKey')
          throw new Error(`${where(sha256)}: not in the artifact store`, { cause: error });
        throw failure(sha256, error);
      }
    },
  };
}

/** The store at `location`. */
export const openArtifactStore = (location: ArtifactLocation): ArtifactStore =>
  location.kind === 'file' ? fileStore(location) : s3Store(location);

/** Set by `losslab worker --artifacts` for its sandboxed children: the store's URL. */
export const WORKER_ARTIFACTS_ENV = 'LOSSLAB_WORKER_ARTIFACTS';

/**
 * How many bytes of run files a job may return through Redis without an artifact store (before
 * base64): the model of a small network (an MNIST MLP of 25,450 parameters is about 100 KB) fits;
 * beyond it the worker asks for `--artifacts`, so Redis never holds large models.
 */
const INLINE_FILES_LIMIT_BYTES = 1024 * 1024;

/**
 * Checks that files returned inline stay within {@link INLINE_FILES_LIMIT_BYTES}; the message
 * beyond it names the total, the limit, the largest file and the way out.
 */
export function checkInlineSize(files: ReadonlyMap<string, Uint8Array>, limit = INLINE_FILES_LIMIT_BYTES): void {
  const total = [...files.values()].reduce((sum, bytes) => sum + bytes.byteLength, 0);
  if (total <= limit) return;
  const [largest, bytes] = [...files].sort((a, b) => b[1].byteLength - a[1].byteLength)[0]!;
  throw new Error(
    `the run's files total ${total} bytes (largest ${largest}, ${bytes.byteLength} bytes), more than the ${limit} bytes a job may return through Redis; start the workers with --artifacts=file:///shared/path or --artifacts=s3://bucket/prefix and give the submitter the same --artifacts`,
  );
}
