import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type BuildOptions } from 'esbuild';
import { describe, expect, it } from 'vitest';

/**
 * The packages meant for browsers bundle for the browser platform: esbuild fails on any import of
 * a Node built-in (`node:fs`, `node:crypto`, …) anywhere in their import graph. TensorFlow.js is a
 * peer the application brings, so it stays external.
 */
const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

const BROWSER_ENTRIES = {
  '@losslab/schema': 'packages/schema/src/index.ts',
  '@losslab/runtime': 'packages/runtime/src/index.ts',
  '@losslab/losses': 'packages/losses/src/index.ts',
  '@losslab/metrics': 'packages/metrics/src/index.ts',
  '@losslab/models': 'packages/models/src/index.ts',
  '@losslab/data': 'packages/data/src/index.ts',
  '@losslab/train': 'packages/train/src/index.ts',
  // building and rendering a report from records (vega renders the SVG charts in the browser too)
  '@losslab/report': 'packages/report/src/index.ts',
};

/** One esbuild setting for every bundle here: the browser platform, TF.js left to the application. */
const BROWSER_BUILD = {
  bundle: true,
  platform: 'browser',
  format: 'esm',
  write: false,
  external: ['@tensorflow/*'],
  // workspace packages resolve to their sources, as everywhere in the checkout: `dist/` exists only
  // after a build, so without this the check would depend on which test happened to build first
  conditions: ['@losslab/source'],
  logLevel: 'silent',
} satisfies BuildOptions;

/** Bundles one entry for browsers; resolves to esbuild's error texts (none when it bundles). */
async function browserBundleErrors(entry: string): Promise<string[]> {
  try {
    const result = await build({ ...BROWSER_BUILD, entryPoints: [join(ROOT, entry)] });
    expect(result.outputFiles[0]?.text.length).toBeGreaterThan(0);
    return result.errors.map((e) => e.text);
  } catch (error) {
    return ((error as { errors?: { text: string }[] }).errors ?? [{ text: String(error) }]).map((e) => e.text);
  }
}

describe('browser bundles', () => {
  it.each(Object.entries(BROWSER_ENTRIES))('%s bundles for the browser with no Node built-in', async (_, entry) => {
    expect(await browserBundleErrors(entry)).toEqual([]);
  });

  it.each(['packages/data/src/node.ts', 'packages/report/src/node.ts'])(
    'the check can fail: %s, which reads and writes files, does not bundle for the browser',
    async (entry) => {
      const errors = await browserBundleErrors(entry);
      expect(errors.join('\n')).toMatch(/Could not resolve "node:(fs|crypto|zlib|module|path|fs\/promises)"/);
    },
  );
});

describe('side effects a bundler must keep', () => {
  it('@losslab/models keeps its layer registrations when only another export is used', async () => {
    // tfjs-layers can load a saved model with custom layers only if their classes were registered.
    const result = await build({
      ...BROWSER_BUILD,
      stdin: { contents: "import { outputWidth } from '@losslab/models'; console.log(outputWidth);", resolveDir: ROOT },
    });
    const text = result.outputFiles[0]?.text ?? '';
    expect(text).toContain('LosslabSeededDropout');
    expect(text).toMatch(/registerClass\(\s*SeededDropout/);
    expect(text).toMatch(/registerClass\(\s*FusedLstm/);
  });
});
