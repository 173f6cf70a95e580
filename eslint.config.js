// Type-aware lint for the whole project; src/core must not touch DOM, worker or Node globals.
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      'dist',
      'dist-lib',
      'node_modules',
      'test-results',
      'playwright-report',
      '.tmp',
      'public',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  {
    files: ['**/*.js', '**/*.mjs', '**/*.cjs'],
    extends: [tseslint.configs.disableTypeChecked],
    languageOptions: { globals: { ...globals.node, ...globals.browser } },
  },
  {
    files: ['src/core/**/*.ts'],
    rules: {
      'no-restricted-globals': [
        'error',
        ...[
          'window',
          'document',
          'self',
          'navigator',
          'process',
          'Buffer',
          'require',
          'postMessage',
        ].map((name) => ({
          name,
          message: 'src/core runs in a worker, a page and Node: no environment globals.',
        })),
      ],
      'no-restricted-imports': ['error', { patterns: ['node:*', '../../*', '../../../*'] }],
    },
  },
  {
    // The player runs where MSE runs, a worker included: the page reaches it only as dependencies.
    files: ['src/player/**/*.ts'],
    rules: {
      'no-restricted-globals': [
        'error',
        ...['window', 'document'].map((name) => ({
          name,
          message:
            'src/player may run in a worker: take the page (e.g. its visibility) as a dependency.',
        })),
      ],
    },
  },
);
