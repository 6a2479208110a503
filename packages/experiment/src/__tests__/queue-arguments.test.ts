import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { main } from '../cli.js';
import { parseRunArguments, parseWorkerArguments } from '../command-options.js';
import { parseQueueUrl, scrub } from '../queue/connection.js';
import { codeDifferences, runJobId, type RunJobData } from '../queue/job.js';

describe('parseQueueUrl', () => {
  it('takes host, port, database, user and password; prints the URL with the password as ***', () => {
    const { target } = parseQueueUrl('redis://team:s3cr%40t@10.0.0.5:6380/2');
    expect(target?.options).toEqual({ host: '10.0.0.5', port: 6380, db: 2, username: 'team', password: 's3cr@t' });
    expect(target?.display).toBe('redis://team:***@10.0.0.5:6380/2');
    expect(target?.display).not.toContain('s3cr');
    expect(scrub(target!, 'WRONGPASS for s3cr@t')).toBe('WRONGPASS for ***');
  });

  it('defaults to port 6379 and no database; rediss:// turns TLS on', () => {
    expect(parseQueueUrl('redis://localhost').target?.options).toEqual({ host: 'localhost', port: 6379 });
    expect(parseQueueUrl('rediss://:pw@redis.example:6380').target?.options).toEqual({
      host: 'redis.example',
      port: 6380,
      password: 'pw',
      tls: { servername: 'redis.example' },
    });
  });

  it('names what is wrong, without the password', () => {
    expect(parseQueueUrl('localhost:6379').problem).toBe(
      '--queue: expected a redis:// or rediss:// URL, got localhost:6379',
    );
    expect(parseQueueUrl('http://:pw@host').problem).toBe(
      '--queue: expected a redis:// or rediss:// URL, got http://:***@host/',
    );
    expect(parseQueueUrl('redis://:pw@host/abc').problem).toBe(
      '--queue: the path of the URL must be a database number, got "/abc" in redis://:***@host/abc',
    );
    expect(parseQueueUrl('not a url').problem).toMatch(/^--queue: expected a URL such as redis:\/\/host:6379/);
  });
});

describe('the queue password', () => {
  const dir = mkdtempSync(join(tmpdir(), 'losslab-password-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('a "%" not followed by two hex digits in the URL: a problem naming --queue, the password hidden (issue 22 case 24)', () => {
    const problem =
      '--queue: the user or password of redis://:***@h:6379/0 holds a "%" that is not followed by two hex digits (write "%" as %25)';
    expect(parseQueueUrl('redis://:pa%zzss@h:6379/0').problem).toBe(problem);
    expect(parseRunArguments(['d.ts', '--queue=redis://:pa%zzss@h:6379/0']).problems).toEqual([problem]);
    expect(parseWorkerArguments(['--queue=redis://:pa%zzss@h:6379/0']).problems).toEqual([problem]);
    expect(parseQueueUrl('redis://us%4@h').problem).toMatch(
      /^--queue: the user or password of redis:\/\/us%4@h\/? holds a "%"/,
    );
  });

  it('losslab run and worker with such a URL exit 2 with that one message, the password never shown', async () => {
    const errors = vi.spyOn(console, 'error').mockImplementation(() => {});
    try {
      for (const argv of [
        ['run', 'd.ts', '--queue=redis://:s3cr%zzt@h:6379/0'],
        ['worker', '--queue=redis://:s3cr%zzt@h:6379/0'],
      ]) {
        errors.mockClear();
        expect(await main(argv)).toBe(2);
        const printed = errors.mock.calls.map((call) => call.join(' ')).join('\n');
        expect(printed).toContain('error: --queue: the user or password of redis://:***@h:6379/0 holds a "%"');
        expect(printed).not.toContain('s3cr');
      }
    } finally {
      errors.mockRestore();
    }
  });

  it('comes from $LOSSLAB_QUEUE_PASSWORD or the first line of --queue-password-file, so --queue needs none (issue 22 case 16)', () => {
    const env = { LOSSLAB_QUEUE_PASSWORD: 'from-env' };
    const fromEnv = parseWorkerArguments(['--queue=redis://h:7/1'], env).options?.target;
    expect(fromEnv?.options).toEqual({ host: 'h', port: 7, db: 1, password: 'from-env' });
    expect(fromEnv?.display).toBe('redis://h:7/1');
    expect(scrub(fromEnv!, 'WRONGPASS from-env')).toBe('WRONGPASS ***');
    const file = join(dir, 'password');
    writeFileSync(file, 'from-file\nignored second line\n');
    const fromFile = parseRunArguments(['d.ts', '--queue=redis://h:7/1', `--queue-password-file=${file}`], env).options;
    expect(fromFile?.queue?.options.password).toBe('from-file');
    expect(scrub(fromFile!.queue!, 'x from-file y')).toBe('x *** y');
    // The URL's own password wins over the environment's.
    expect(parseWorkerArguments(['--queue=redis://:in-url@h'], env).options?.target.options.password).toBe('in-url');
    expect(parseWorkerArguments(['--queue=redis://h']).options?.target.options.password).toBeUndefined();
  });

  it('a password file that is missing, empty, given twice or without --queue is a problem naming the option', () => {
    const empty = join(dir, 'empty');
    writeFileSync(empty, '\n');
    const missing = join(dir, 'missing');
    expect(parseWorkerArguments(['--queue=redis://h', `--queue-password-file=${missing}`], {}).problems).toEqual([
      `--queue-password-file: cannot read ${missing} (ENOENT)`,
    ]);
    expect(parseWorkerArguments(['--queue=redis://h', `--queue-password-file=${empty}`], {}).problems).toEqual([
      `--queue-password-file: ${empty} holds no password on its first line`,
    ]);
    expect(parseWorkerArguments(['--queue=redis://:pw@h', `--queue-password-file=${empty}`], {}).problems).toEqual([
      '--queue-password-file: the URL redis://:***@h already holds a password; give it in one place only',
    ]);
    expect(parseRunArguments(['d.ts', `--queue-password-file=${empty}`], {}).problems).toEqual([
      '--queue-password-file: given without --queue',
    ]);
  });
});

