// ESLint for the site's browser scripts (site/static/js), run by
// scripts/test.d/05-lint.sh from the repository root:
//   tests/browser/node_modules/.bin/eslint -c tests/browser/eslint.config.js site/static/js
// The scripts are classic <script defer> files (no modules, no build step),
// written in ES5 syntax inside one 'use strict' function each, so they run on
// any browser that has fetch; ecmaVersion 2015 leaves room without a bundler.
import js from '@eslint/js';
import globals from 'globals';

export default [
  {
    files: ['site/static/js/**/*.js'],
    ...js.configs.recommended,
    languageOptions: {
      ecmaVersion: 2015,
      sourceType: 'script',
      globals: { ...globals.browser },
    },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      ...js.configs.recommended.rules,
      // ES5 has no optional catch binding: `catch (e)` must name what it ignores.
      'no-unused-vars': ['error', { caughtErrors: 'none' }],
      // Each file is one IIFE: nothing leaks into the page's global scope
      // except what a file assigns to window on purpose (window.QIForms).
      'no-implicit-globals': 'error',
      strict: ['error', 'function'],
      eqeqeq: ['error', 'always', { null: 'ignore' }],
      'no-shadow': 'error',
    },
  },
];
