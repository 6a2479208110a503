import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { sha256Hex } from '@losslab/runtime';
import { checkDefinitionFile, definitionRoots, rootsFromEnvironment } from '../queue/definition-access.js';

/** The worker's check of the definition file a job names, done before anything is imported (issue 22 case 1). */
describe('checkDefinitionFile', () => {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), 'losslab-access-')));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const home = join(dir, 'home');
  const outside = join(dir, 'outside');
  mkdirSync(home);
  mkdirSync(outside);
  const text = 'export default {};\n';
  const sha = sha256Hex(text);
  writeFileSync(join(home, 'def.ts'), text);
  writeFileSync(join(home, '..def.ts'), text);
  writeFileSync(join(home, 'notes.txt'), text);
  writeFileSync(join(outside, 'evil.ts'), text);
  symlinkSync(join(outside, 'evil.ts'), join(home, 'link.ts'));

  it('accepts a file inside an allowed folder with the sha256 of the job, relative to the working folder', async () => {
    expect(await checkDefinitionFile('def.ts', sha, [home], home)).toEqual({ file: join(home, 'def.ts') });
    // A name that starts with ".." is still inside.
    expect(await checkDefinitionFile('..def.ts', sha, [home], home)).toEqual({ file: join(home, '..def.ts') });
    expect(await checkDefinitionFile(join(outside, 'evil.ts'), sha, [home, outside], home)).toEqual({
      file: join(outside, 'evil.ts'),
    });
  });

  it('refuses a path outside, also through "..", an absolute path or a symlink inside the folder', async () => {
    const refusal = (path: string, real: string) =>
      `the definition file ${path} (${real}) lies outside the folders this worker imports definitions from (${home}; add one with --allow-definitions)`;
    expect(await checkDefinitionFile('../outside/evil.ts', sha, [home], home)).toEqual({
      problem: refusal('../outside/evil.ts', join(outside, 'evil.ts')),
    });
    expect(await checkDefinitionFile('link.ts', sha, [home], home)).toEqual({
      problem: refusal('link.ts', join(outside, 'evil.ts')),
    });
    expect(await checkDefinitionFile('/etc/passwd', sha, [home], home)).toEqual({
      problem: `the definition file /etc/passwd lies outside the folders this worker imports definitions from (${home}; add one with --allow-definitions)`,
    });
  });

  it('refuses other bytes, a file that is not a module and a missing file, naming each', async () => {
    expect(await checkDefinitionFile('def.ts', 'a'.repeat(64), [home], home)).toEqual({
      problem: `the definition file def.ts (${join(home, 'def.ts')}) differs from the submitter's (sha256 ${sha.slice(0, 12)} here, aaaaaaaaaaaa submitted)`,
    });
    expect(await checkDefinitionFile('notes.txt', sha, [home], home)).toEqual({
      problem: `the definition file notes.txt (${join(home, 'notes.txt')}) is not a module (expected .ts, .mts, .cts, .js, .mjs, .cjs)`,
    });
    expect(await checkDefinitionFile('gone.ts', sha, [home], home)).toEqual({
      problem: `the definition file gone.ts is not here (ENOENT, cwd ${home})`,
    });
  });

  it('the allowed folders: the working folder and each --allow-definitions folder, symlinks resolved, passed on as JSON', async () => {
    symlinkSync(outside, join(dir, 'outside-link'));
    const roots = await definitionRoots(home, ['../outside-link']);
    expect(roots).toEqual([home, outside]);
    expect(await rootsFromEnvironment({ LOSSLAB_WORKER_DEFINITION_ROOTS: JSON.stringify(roots) })).toEqual(roots);
    await expect(definitionRoots(home, ['missing'])).rejects.toThrow(/ENOENT/);
  });
});
