import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['packages/*/src/**/*.test.ts', 'experiments/**/*.test.ts', 'tools/**/*.test.ts'],
    // TF.js keeps one global engine per process: isolate files in forks.
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
