// @ts-check
// The project's linter: typescript-eslint's type-aware rules (floating
// promises, unsafe casts, unused code) over src/, test/, bench/ and scripts/,
// plus the layering rules the architecture depends on. `npm run lint`; part of `npm test`.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

const restrictKoffi = {
  paths: [{ name: 'koffi', message: 'Kernel calls go through src/sys/ only.' }],
};

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'native/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      // node:test's test()/describe() return promises the runner itself awaits.
      '@typescript-eslint/no-floating-promises': ['error', { allowForKnownSafeCalls: [{ from: 'package', package: 'node:test', name: ['test', 'it', 'describe', 'suite', 'before', 'after', 'beforeEach', 'afterEach'] }] }],
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { arguments: false, attributes: false } }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      '@typescript-eslint/switch-exhaustiveness-check': ['error', { considerDefaultExhaustiveForUnions: false, requireDefaultForNonUnion: false }],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'separate-type-imports' }],
      'no-restricted-imports': ['error', restrictKoffi],
      // async is part of a method's contract (a sandbox removal is async for the engine even where this
      // implementation happens not to wait for anything), so an async function without await is fine.
      '@typescript-eslint/require-await': 'off',
    },
  },
  {
    files: ['src/sys/**/*.ts'],
    rules: { 'no-restricted-imports': 'off' },
  },
  {
    // The pure layers: decisions only, no file system, no kernel, no clock-driven I/O.
    files: ['src/compose/**/*.ts', 'src/plan/**/*.ts', 'src/graph/**/*.ts', 'src/events/**/*.ts', 'src/network/ipam.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: [
          ...restrictKoffi.paths,
          { name: 'node:fs', message: 'Pure layer: files come through the injected reader.' },
          { name: 'node:fs/promises', message: 'Pure layer: files come through the injected reader.' },
          { name: 'node:child_process', message: 'Pure layer.' },
        ],
      }],
    },
  },
  {
    // Tests probe untyped trees (a parsed compose model, JSON from the CLI) on purpose: the unsafe-any rules
    // would only turn every such probe into a cast.
    files: ['test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      // Tests read what a terminal would get: matching escape sequences is the point.
      'no-control-regex': 'off',
    },
  },
  {
    // The example app must run unchanged under docker compose with the official node image: plain CommonJS.
    files: ['examples/**/*.js'],
    languageOptions: { sourceType: 'commonjs' },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    files: ['**/*.js'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: { globals: { ...globals.node }, parserOptions: { projectService: false, project: null } },
  },
);
