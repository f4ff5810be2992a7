import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/** Import lanes: each process's folder may only reach what runs in that process. */
const nodeBuiltins = ['node:*', 'fs', 'path', 'os', 'child_process', 'crypto', 'http', 'net', 'url', 'worker_threads'];

export default tseslint.config(
  {
    ignores: [
      'dist/**',
      'release/**',
      'node_modules/**',
      'test-results/**',
      'playwright-report/**',
      'models/**',
      'bench/scratch/**',
      'bench/results/**',
      'tests/.tmp/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { ecmaVersion: 2023, sourceType: 'module' },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-console': 'off',
    },
  },
  {
    // Build and tool scripts run on plain Node.
    files: ['build/**/*.mjs', 'build/**/*.cjs', '*.js', 'tests/fixtures/**/*.mjs'],
    languageOptions: {
      globals: {
        process: 'readonly',
        console: 'readonly',
        performance: 'readonly',
        URL: 'readonly',
        Buffer: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        setInterval: 'readonly',
        clearInterval: 'readonly',
        fetch: 'readonly',
        module: 'writable',
        require: 'readonly',
        __dirname: 'readonly',
      },
    },
  },
  {
    // shared/ is pure TypeScript used by every process: no Electron, no Node, no DOM, no React.
    files: ['shared/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['electron', 'react', 'react-dom', 'node-llama-cpp', 'systeminformation', ...nodeBuiltins],
              message: 'shared/ must stay pure TypeScript.',
            },
            { group: ['**/electron/**', '**/renderer/**', '**/tests/**'], message: 'shared/ may not import from a process folder.' },
          ],
        },
      ],
      'no-restricted-globals': ['error', 'window', 'document', 'process', 'Buffer', 'require'],
    },
  },
  {
    // The engine is plain Node: it runs under utilityProcess and child_process alike.
    files: ['electron/engine/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['electron'], message: 'electron/engine must not import electron (it also runs under child_process.fork).' },
            {
              group: ['**/main/**', '**/preload/**', '**/renderer/**', 'react', 'react-dom'],
              message: 'electron/engine talks to main only through the engine protocol.',
            },
          ],
        },
      ],
    },
  },
  {
    // The live loop never reaches the tools (simulator, traces, baselines): they stay out of the engine bundle.
    files: ['electron/engine/**/*.ts'],
    ignores: ['electron/engine/tools/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['electron'], message: 'electron/engine must not import electron (it also runs under child_process.fork).' },
            {
              group: ['**/main/**', '**/preload/**', '**/renderer/**', 'react', 'react-dom'],
              message: 'electron/engine talks to main only through the engine protocol.',
            },
            { group: ['**/tools/**'], message: 'The running engine never imports electron/engine/tools/ (simulator, traces, baselines).' },
          ],
        },
      ],
    },
  },
  {
    // Main's core is plain TypeScript; only electron/main/electron/ wires it to Electron.
    files: ['electron/main/**/*.ts'],
    ignores: ['electron/main/electron/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['electron'], message: 'Only electron/main/electron/ may import electron; the core also runs in the web host.' },
            { group: ['**/engine/**', '**/renderer/**', 'node-llama-cpp'], message: 'main reaches the engine only through the engine protocol.' },
          ],
        },
      ],
    },
  },
  {
    files: ['renderer/**/*.ts', 'renderer/**/*.tsx'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['electron', 'node-llama-cpp', 'systeminformation', ...nodeBuiltins], message: 'The renderer is a sandboxed web page.' },
            { group: ['**/electron/**', '**/tests/**'], message: 'The renderer reaches main only through window.mai.' },
          ],
        },
      ],
    },
  },
  {
    files: ['electron/preload/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/engine/**', '**/main/**', '**/renderer/**', ...nodeBuiltins],
              message: 'The preload builds window.mai from shared/ and nothing else.',
            },
          ],
        },
      ],
    },
  },
);
