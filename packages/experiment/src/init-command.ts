import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { InitOptions } from './command-options.js';

/**
 * `losslab init <folder>`: a folder for definitions kept anywhere on disk, with editor types. In a
 * losslab checkout, `npx losslab run` resolves a definition's `@losslab/*`, `@tensorflow/*`,
 * `io-ts` and `fp-ts` imports to the checkout's copies (load-definition.ts); the tsconfig.json
 * written here maps the same names for TypeScript. Installed from tarballs, the packages resolve
 * from the project's node_modules and the tsconfig only sets the module rules.
 */

/** The checkout this file runs from (src/ exists only in a checkout), else undefined. */
function checkoutRoot(): string | undefined {
  const here = fileURLToPath(import.meta.url);
  return here.endsWith(join('src', 'init-command.ts')) ? resolve(here, '../../../..') : undefined;
}

interface PackageManifest {
  readonly name: string;
  readonly private?: boolean;
  readonly exports?: Record<string, string | Record<string, string>>;
  readonly types?: string;
  readonly typings?: string;
}

const manifestOf = (folder: string): PackageManifest =>
  JSON.parse(readFileSync(join(folder, 'package.json'), 'utf8')) as PackageManifest;

/**
 * The packages a definition shares with losslab (TF.js, io-ts, fp-ts) → their type entry and
 * their files, named explicitly: TypeScript does not read a package folder's `types` through a
 * `paths` mapping under NodeNext.
 */
function sharedPaths(modules: string): Record<string, string[]> {
  const tensorflow = readdirSync(join(modules, '@tensorflow')).map((name) => `@tensorflow/${name}`);
  const paths: Record<string, string[]> = {};
  for (const name of [...tensorflow, 'io-ts', 'fp-ts']) {
    const folder = join(modules, name);
    const manifest = manifestOf(folder);
    const types = manifest.types ?? manifest.typings;
    if (types !== undefined) paths[name] = [join(folder, types)];
    paths[`${name}/*`] = [join(folder, '*')];
  }
  return paths;
}

/** `@losslab/<name>[/<subpath>]` → its TypeScript source, from each package's `@losslab/source` condition. */
function sourcePaths(root: string): Record<string, string[]> {
  const paths: Record<string, string[]> = {};
  for (const folder of readdirSync(join(root, 'packages'))) {
    if (!existsSync(join(root, 'packages', folder, 'package.json'))) continue;
    const manifest = manifestOf(join(root, 'packages', folder));
    if (manifest.private === true) continue;
    for (const [subpath, target] of Object.entries(manifest.exports ?? {})) {
      const source = typeof target === 'string' ? undefined : target['@losslab/source'];
      if (source !== undefined)
        paths[join(manifest.name, subpath).replace(/\\/g, '/')] = [join(root, 'packages', folder, source)];
    }
  }
  return paths;
}

/** The tsconfig.json of a definition folder: the checkout's own settings and its modules, or plain NodeNext. */
function tsconfigFor(root: string | undefined): object {
  const exclude = ['node_modules', 'runs', 'reports'];
  if (root === undefined)
    return {
      compilerOptions: {
        target: 'ES2022',
        module: 'NodeNext',
        moduleResolution: 'NodeNext',
        strict: true,
        // TF.js' own .d.ts do not pass strict checks
        skipLibCheck: true,
        noEmit: true,
      },
      include: ['**/*.ts'],
      exclude,
    };
  const modules = join(root, 'node_modules');
  return {
    extends: join(root, 'tsconfig.base.json'),
    compilerOptions: {
      typeRoots: [join(modules, '@types')],
      paths: { ...sourcePaths(root), ...sharedPaths(modules) },
    },
    include: ['**/*.ts'],
    exclude,
  };
}

/** Writes `file` unless it exists; says which. */
function writeNew(file: string, value: object): void {
  if (existsSync(file)) {
    console.log(`kept ${file} (it exists)`);
    return;
  }
  writeFileSync(file, `${JSON.stringify(value, null, 2)}\n`);
  console.log(`wrote ${file}`);
}

export function initCommand(options: InitOptions): Promise<number> {
  const folder = resolve(options.folder);
  mkdirSync(folder, { recursive: true });
  const root = checkoutRoot();
  const name =
    basename(folder)
      .toLowerCase()
      .replace(/[^a-z0-9._-]+/g, '-') || 'definitions';
  writeNew(join(folder, 'package.json'), { name, private: true, type: 'module' });
  writeNew(join(folder, 'tsconfig.json'), tsconfigFor(root));
  console.log(
    root === undefined
      ? `types come from the @losslab packages installed in ${folder} or a folder above it`
      : `@losslab/* types come from the checkout ${root}; run a definition there with: npx losslab run ${join(folder, '<definition>.ts')} (from the checkout)`,
  );
  return Promise.resolve(0);
}
