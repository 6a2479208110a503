import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { temporaryFolders } from '@losslab/test-utils';
import { loadDefinitionFile } from '../load-definition.js';
import { exec, LAUNCHER, storedRuns, writeOutsideDefinition } from './outside-definition.js';

const outsideFolders = temporaryFolders('losslab-outside-');

describe('a definition file outside the repository', () => {
  it('runs with `npx losslab run <absolute path>`, its own relative imports included, its runs and report beside it', async () => {
    const outside = writeOutsideDefinition(outsideFolders.make());
    // no --runs-dir or --reports-dir: the command runs from the repository, the definition is elsewhere
    const { code, stdout, stderr } = await exec('npx', ['losslab', 'run', outside.file, '--seeds=0']);
    expect(code, stderr).toBe(0);
    expect(stdout).toContain('1/1 run(s) complete');
    const runs = storedRuns(outside.runs);
    expect([...runs.keys()]).toEqual(['adam/0']);
    // the record names the file that ran, outside any repository
    expect(runs.get('adam/0')?.environment.definitionFile).toEqual({
      path: outside.file,
      sha256: createHash('sha256').update(readFileSync(outside.file)).digest('hex'),
      git: 'outside-repository',
    });
    expect(existsSync(join(outside.reports, 'anywhere', 'index.html'))).toBe(true);
  });

  it('runs with `npx nx run experiment:run --definition=<absolute path>`', { timeout: 180_000 }, async () => {
    const outside = writeOutsideDefinition(outsideFolders.make());
    const { code, stdout, stderr } = await exec(
      'npx',
      [
        'nx',
        'run',
        'experiment:run',
        `--definition=${outside.file}`,
        '--seeds=1',
        `--runs-dir=${outside.runs}`,
        `--reports-dir=${outside.reports}`,
      ],
      { NX_DAEMON: 'false', NX_NO_CLOUD: 'true' },
    );
    expect(code, `${stdout}\n${stderr}`).toBe(0);
    expect([...storedRuns(outside.runs).keys()]).toEqual(['adam/1']);
  });

  it('a missing file exits 2 naming its path; a file without a definition says what it expected', async () => {
    const dir = outsideFolders.make();
    const missing = join(dir, 'nowhere', 'def.ts');
    const absent = await exec(process.execPath, [LAUNCHER, 'run', missing, `--runs-dir=${join(dir, 'runs')}`]);
    expect(absent.code).toBe(2);
    expect(absent.stderr).toContain(`error: ${missing}: no such definition file`);
    expect(absent.stderr).not.toMatch(/^\s+at /m);

    const empty = join(dir, 'empty.ts');
    writeFileSync(empty, "export const notADefinition = 'x';\n");
    const noExport = await exec(process.execPath, [LAUNCHER, 'run', empty, `--runs-dir=${join(dir, 'runs')}`]);
    expect(noExport.code).toBe(2);
    expect(noExport.stderr).toContain(
      `error: ${empty}: expected a default export (or an export named "definition") holding the experiment definition`,
    );
    expect(existsSync(join(dir, 'runs'))).toBe(false);
  });

  it('an error thrown while importing the file names the file; --debug adds the stack of the throw (issue 22 case 20)', async () => {
    const dir = outsideFolders.make();
    const file = join(dir, 'throws.ts');
    writeFileSync(file, "const settings = JSON.parse('{');\nexport default settings;\n");
    const cause = await loadDefinitionFile(file).then(
      () => new Error('expected a rejection'),
      (reason: unknown) => reason as Error,
    );
    expect(cause.message).toMatch(new RegExp(`^${escape(file)}: importing the definition file failed: SyntaxError: `));
    expect((cause.cause as Error).name).toBe('SyntaxError');

    const args = ['run', file, `--runs-dir=${join(dir, 'runs')}`];
    const plain = await exec(process.execPath, [LAUNCHER, ...args]);
    expect(plain.code).toBe(2);
    expect(plain.stderr).toContain(`error: ${file}: importing the definition file failed: SyntaxError: `);
    expect(plain.stderr).toContain('(run again with --debug for the stack trace)');
    expect(plain.stderr).not.toMatch(/^\s+at /m);

    const debug = await exec(process.execPath, [LAUNCHER, ...args, '--debug']);
    expect(debug.code).toBe(2);
    expect(debug.stderr).toContain(`error: ${file}: importing the definition file failed: SyntaxError: `);
    // The cause's stack points into the definition file, at the line that threw.
    expect(debug.stderr).toMatch(/caused by: SyntaxError: /);
    expect(debug.stderr).toMatch(new RegExp(`^\\s+at .*throws\\.ts:1:`, 'm'));
    expect(existsSync(join(dir, 'runs'))).toBe(false);
  });
});

describe('losslab run prints text from a definition escaped (issue 22 case 17)', () => {
  it('a claim description holding ANSI and bidi controls reaches the terminal as visible escapes', async () => {
    const outside = writeOutsideDefinition(outsideFolders.make());
    const text = readFileSync(outside.file, 'utf8');
    writeFileSync(
      outside.file,
      text.replace(
        'variants: { adam: {} },',
        "variants: { adam: {} },\n  claims: [{ kind: 'threshold', metric: 'accuracy', op: '>=', value: 0, description: 'fine\\u001b[2J\\u001b[31m\\u202eevil' }],",
      ),
    );
    const args = [LAUNCHER, 'run', outside.file, '--seeds=0', `--runs-dir=${outside.runs}`];
    const { code, stdout, stderr } = await exec(process.execPath, [...args, `--reports-dir=${outside.reports}`]);
    expect(code, stderr).toBe(0);
    expect(stdout).toContain('fine\\x1b[2J\\x1b[31m\\u202eevil');
    // eslint-disable-next-line no-control-regex -- looking for control characters is the point
    expect(stdout + stderr).not.toMatch(/[\u001b\u202e]/);
  });
});

/** `text` matched literally in a regular expression. */
const escape = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
