import type { FileHandle } from 'node:fs/promises';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { writeFileAtomic } from '../files.js';

// Each call that decides durability, in order, by the base name of the path it acts on.
const events: string[] = [];
vi.mock('node:fs/promises', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:fs/promises')>();
  return {
    ...actual,
    open: async (path: string, flags: string): Promise<FileHandle> => {
      const handle = await actual.open(path, flags);
      const name = basename(path);
      events.push(`open ${name} ${flags}`);
      const sync = handle.sync.bind(handle);
      handle.sync = async () => {
        events.push(`fsync ${name}`);
        await sync();
      };
      return handle;
    },
    rename: async (from: string, to: string): Promise<void> => {
      events.push(`rename ${basename(from)} -> ${basename(to)}`);
      await actual.rename(from, to);
    },
  };
});

const folder = mkdtempSync(join(tmpdir(), 'losslab-files-'));
afterAll(() => rmSync(folder, { recursive: true, force: true }));
beforeEach(() => {
  events.length = 0;
});

describe('writeFileAtomic', () => {
  it('fsyncs the file before the rename and its folder after it', async () => {
    await writeFileAtomic(join(folder, 'record.json'), '{"ok":true}');
    const temporary = `record.json.tmp-${process.pid}`;
    expect(events).toEqual([
      `open ${temporary} w`,
      `fsync ${temporary}`,
      `rename ${temporary} -> record.json`,
      `open ${basename(folder)} r`,
      `fsync ${basename(folder)}`,
    ]);
    expect(readFileSync(join(folder, 'record.json'), 'utf8')).toBe('{"ok":true}');
  });

  it('replaces a file whole, bytes too, and leaves no temporary file', async () => {
    await writeFileAtomic(join(folder, 'weights.bin'), new Uint8Array([1, 2, 3]));
    await writeFileAtomic(join(folder, 'weights.bin'), new Uint8Array([4, 5]));
    expect([...readFileSync(join(folder, 'weights.bin'))]).toEqual([4, 5]);
    expect(readdirSync(folder).filter((name) => name.includes('.tmp-'))).toEqual([]);
  });

  it('a rename that fails removes the temporary file and syncs no folder', async () => {
    // a file cannot replace a folder
    mkdirSync(join(folder, 'taken', 'inside'), { recursive: true });
    await expect(writeFileAtomic(join(folder, 'taken'), 'x')).rejects.toThrow(/EISDIR|ENOTEMPTY|EEXIST/);
    expect(readdirSync(folder).filter((name) => name.includes('.tmp-'))).toEqual([]);
    expect(events.at(-1)).toBe(`rename taken.tmp-${process.pid} -> taken`);
  });
});
