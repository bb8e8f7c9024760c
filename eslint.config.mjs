import js from '@eslint/js';
import tseslint from 'typescript-eslint';

// Workflow code must be deterministic: no Node built-ins, no SDKs that do I/O, no clocks.
// The linter guards that, not memory.
const workflowForbidden = [
  'fs',
  'fs/promises',
  'path',
  'os',
  'child_process',
  'net',
  'http',
  'https',
  'crypto',
  'stream',
  'minio',
  'dockerode',
  '@temporalio/client',
  '@temporalio/worker',
  '@temporalio/activity',
  'openai',
  '@anthropic-ai/sdk',
  'node-llama-cpp',
].flatMap((name) => [name, `node:${name}`]);

export default tseslint.config(
  {
    ignores: [
      'node_modules/**',
      '.tools/**',
      '.data/**',
      'scratch/**',
      'templates/**',
      '**/*.js',
      '**/*.mjs',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/restrict-template-expressions': [
        'error',
        { allowNumber: true, allowBoolean: true },
      ],
    },
  },
  {
    // Workflow code imports the SDK's workflow packages and contracts/ only; activity *types*
    // may be imported for the probe workflows, never an implementation.
    files: ['workflows/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: workflowForbidden,
          patterns: [
            {
              group: ['**/activities', '**/activities/**'],
              allowTypeImports: true,
              message:
                'Workflow code imports activity types only (`import type`); shared types live in contracts/.',
            },
            {
              group: [
                '**/workers',
                '**/workers/**',
                '**/lib',
                '**/lib/**',
                '**/sandbox',
                '**/sandbox/**',
                '**/cli/**',
                '**/infra/**',
              ],
              message: 'Workflow code is deterministic: import shared types and presets from contracts/.',
            },
          ],
        },
      ],
      'no-restricted-globals': ['error', 'fetch', 'process', 'require'],
    },
  },
  {
    // contracts/ is what workflows and activities share: it imports only itself and the SDK's
    // workflow-safe packages, so importing it can never pull I/O into a workflow bundle.
    files: ['contracts/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '^(?!\\./|@temporalio/(workflow|common)$)',
              message: 'contracts/ imports only ./ files and @temporalio/workflow or @temporalio/common.',
            },
          ],
        },
      ],
    },
  },
  {
    // Activities and the sandbox are below the workflows: they share types through contracts/.
    files: ['activities/**/*.ts', 'sandbox/**/*.ts', 'lib/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: [
                '**/workflows',
                '**/workflows/**',
                '**/workers',
                '**/workers/**',
                '**/cli',
                '**/cli/**',
              ],
              message:
                'Activities import shared types from contracts/, never from workflows/, workers/ or cli/.',
            },
          ],
        },
      ],
    },
  },
  {
    // The keep-alive timer repeats the last progress details; a direct heartbeat would bypass it
    // and a timer beat would then blank a checkpoint key (activities/keepalive.ts).
    files: ['activities/**/*.ts'],
    ignores: ['activities/keepalive.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        {
          selector: "CallExpression[callee.property.name='heartbeat']",
          message: 'Report progress with reportProgress() from activities/keepalive.ts.',
        },
        {
          selector: "ImportSpecifier[imported.name='heartbeat']",
          message: 'Report progress with reportProgress() from activities/keepalive.ts.',
        },
      ],
    },
  },
  {
    files: ['test/**/*.ts', 'bench/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
      // Fakes implement async ports without awaiting anything.
      '@typescript-eslint/require-await': 'off',
    },
  },
);
