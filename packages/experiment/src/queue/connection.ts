import { readFileSync } from 'node:fs';

/** The connection settings a URL gives, as both ioredis and BullMQ take them. */
interface RedisTargetOptions {
  readonly host: string;
  readonly port: number;
  readonly db?: number;
  readonly username?: string;
  readonly password?: string;
  readonly tls?: { readonly servername: string };
}

/**
 * Where the run queue lives: a `redis://[user:password@]host[:port][/db]` or `rediss://…` (TLS)
 * URL, turned into ioredis options. The password goes into the options only; everything printed
 * uses `display`, which never contains it.
 */
export interface QueueTarget {
  /** The URL with its password replaced by `***`: the only form that is ever printed. */
  readonly display: string;
  readonly options: RedisTargetOptions;
  /** The password, kept so messages from Redis or ioredis can be scrubbed of it. */
  readonly secret?: string;
}

/** The environment variable a queue password may come from, so it is never only in the command line (visible in `ps`). */
export const QUEUE_PASSWORD_ENV = 'LOSSLAB_QUEUE_PASSWORD';

/** `decodeURIComponent`, or undefined for a malformed `%` escape (which it throws as "URI malformed"). */
function decoded(text: string): string | undefined {
  try {
    return decodeURIComponent(text);
  } catch {
    return undefined;
  }
}

/**
 * Parses `--queue=<url>`; returns a problem (never containing the password) when it is not a
 * redis:// or rediss:// URL with a host.
 *
 * @example parseQueueUrl('redis://:s3cret@10.0.0.5:6380/2') // { display: 'redis://:***@10.0.0.5:6380/2', options: { host: '10.0.0.5', port: 6380, db: 2, password: 's3cret' } }
 */
export function parseQueueUrl(text: string): { target?: QueueTarget; problem?: string } {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return { problem: '--queue: expected a URL such as redis://host:6379 or rediss://:password@host:6380/0' };
  }
  const secret = url.password === '' ? undefined : decoded(url.password);
  const username = url.username === '' ? undefined : decoded(url.username);
  if (url.password !== '') url.password = '***';
  const display = url.href;
  if ((url.password !== '' && secret === undefined) || (url.username !== '' && username === undefined))
    return {
      problem: `--queue: the user or password of ${display} holds a "%" that is not followed by two hex digits (write "%" as %25)`,
    };
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:')
    return { problem: `--queue: expected a redis:// or rediss:// URL, got ${display}` };
  if (url.hostname === '') return { problem: `--queue: the URL names no host: ${display}` };
  const dbText = url.pathname.replace(/^\//, '');
  if (dbText !== '' && !/^\d+$/.test(dbText))
    return { problem: `--queue: the path of the URL must be a database number, got "/${dbText}" in ${display}` };
  const options: RedisTargetOptions = {
    // An IPv6 host comes bracketed in URL.hostname; ioredis wants it bare.
    host: url.hostname.replace(/^\[(.*)\]$/, '$1'),
    port: url.port === '' ? 6379 : Number(url.port),
    ...(dbText === '' ? {} : { db: Number(dbText) }),
    ...(username === undefined ? {} : { username }),
    ...(secret === undefined ? {} : { password: secret }),
    ...(url.protocol === 'rediss:' ? { tls: { servername: url.hostname } } : {}),
  };
  return { target: { display, options, ...(secret === undefined ? {} : { secret }) } };
}

/**
 * The queue target with its password taken from where the user put it: the URL, else
 * `--queue-password-file` (its first line), else `$LOSSLAB_QUEUE_PASSWORD`. A password in both the
 * URL and a file is a problem (which one was meant?). Returns a problem naming the option, never the password.
 *
 * @example withQueuePassword(parseQueueUrl('redis://h').target!, undefined, { LOSSLAB_QUEUE_PASSWORD: 'pw' }).target?.options.password // 'pw'
 */
export function withQueuePassword(
  target: QueueTarget,
  passwordFile: string | undefined,
  env: Readonly<Record<string, string | undefined>>,
): { target?: QueueTarget; problem?: string } {
  let password: string | undefined;
  if (passwordFile !== undefined) {
    if (target.secret !== undefined)
      return {
        problem: `--queue-password-file: the URL ${target.display} already holds a password; give it in one place only`,
      };
    let text: string;
    try {
      text = readFileSync(passwordFile, 'utf8');
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? 'unreadable';
      return { problem: `--queue-password-file: cannot read ${passwordFile} (${code})` };
    }
    password = text.split(/\r?\n/)[0] ?? '';
    if (password === '')
      return { problem: `--queue-password-file: ${passwordFile} holds no password on its first line` };
  } else if (target.secret === undefined && env[QUEUE_PASSWORD_ENV] !== undefined && env[QUEUE_PASSWORD_ENV] !== '') {
    password = env[QUEUE_PASSWORD_ENV];
  }
  if (password === undefined) return { target };
  return { target: { ...target, options: { ...target.options, password }, secret: password } };
}

/** `text` with every occurrence of the target's password replaced by `***` (for error messages from Redis). */
export function scrub(target: QueueTarget, text: string | undefined): string {
  // BullMQ leaves a job's failedReason unset until it fails (a job handed back is delayed without one).
  if (text === undefined) return '';
  return target.secret === undefined || target.secret === '' ? text : text.replaceAll(target.secret, '***');
}

/**
 * Connects once, without retrying, and says why Redis cannot be used (unreachable, wrong
 * password), or undefined when it answers PING. Run before anything is enqueued or written.
 */
export async function redisProblem(target: QueueTarget, timeoutMs = 5000): Promise<string | undefined> {
  // Imported here: the command-line parser reads this file, and most commands never use Redis.
  const { Redis } = await import('ioredis');
  const client = new Redis({
    ...target.options,
    lazyConnect: true,
    connectTimeout: timeoutMs,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => null,
  });
  // The socket's error (ECONNREFUSED, a TLS failure) arrives as an event; connect() itself only
  // says "Connection is closed". Listening also keeps ioredis from printing "Unhandled error event".
  let socketError: Error | undefined;
  client.on('error', (error: Error) => (socketError ??= error));
  try {
    await client.connect();
    await client.ping();
    return undefined;
  } catch (error) {
    const reason = socketError?.message ?? (error instanceof Error ? error.message : String(error));
    return `cannot use the Redis queue at ${target.display}: ${scrub(target, reason)}`;
  } finally {
    client.disconnect();
  }
}
