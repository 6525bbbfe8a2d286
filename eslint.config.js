// Lint is part of `npm test`: type-aware rules catch the promise and `any` leaks tsc lets through.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import floors from './lint/floors.js';

export default tseslint.config(
  { ignores: ['node_modules/**', 'dist/**', 'out/**', 'renderer/dist/**', 'tests/fixtures/**'] },
  js.configs.recommended,
  ...tseslint.configs.strict,
  {
    files: ['**/*.ts', '**/*.cts'],
    plugins: { foley: floors },
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      // node:test's test()/describe() return promises the runner itself awaits.
      '@typescript-eslint/no-floating-promises': [
        'error',
        { allowForKnownSafeCalls: [{ from: 'package', package: 'node:test', name: ['test', 'describe', 'it', 'suite', 'before', 'after'] }] },
      ],
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/consistent-type-imports': 'error',
      // Imports go down the floors only (lint/floors.js holds the table).
      'foley/floors': 'error',
    },
  },
  {
    // Product code keeps functions short enough to read in one screen or two; tests and benches are
    // scenarios and may run longer. The unpickler is one opcode switch, clearer whole than split.
    files: ['{base,db,media,native-models,core,cli,server,electron}/**/*.{ts,cts}', 'renderer/src/**/*.ts'],
    ignores: ['native-models/checkpoint/pickle.ts'],
    rules: { 'max-lines-per-function': ['error', { max: 120, skipBlankLines: true, skipComments: true }] },
  },
  {
    files: ['**/*.js'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly' } },
  },
);
