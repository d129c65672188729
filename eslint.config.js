// @ts-check
// The project's linter: typescript-eslint's type-aware rules (floating
// promises, unsafe casts, unused code) over src/, test/, bench/ and scripts/,
// plus the layering rules the architecture depends on. `npm run lint`; part of `npm test`.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

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
    files: ['**/*.js'],
    ...tseslint.configs.disableTypeChecked,
  },
);
