import { defaultClientConditions, defaultServerConditions } from 'vite';
import { defineConfig } from 'vitest/config';

// In the workspace every @losslab package resolves to its TypeScript sources (the `@losslab/source`
// export condition), so tests need no build step first.
const SOURCE_CONDITION = '@losslab/source';

export default defineConfig({
  resolve: { conditions: [SOURCE_CONDITION, ...defaultClientConditions] },
  // Tests run under Node's own conditions (as the CLI does), without Vite's `module`: Vitest passes
  // these to Node, and the AWS SDK's `module` build is for bundlers (it imports files without extensions).
  ssr: {
    resolve: {
      conditions: [SOURCE_CONDITION, ...defaultServerConditions.filter((condition) => condition !== 'module')],
    },
  },
  test: {
    include: ['packages/*/src/**/*.test.ts', 'experiments/**/*.test.ts', 'tools/**/*.test.ts'],
    // TF.js keeps one global engine per process: isolate files in forks.
    pool: 'forks',
    // The `losslab` processes tests start (packages/experiment/bin/losslab.mjs) run the sources
    // too, not dist/ (which the command otherwise builds when it is missing or stale).
    env: { LOSSLAB_FROM_SOURCES: '1' },
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Files run in a new random order each time, so none relies on another having run first (e.g.
    // on the dist/ that the consumer test's `npm pack` builds). Vitest prints the seed ("Running
    // tests with seed N"); `--sequence.seed=N` repeats that order.
    sequence: { shuffle: { files: true, tests: false } },
  },
});
