import { mkdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { temporaryFolders } from '@losslab/test-utils';
import { buildIfStale, sourceStamp } from '../../bin/build-if-stale.mjs';

/**
 * The launcher's decision to rebuild dist/ (bin/build-if-stale.mjs), on a miniature workspace whose
 * `typescript/bin/tsc` only counts how often it is run.
 */
const folders = temporaryFolders('losslab-build-stamp-');

function workspace(): string {
  const root = folders.make();
  const files: Record<string, string> = {
    'package.json': '{}',
    'tsconfig.base.json': '{}',
    'tsconfig.build.base.json': '{}',
    'tsconfig.build.json': '{}',
    'packages/schema/package.json': '{}',
    'packages/schema/tsconfig.build.json': '{}',
    'packages/schema/src/index.ts': 'export const a = 1;\n',
    'packages/schema/src/__tests__/a.test.ts': '// a test\n',
    'packages/test-utils/src/index.ts': '// no tsconfig.build.json: not built\n',
    // counts its runs, as tsc -b would build
    'node_modules/typescript/bin/tsc':
      "require('node:fs').appendFileSync(require('node:path').join(process.cwd(), 'builds'), 'x');\n",
  };
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

const builds = (root: string): number => {
  try {
    return readFileSync(join(root, 'builds'), 'utf8').length;
  } catch {
    return 0;
  }
};

describe('buildIfStale', () => {
  it('builds a workspace never built, then not again until a build input changes', () => {
    const root = workspace();
    buildIfStale(root);
    expect(builds(root)).toBe(1);
    buildIfStale(root);
    expect(builds(root)).toBe(1);
    writeFileSync(join(root, 'packages/schema/src/index.ts'), 'export const a = 2;\n');
    buildIfStale(root);
    expect(builds(root)).toBe(2);
    buildIfStale(root);
    expect(builds(root)).toBe(2);
  });
});

describe('sourceStamp', () => {
  it('changes with a source edit of the same size, a new source file and a tsconfig, not with a test or an unbuilt folder', () => {
    const root = workspace();
    const stamps = new Set([sourceStamp(root)]);
    const changed = (edit: () => void): boolean => {
      edit();
      const stamp = sourceStamp(root);
      const isNew = !stamps.has(stamp);
      stamps.add(stamp);
      return isNew;
    };
    const index = join(root, 'packages/schema/src/index.ts');
    expect(changed(() => writeFileSync(join(root, 'packages/schema/src/__tests__/a.test.ts'), '// edited\n'))).toBe(
      false,
    );
    expect(changed(() => writeFileSync(join(root, 'packages/test-utils/src/index.ts'), '// edited\n'))).toBe(false);
    expect(changed(() => utimesSync(index, new Date(2020, 0, 1), new Date(2020, 0, 1)))).toBe(true);
    expect(changed(() => writeFileSync(join(root, 'packages/schema/src/extra.ts'), ''))).toBe(true);
    expect(changed(() => writeFileSync(join(root, 'packages/schema/tsconfig.build.json'), '{ }'))).toBe(true);
    expect(changed(() => writeFileSync(join(root, 'tsconfig.base.json'), '{ }'))).toBe(true);
  });
});
