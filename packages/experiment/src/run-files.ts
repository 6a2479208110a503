import { constants, existsSync, readFileSync } from 'node:fs';
import { access, lstat, mkdir, open } from 'node:fs/promises';
import { dirname } from 'node:path';

/**
 * Reading and creating the files of a run folder without trusting what is there: a run file is
 * read only when it is a regular file (losslab never writes a symbolic link, so one was planted),
 * and a folder that cannot be written is reported as read-only, naming it.
 */

/** Node's flag that makes `open` fail on a symbolic link (absent on Windows, where `lstat` alone guards). */
const NO_FOLLOW = (constants as { O_NOFOLLOW?: number }).O_NOFOLLOW ?? 0;

const notRegular = (path: string, what: string): Error =>
  new Error(`${path}: is ${what}; losslab reads only regular files in a run folder`);

/**
 * The bytes of a run file, refusing a symbolic link or anything but a regular file, by name.
 *
 * @example const text = (await readRunFile('runs/mnist-odd/<run-id>/record.json')).toString('utf8');
 */
export async function readRunFile(path: string): Promise<Buffer> {
  const link = await lstat(path);
  if (link.isSymbolicLink()) throw notRegular(path, 'a symbolic link');
  // O_NOFOLLOW: a link put in its place after the lstat is refused too (ELOOP)
  const handle = await open(path, constants.O_RDONLY | NO_FOLLOW).catch((error: unknown) => {
    throw (error as NodeJS.ErrnoException).code === 'ELOOP' ? notRegular(path, 'a symbolic link') : error;
  });
  try {
    if (!(await handle.stat()).isFile()) throw notRegular(path, 'not a regular file');
    return await handle.readFile();
  } finally {
    await handle.close();
  }
}

/** A run file as text (UTF-8); see {@link readRunFile}. */
export const readRunText = async (path: string): Promise<string> => (await readRunFile(path)).toString('utf8');

/** True when `path` is a symbolic link (not followed). */
export async function isSymbolicLink(path: string): Promise<boolean> {
  try {
    return (await lstat(path)).isSymbolicLink();
  } catch {
    return false;
  }
}

const READ_ONLY_CODES = new Set(['EROFS', 'EACCES', 'EPERM']);

/** The nearest folder of `path` (itself included) that exists. */
function nearestExisting(path: string): string {
  let current = path;
  while (!existsSync(current) && dirname(current) !== current) current = dirname(current);
  return current;
}

/**
 * When `error` comes from a folder that may not be written (a read-only file system, or no
 * permission), the error that says so, naming the nearest existing folder of `path`; otherwise
 * `error` itself. Node's recursive `mkdir` reports a read-only file system as ENOENT, so the
 * folder is asked directly.
 */
export async function explainUnwritable(error: unknown, path: string): Promise<unknown> {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  const folder = nearestExisting(path);
  let cause = code !== undefined && READ_ONLY_CODES.has(code) ? code : undefined;
  if (cause === undefined && code === 'ENOENT')
    cause = await access(folder, constants.W_OK).then(
      () => undefined,
      (denied: unknown) => {
        const deniedCode = (denied as NodeJS.ErrnoException).code ?? '';
        return READ_ONLY_CODES.has(deniedCode) ? deniedCode : undefined;
      },
    );
  if (cause === undefined) return error;
  const why = cause === 'EROFS' ? 'is on a read-only file system' : 'may not be written by this user';
  return new Error(`${folder}: the runs folder is read-only (${cause}): it ${why}; give a writable --runs-dir`);
}

/** `mkdir -p`, with a read-only folder reported as such (see {@link explainUnwritable}). */
export async function makeFolder(path: string, options: { readonly recursive: boolean }): Promise<void> {
  try {
    await mkdir(path, options);
  } catch (error) {
    throw await explainUnwritable(error, path);
  }
}

/** This process's id, its start time (clock ticks since boot, Linux) and the boot it runs in. */
export interface ProcessIdentity {
  readonly pid: number;
  /** Field 22 of `/proc/<pid>/stat`: tells this process from a later one given the same pid. */
  readonly processStart?: number;
  /** `/proc/sys/kernel/random/boot_id`: a pid recorded in another boot names no process now. */
  readonly bootId?: string;
}

const readText = (path: string): string | undefined => {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
};

/** State (field 3) and start time (field 22) of `/proc/<pid>/stat`; undefined when there is no such file. */
function procStat(pid: number): { state: string; start: number } | undefined {
  const text = readText(`/proc/${pid}/stat`);
  if (text === undefined) return undefined;
  // the command name (field 2) is in parentheses and may itself hold spaces and parentheses
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return { state: fields[0] ?? '', start: Number(fields[19]) };
}

const bootId = (): string | undefined => readText('/proc/sys/kernel/random/boot_id')?.trim();

/** Who this process is, as {@link processAlive} later checks it. */
export function currentProcess(): ProcessIdentity {
  const start = procStat(process.pid)?.start;
  const boot = bootId();
  return {
    pid: process.pid,
    ...(start === undefined || !Number.isInteger(start) ? {} : { processStart: start }),
    ...(boot === undefined ? {} : { bootId: boot }),
  };
}

/**
 * True while the recorded process still runs: it exists, is no zombie (a SIGKILLed child whose
 * parent has not reaped it), and, where Linux says so, started at the recorded time in the
 * recorded boot (otherwise its pid was given to another process). Elsewhere signal 0 decides.
 */
export function processAlive(recorded: ProcessIdentity): boolean {
  if (recorded.pid === process.pid) return false; // an earlier attempt of this very process has ended
  if (existsSync('/proc/self/stat')) {
    const boot = bootId();
    if (recorded.bootId !== undefined && boot !== undefined && recorded.bootId !== boot) return false;
    const stat = procStat(recorded.pid);
    if (stat === undefined || stat.state === 'Z' || stat.state === 'X') return false;
    return recorded.processStart === undefined || recorded.processStart === stat.start;
  }
  try {
    process.kill(recorded.pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