describe('worker --allow-definitions', () => {
  it('is repeatable and must name folders', () => {
    const here = resolve(fileURLToPath(import.meta.url), '..');
    const parsed = parseWorkerArguments(
      ['--queue=redis://h', `--allow-definitions=${here}`, '--allow-definitions=/'],
      {},
    );
    expect(parsed.options?.allowDefinitions).toEqual([here, '/']);
    expect(parseWorkerArguments(['--queue=redis://h', '--allow-definitions=/no/such/folder'], {}).problems).toEqual([
      '--allow-definitions: /no/such/folder is not a folder',
    ]);
  });
});

describe('run --queue and worker arguments', () => {
  it('run: --queue is parsed and checked with the other options, --attempts defaults to 2', () => {
    const options = parseRunArguments(['d.ts', '--queue=redis://:pw@h:1/3', '--attempts=4']).options;
    expect(options?.queue?.display).toBe('redis://:***@h:1/3');
    expect(options?.attempts).toBe(4);
    expect(parseRunArguments(['d.ts']).options?.attempts).toBe(2);
    expect(parseRunArguments(['d.ts', '--queue=tcp://:pw@h', '--attempts=0']).problems).toEqual([
      '--queue: expected a redis:// or rediss:// URL, got tcp://:***@h',
      '--attempts: expected a positive integer, got "0"',
    ]);
  });

  it('worker: --queue is required; concurrency, runs folder, lock and name have defaults', () => {
    const { options } = parseWorkerArguments(['--queue', 'redis://h:7/1', '--concurrency=3', '--name=gpu-box']);
    expect(options).toMatchObject({ concurrency: 3, runsDir: 'runs', lockDurationMs: 30_000, name: 'gpu-box' });
    expect(options?.target.options).toEqual({ host: 'h', port: 7, db: 1 });
    expect(parseWorkerArguments(['--concurrency=0', 'extra', '--colour=red']).problems).toEqual([
      '--concurrency: expected a positive integer, got "0"',
      'extra: unexpected argument (losslab worker takes only options)',
      '--colour: unknown option (known: --queue, --queue-password-file, --artifacts, --allow-definitions, --concurrency, --runs-dir, --lock-duration, --name, --help)',
      '--queue: expected the Redis URL of the run queue',
    ]);
  });
});

