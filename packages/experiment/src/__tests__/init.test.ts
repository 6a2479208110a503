import { execFile } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { main } from '../cli.js';

const ROOT = resolve(fileURLToPath(import.meta.url), '../../../../..');
const TSC = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const folder = join(mkdtempSync(join(tmpdir(), 'losslab-init-')), 'my study');
afterAll(() => rmSync(resolve(folder, '..'), { recursive: true, force: true }));

/** Runs `losslab init` in this process and returns its exit code and printed lines. */
async function init(args: string[]): Promise<{ code: number; lines: string[] }> {
  const lines: string[] = [];
  const log = vi.spyOn(console, 'log').mockImplementation((line: string) => lines.push(line));
  try {
    return { code: await main(['init', ...args]), lines };
  } finally {
    log.mockRestore();
  }
}

describe('losslab init <folder>: a definition folder outside the checkout with editor types', () => {
  it('makes the folder, writes package.json (ESM) and tsconfig.json, and keeps them when run again', async () => {
    const first = await init([folder]);
    expect(first.code).toBe(0);
    expect(first.lines.slice(0, 2)).toEqual([
      `wrote ${join(folder, 'package.json')}`,
      `wrote ${join(folder, 'tsconfig.json')}`,
    ]);
    expect(JSON.parse(readFileSync(join(folder, 'package.json'), 'utf8'))).toEqual({
      name: 'my-study',
      private: true,
      type: 'module',
    });
    writeFileSync(join(folder, 'package.json'), '{"name":"mine","type":"module"}');
    const again = await init([folder]);
    expect(again.lines[0]).toBe(`kept ${join(folder, 'package.json')} (it exists)`);
    expect(readFileSync(join(folder, 'package.json'), 'utf8')).toBe('{"name":"mine","type":"module"}');
  });

  it('without a folder is a usage error (exit 2)', async () => {
    const errors = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    try {
      expect(await main(['init'])).toBe(2);
      expect(errors).toHaveBeenCalledWith('error: folder: expected the folder to set up (e.g. ~/my-study)');
    } finally {
      errors.mockRestore();
    }
  });

  it('tsc there resolves @losslab/*, TF.js and io-ts: a definition type-checks, a wrong builder call does not', async () => {
    await init([folder]);
    copyFileSync(join(ROOT, 'examples/tiny-mnist-odd.ts'), join(folder, 'definition.ts'));
    writeFileSync(
      join(folder, 'kinds.ts'),
      "import * as tf from '@tensorflow/tfjs-core';\nimport * as t from 'io-ts';\nimport * as E from 'fp-ts/lib/Either.js';\nexport const ok: t.Type<number> = t.number;\nexport const zeros = (): tf.Tensor => tf.zeros([1]);\nexport const right: E.Either<string, number> = E.right(1);\n",
    );
    writeFileSync(join(folder, 'wrong.ts'), "import { mlp } from '@losslab/experiment';\nmlp({ hidden: 3 });\n");
    const output = await new Promise<string>((done) =>
      execFile(process.execPath, [TSC, '-p', join(folder, 'tsconfig.json')], (_, stdout) => done(stdout)),
    );
    // one error, in wrong.ts: the types are real (not any), and the definition and kinds are clean
    expect(output.trim().split('\n')).toEqual([expect.stringMatching(/wrong\.ts\(2,7\): error TS2322: /)]);
  }, 120_000);
});
