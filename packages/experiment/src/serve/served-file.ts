import { constants } from 'node:fs';
import { open, realpath } from 'node:fs/promises';
import { extname, join, sep } from 'node:path';

/**
 * Reading a file that a URL names under one of the served folders, and nothing else: every
 * segment is decoded once and must be a plain name (no `..`, `.`, separators or NUL, so encoded
 * traversal such as `%2e%2e%2f` is refused too), the file's real path (links resolved) must lie
 * inside the folder's real path, and the file itself must be a regular file opened without
 * following a link. Anything else is "not found" — the caller answers 404 and says no more.
 */

/** The segments of a URL path below a folder, decoded, or undefined when any is not a plain name. */
export function plainSegments(encoded: readonly string[]): string[] | undefined {
  const segments: string[] = [];
  for (const part of encoded) {
    let name: string;
    try {
      name = decodeURIComponent(part);
    } catch {
      return undefined; // malformed escape
    }
    if (name === '' || name === '.' || name === '..' || /[/\\\0]/.test(name)) return undefined;
    segments.push(name);
  }
  return segments;
}

/** The bytes of `root/<segments>` when it is a regular file inside `root` (see above); undefined otherwise. */
export async function readServedFile(root: string, encoded: readonly string[]): Promise<Buffer | undefined> {
  const segments = plainSegments(encoded);
  if (segments === undefined || segments.length === 0) return undefined;
  try {
    const base = await realpath(root);
    const real = await realpath(join(base, ...segments));
    if (!real.startsWith(base + sep)) return undefined; // a link out of the folder
    const handle = await open(real, constants.O_RDONLY | ((constants as { O_NOFOLLOW?: number }).O_NOFOLLOW ?? 0));
    try {
      if (!(await handle.stat()).isFile()) return undefined;
      return await handle.readFile();
    } finally {
      await handle.close();
    }
  } catch {
    return undefined;
  }
}

const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.md': 'text/markdown; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.csv': 'text/csv; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.txt': 'text/plain; charset=utf-8',
};

/** The content type a served file is sent with; anything unknown is plain bytes (never sniffed, never run). */
export const contentType = (name: string): string => TYPES[extname(name).toLowerCase()] ?? 'application/octet-stream';
