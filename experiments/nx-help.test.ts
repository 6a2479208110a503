import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { isolatedNxEnv } from '@losslab/test-utils';

/**
 * `npx nx run experiment:<target> --help` shows losslab's own help after Nx's: Nx runs the first
 * word of the target's command with `--help`, which is `losslab` since the targets call the
 * command. Nx prints that help only on a terminal, so the test gives it one with util-linux'
 * `script` (part of every Debian system).
 */
const ROOT = resolve(fileURLToPath(import.meta.url), '../..');
const hasScript = (() => {
  try {
    execFileSync('script', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();
if (!hasScript) console.warn('nx-help.test.ts: skipped, util-linux `script` is not installed');

describe.skipIf(!hasScript)('nx run … --help', () => {
  it(
    'experiment:mnist-odd --help ends with losslab --help (the commands and how to see their options)',
    { timeout: 120_000 },
    async () => {
      const cache = mkdtempSync(join(tmpdir(), 'losslab-nx-cache-'));
      const output = await new Promise<string>((done) => {
        const child = spawn('script', ['-qec', 'npx nx run experiment:mnist-odd --help', '/dev/null'], {
          cwd: ROOT,
          env: isolatedNxEnv(cache),
        });
        let text = '';
        child.stdout.on('data', (chunk: Buffer) => (text += chunk.toString()));
        child.on('close', () => done(text));
      });
      rmSync(cache, { recursive: true, force: true });
      // losslab's overview: its commands, and how to get every option of one
      expect(output).toContain('usage: losslab <command> [options]');
      expect(output).toMatch(/^ {2}run +train every variant/m);
      expect(output).toContain('losslab <command> --help');
    },
  );
});
