import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

/**
 * Every ```ts example in a package README runs, from the repository root, exactly as a reader
 * would paste it. (@losslab/losses checks its example's printed values in its own test.)
 */
const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const TSX = createRequire(import.meta.url).resolve('tsx/cli');
const run = promisify(execFile);

const examples = readdirSync(join(ROOT, 'packages'))
  .filter((name) => name !== 'losses' && name !== 'test-utils')
  .flatMap((name) => {
    let readme: string;
    try {
      readme = readFileSync(join(ROOT, 'packages', name, 'README.md'), 'utf8');
    } catch {
      return [{ name, index: 0, code: undefined }];
    }
    const blocks = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((match) => match[1]);
    return blocks.length === 0
      ? [{ name, index: 0, code: undefined }]
      : blocks.map((code, index) => ({ name, index: index + 1, code }));
  });

describe('package README examples', () => {
  it.each(examples)('@losslab/$name example $index runs', async ({ code }) => {
    expect(code, 'a README.md with a ```ts example').toBeDefined();
    const { stderr } = await run(
      process.execPath,
      [TSX, '--conditions=@losslab/source', '--input-type=module', '--eval', code!],
      {
        cwd: ROOT,
        env: { ...process.env, LOSSLAB_BACKEND: 'cpu' },
        timeout: 120_000,
        maxBuffer: 16 * 1024 * 1024,
      },
    );
    expect(stderr).not.toMatch(/Error/);
  });
});
