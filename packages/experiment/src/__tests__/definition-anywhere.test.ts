import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { exec, LAUNCHER, storedRuns, writeOutsideDefinition } from './outside-definition.js';

describe('a definition file outside the repository', () => {
  it('runs with `npx losslab run <absolute path>`, its own relative imports included, its runs and report beside it', async () => {
    const outside = writeOutsideDefinition();
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
    const outside = writeOutsideDefinition();
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
    const dir = mkdtempSync(join(tmpdir(), 'losslab-outside-'));
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
});
