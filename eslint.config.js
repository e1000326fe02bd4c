// ESLint flat config. Type-aware rules for the TypeScript in src/, test/ and bench/; plain
// recommended rules for the CommonJS scripts and config files. Stylistic rules are left to Prettier
// (eslint-config-prettier comes last and turns off any that would fight it).
const js = require('@eslint/js');
const tseslint = require('typescript-eslint');
const prettier = require('eslint-config-prettier');
const globals = require('globals');

module.exports = tseslint.config(
  {
    ignores: [
      'dist/**',
      'dist-bench/**',
      'node_modules/**',
      'coverage/**',
      'test-results/**',
      'bench/results/**',
      'test/fixtures/**',
      '.data/**',
      '.test-data/**',
      '.bench-data/**',
    ],
  },

  // CommonJS scripts and config files (scripts/*.js, jest.config.js, this file, ...).
  {
    files: ['**/*.js'],
    ...js.configs.recommended,
    languageOptions: {
      ecmaVersion: 2023,
      sourceType: 'commonjs',
      globals: { ...globals.node },
    },
  },

  // The console's browser modules (served as they are, no build step): ES modules in a browser.
  {
    files: ['src/console/assets/**/*.mjs'],
    ...js.configs.recommended,
    languageOptions: {
      ecmaVersion: 2023,
      sourceType: 'module',
      globals: { ...globals.browser },
    },
  },

  // TypeScript, with type information. The project service picks the nearest tsconfig.json for each
  // file, so bench/ is checked with bench/tsconfig.json and src/ and test/ with the root one.
  {
    files: ['src/**/*.ts', 'test/**/*.ts', 'bench/**/*.ts'],
    extends: [js.configs.recommended, ...tseslint.configs.recommendedTypeChecked],
    languageOptions: {
      parserOptions: {
        projectService: true,
        tsconfigRootDir: __dirname,
      },
    },
    rules: {
      // An un-awaited promise (a refresh, a save) can finish after a later write and overwrite a
      // final record; every promise must be awaited, returned, or marked `void` with a reason.
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      // Off: extractors and migrations implement Promise-returning interfaces and stay `async` so
      // that a synchronous throw becomes a rejection; dropping `async` would change that behaviour.
      '@typescript-eslint/require-await': 'off',
      // A leading underscore marks a binding that is unused on purpose (a skipped tuple slot).
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },

  // Tests (e2e and unit specs) and benchmarks read untyped data on purpose: supertest response bodies, parsed JSON and
  // raw SQL rows are `any`, and narrowing each one would add casts without catching bugs. The
  // no-unsafe-* rules would report hundreds of those, so they are off here only; src/ keeps them.
  // The promise rules above stay on everywhere.
  {
    files: ['test/**/*.ts', 'bench/**/*.ts', 'src/**/*.spec.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-explicit-any': 'off',
    },
  },

  prettier,
);