describe('run jobs', () => {
  const data: RunJobData = {
    schema: 'losslab.job/2',
    experiment: 'blink',
    variant: 'class-weighted',
    seed: 2,
    definitionPath: 'experiments/blink.ts',
    definitionSha256: 'f'.repeat(64),
    sets: [],
    definitionHash: 'a'.repeat(64),
    backend: 'wasm',
    codeFingerprint: 'c'.repeat(64),
    code: { sources: {}, versions: {} },
    dataFingerprint: { 'train.csv': 'd'.repeat(64) },
    fresh: false,
  };

  it('a job id names the run, is the same for the same run, differs with its settings, code or data, and holds no ":"', () => {
    const id = runJobId(data);
    expect(id).toMatch(/^blink\.class-weighted\.s2\.aaaaaaaaaaaa\.wasm\.cccccccccccc\.[0-9a-f]{8}$/);
    expect(runJobId({ ...data })).toBe(id);
    expect(runJobId({ ...data, seed: 3 })).not.toBe(id);
    expect(runJobId({ ...data, definitionHash: `${'a'.repeat(12)}${'b'.repeat(52)}` })).not.toBe(id);
    expect(runJobId({ ...data, dataFingerprint: { 'train.csv': 'e'.repeat(64) } })).not.toBe(id);
    expect(runJobId({ ...data, definitionSha256: 'e'.repeat(64) })).not.toBe(id);
    expect(runJobId({ ...data, fresh: true })).toBe(id);
  });

  it('code differences name the source file, package version or user kind file', () => {
    expect(
      codeDifferences(
        { sources: { 'a.ts': '1', 'b.ts': '2' }, versions: { tf: '4.22.0' }, userSources: { '/u/loss.ts': '9' } },
        { sources: { 'a.ts': '1', 'b.ts': '3' }, versions: { tf: '4.21.0' } },
      ),
    ).toEqual([
      'source b.ts (here 2, submitted 3)',
      'package tf (here 4.22.0, submitted 4.21.0)',
      'user kind file /u/loss.ts (here 9, submitted absent)',
    ]);
  });
});

describe('--artifacts (issue 30)', () => {
  it('worker and run take a file:// or s3:// store; run needs --queue for it; a bad URL is a problem naming the option', () => {
    const worker = parseWorkerArguments(['--queue=redis://h', '--artifacts=file:///mnt/shared/losslab']).options;
    expect(worker?.artifacts).toEqual({ kind: 'file', url: 'file:///mnt/shared/losslab', dir: '/mnt/shared/losslab' });
    expect(parseWorkerArguments(['--queue=redis://h']).options?.artifacts).toBeUndefined();
    const run = parseRunArguments(['d.ts', '--queue=redis://h', '--artifacts=s3://team/sweeps']).options;
    expect(run?.artifacts).toMatchObject({ kind: 's3', bucket: 'team', prefix: 'sweeps' });
    expect(parseRunArguments(['d.ts', '--artifacts=file:///x']).problems).toEqual([
      '--artifacts: given without --queue',
    ]);
    expect(parseWorkerArguments(['--queue=redis://h', '--artifacts=ftp://x/y']).problems).toEqual([
      '--artifacts: expected a file:// or s3:// URL, got ftp: in "ftp://x/y"',
    ]);
  });
});

describe('the README section "Run a sweep on several machines"', () => {
  const root = resolve(fileURLToPath(import.meta.url), '../../../../..');
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## Run a sweep on several machines'));
  const commands = [...section.slice(0, section.indexOf('\n## ', 5)).matchAll(/```sh\n([\s\S]*?)```/g)]
    .flatMap((block) => (block[1] ?? '').trim().split('\n'))
    .map((line) => line.trim().replaceAll('$LOSSLAB_QUEUE_PASSWORD', 'pw').replaceAll('"', '').split(/\s+/));

  it('shows redis-server with the flags queue.test.ts starts it with, and a worker and a run that parse with the password from the environment', () => {
    const [redis, worker, run] = commands;
    expect(commands).toHaveLength(3);
    expect(redis?.filter((word) => word.startsWith('--'))).toEqual([
      '--port',
      '--bind',
      '--save',
      '--appendonly',
      '--requirepass',
    ]);
    expect(worker?.slice(0, 3)).toEqual(['npx', 'losslab', 'worker']);
    const env = { LOSSLAB_QUEUE_PASSWORD: 'pw' };
    expect(parseWorkerArguments(worker?.slice(3) ?? [], env).problems).toEqual([]);
    expect(parseWorkerArguments(worker?.slice(3) ?? [], env).options?.target.options.password).toBe('pw');
    // The URLs shown carry no password: it never has to be typed on a command line.
    expect(commands.flat().filter((word) => word.startsWith('--queue='))).toEqual([
      '--queue=redis://10.0.0.5:6379/0',
      '--queue=redis://10.0.0.5:6379/0',
    ]);
    expect(run?.slice(0, 3)).toEqual(['npx', 'losslab', 'run']);
    const parsed = parseRunArguments(run?.slice(3) ?? [], env);
    expect(parsed.problems).toEqual([]);
    expect(parsed.options?.queue?.display).toBe('redis://10.0.0.5:6379/0');
    expect(parsed.options?.queue?.options.password).toBe('pw');
    // Both sides name the same artifact store.
    expect(parsed.options?.artifacts?.url).toBe('file:///mnt/shared/losslab');
    expect(parseWorkerArguments(worker?.slice(3) ?? [], env).options?.artifacts?.url).toBe(
      parsed.options?.artifacts?.url,
    );
  });
});
