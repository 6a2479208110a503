import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { git, temporaryFolders } from '@losslab/test-utils';
import { captureEnvironment, captureEnvironmentSoon } from '../environment.js';

const backend = { name: 'cpu', version: '4.22.0' } as Parameters<typeof captureEnvironment>[0];

describe('captureEnvironmentSoon (git in child processes while the run trains)', () => {
  const folders = temporaryFolders('losslab-env-');

  it('records what captureEnvironment records: clean, dirty, untracked, modified, ignored and outside a repository', async () => {
    const repo = folders.make();
    const outside = folders.make();
    git(repo, 'init', '-q');
    writeFileSync(join(repo, '.gitignore'), 'ignored/\n');
    writeFileSync(join(repo, 'def.ts'), 'export default 1;\n');
    writeFileSync(join(repo, 'other.ts'), 'export default 0;\n');
    mkdirSync(join(repo, 'ignored'));
    writeFileSync(join(repo, 'ignored', 'def.ts'), 'export default 3;\n');
    writeFileSync(join(outside, 'def.ts'), 'export default 4;\n');
    const states: unknown[] = [];
    const both = async (cwd: string, definition?: string) => {
      const soon = await captureEnvironmentSoon(backend, cwd, definition);
      expect(soon).toEqual(captureEnvironment(backend, cwd, definition));
      states.push([soon.git, soon.definitionFile?.git]);
    };
    await both(repo, 'def.ts'); // no commit yet, untracked definition
    git(repo, 'add', '.');
    git(repo, 'commit', '-q', '-m', 'first');
    await both(repo, 'def.ts'); // tracked, clean
    await both(repo, join('ignored', 'def.ts')); // ignored definition: the run's code is not the commit's
    writeFileSync(join(repo, 'other.ts'), 'export default 5;\n');
    await both(repo); // dirty repository, no definition file
    writeFileSync(join(repo, 'def.ts'), 'export default 2;\n');
    await both(repo, 'def.ts'); // modified definition
    await both(outside, join(outside, 'def.ts')); // no repository at all
    // The cases above are the distinct ones (a bug that answered one state for all would pass the equality).
    expect(
      states.map((state) =>
        JSON.stringify(state, (_, value: unknown) =>
          typeof value === 'string' && value.length === 40 ? 'sha' : value,
        ),
      ),
    ).toEqual([
      '[{"commit":null,"dirty":null},"untracked"]',
      '[{"commit":"sha","dirty":false},"tracked"]',
      '[{"commit":"sha","dirty":true},"ignored"]',
      '[{"commit":"sha","dirty":true},null]',
      '[{"commit":"sha","dirty":true},"modified"]',
      '[{"commit":null,"dirty":null},"outside-repository"]',
    ]);
  });

  it('rejects, naming the file, when the definition file cannot be read', async () => {
    const repo = folders.make();
    await expect(captureEnvironmentSoon(backend, repo, 'missing.ts')).rejects.toThrow(/missing\.ts/);
  });
});
