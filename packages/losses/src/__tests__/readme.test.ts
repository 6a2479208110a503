import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const packageRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

const readme = readFileSync(join(packageRoot, 'README.md'), 'utf8');
const examples = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((match) => match[1]!);

describe('README examples', () => {
  it('there are three: the combinators, model.fit and LDAM', () => expect(examples).toHaveLength(3));

  it.each(examples.map((code, i) => [i + 1, code] as const))(
    'example %i runs and prints what its // → comments say',
    (_, code) => {
      const expected = [...code.matchAll(/\/\/ → (.*)$/gm)].map((m) => m[1]!.trim());
      expect(expected.length).toBeGreaterThan(0);
      const tsxCli = createRequire(import.meta.url).resolve('tsx/cli');
      // Run from the package root so '@losslab/losses' resolves like it does for a user.
      const stdout = execFileSync(
        process.execPath,
        [tsxCli, '--conditions=@losslab/source', '--input-type=module', '--eval', code],
        {
          cwd: packageRoot,
          encoding: 'utf8',
        },
      );
      const printed = stdout
        .split('\n')
        .map((line) => line.trim())
        .filter((line) => line.startsWith('['));
      expect(printed).toEqual(expected);
    },
  );
});
