// ESLint flat config. The architecture is law here, not a sentence in DESIGN.md:
//  - `vscode` only in src/vscode/** and src/extension.ts;
//  - TensorFlow.js (`@tensorflow/*`) only in src/trainer/** (the trainer child process);
//  - src/core/** imports nothing from src/vscode, src/trainer, src/cli, webview;
//  - webview/** (browser code) imports from src/core types only, plus the value exports of the
//    few pure modules listed in PURE_CORE (which may in turn only import each other), and
//    no Node built-in;
//  - functions <= 80 lines and files <= 400 lines (blank lines and comments not counted) in
//    src/** and webview/**, data files exempt by name (DATA_FILES).
// TypeScript is linted with type information (no-floating-promises, await-thenable, no-unsafe-*):
// about 40 s of one core for the whole tree (tsc --noEmit alone: ~19 s); scripts/lint.mjs runs
// Prettier on the other core meanwhile. Without type information ESLint needs ~13 s.
import js from '@eslint/js';
import { defineConfig, globalIgnores } from 'eslint/config';
import globals from 'globals';
import tseslint from 'typescript-eslint';
import layering, { NODE_BUILTINS } from './scripts/eslint/layering.mjs';

/** src/core modules the webview may load at run time: no Node, no packages, no I/O. */
const PURE_CORE = [
  'src/core/types.ts',
  'src/core/guards.ts',
  'src/core/webviewProtocol.ts',
  'src/core/tuner/lrScaling.ts',
  'src/core/schedule/validate.ts',
  'src/core/config/suggest.ts',
  'src/core/config/memorySize.ts',
  'src/core/headline.ts',
];

/** Files that are data or declarations rather than logic: exempt from max-lines. */
const DATA_FILES = [
  'src/core/types.ts', // the shared type declarations (the contracts in TEAM.md): one place by design
];

const VSCODE = { module: '^vscode$', message: 'only src/vscode/** and src/extension.ts talk to VS Code; core, trainer, CLI and webview run without it' };
const TFJS = {
  module: '^@tensorflow/',
  message: 'TensorFlow.js lives only in src/trainer/** (the child process); the extension host, the CLI and the webview never load it',
};
const NODE = { module: NODE_BUILTINS, message: 'browser code: Node built-ins do not exist in a webview' };
const into = (path, message) => ({ path, message });
const CORE_IS_SHARED = 'src/core is shared by the extension, the CLI and the trainer, so it imports none of them';
const CORE_FORBIDS = [
  VSCODE,
  TFJS,
  into('src/vscode/', CORE_IS_SHARED),
  into('src/extension.ts', CORE_IS_SHARED),
  into('src/trainer/', CORE_IS_SHARED),
  into('src/cli/', CORE_IS_SHARED),
  into('src/cli.ts', CORE_IS_SHARED),
  into('webview/', CORE_IS_SHARED),
];
const layer = (files, forbid) => ({ files, plugins: { layering }, rules: { 'layering/imports': ['error', { forbid }] } });

/** The layering, one entry per zone (exported for test/unit/lint-layering.test.ts). */
export const layers = [
  layer(['src/core/**'], CORE_FORBIDS),
  layer(PURE_CORE, [
    ...CORE_FORBIDS,
    NODE,
    { module: '^', message: 'a module the webview loads (PURE_CORE in eslint.config.mjs) imports no package' },
    {
      path: 'src/',
      except: PURE_CORE,
      allowTypeImports: true,
      message: 'a module the webview loads (PURE_CORE in eslint.config.mjs) may import only other PURE_CORE modules (types from anywhere)',
    },
  ]),
  layer(
    ['src/trainer/**'],
    [
      VSCODE,
      ...['src/vscode/', 'src/extension.ts', 'src/cli/', 'src/cli.ts', 'webview/'].map((p) =>
        into(p, 'the trainer child process talks to the host through src/core/protocol.ts only'),
      ),
    ],
  ),
  layer(
    ['src/cli.ts', 'src/cli/**'],
    [
      VSCODE,
      TFJS,
      ...['src/vscode/', 'src/extension.ts', 'src/trainer/', 'webview/'].map((p) =>
        into(p, 'the CLI runs on src/core; trials run the trainer as a child process'),
      ),
    ],
  ),
  layer(
    ['src/vscode/**', 'src/extension.ts'],
    [
      TFJS,
      ...['src/trainer/', 'src/cli/', 'src/cli.ts', 'webview/'].map((p) =>
        into(p, 'the extension host runs on src/core; the trainer is a child process and the webview a separate bundle'),
      ),
    ],
  ),
  layer(
    ['webview/**'],
    [
      VSCODE,
      TFJS,
      NODE,
      ...['src/vscode/', 'src/extension.ts', 'src/trainer/', 'src/cli/', 'src/cli.ts'].map((p) =>
        into(p, 'the webview talks to the host through src/core/webviewProtocol.ts messages only'),
      ),
      {
        path: 'src/core/',
        except: PURE_CORE,
        allowTypeImports: true,
        message: 'the webview may import types from src/core, and values only from the pure modules in PURE_CORE (eslint.config.mjs)',
      },
    ],
  ),
];

const size = {
  files: ['src/**/*.ts', 'webview/**/*.ts'],
  ignores: DATA_FILES,
  rules: {
    'max-lines-per-function': ['error', { max: 80, skipBlankLines: true, skipComments: true, IIFEs: true }],
    'max-lines': ['error', { max: 400, skipBlankLines: true, skipComments: true }],
  },
};

/** Rules that catch real bugs, on top of the recommended sets. */
const bugs = {
  eqeqeq: ['error', 'always', { null: 'ignore' }],
  'no-var': 'error',
  'prefer-const': 'error',
  '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none', ignoreRestSiblings: true }],
  '@typescript-eslint/no-explicit-any': 'error',
  '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
  '@typescript-eslint/switch-exhaustiveness-check': ['error', { considerDefaultExhaustiveForUnions: true }],
  // node:test's test()/describe() return promises the runner itself awaits.
  '@typescript-eslint/no-floating-promises': [
    'error',
    { allowForKnownSafeCalls: [{ from: 'package', package: 'node:test', name: ['test', 'describe', 'it', 'suite'] }] },
  ],
  '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { arguments: false, attributes: false } }],
  '@typescript-eslint/require-await': 'off', // async for an interface's sake is fine
  '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true, allowBoolean: true, allowNullish: true }],
};

export default defineConfig(
  globalIgnores([
    'dist/**',
    'dist-test/**',
    'out/**',
    'node_modules/**',
    '.vscode-test/**',
    'test-results/**',
    'bench/results/**',
    '.batch-tuner*/**',
    'python/**',
    'media/**',
  ]),
  js.configs.recommended,
  {
    files: ['**/*.ts'],
    extends: [tseslint.configs.recommendedTypeChecked],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: bugs,
  },
  // bench/*.ts is outside tsconfig.json: lint it without type information. Tests too: type-aware
  // rules over the ~130 test files took the lint stage to ~60 s; src/ and webview/ keep them.
  { files: ['bench/**/*.ts', 'test/**/*.ts'], extends: [tseslint.configs.disableTypeChecked] },
  { files: ['src/**/*.ts', 'test/**/*.ts', 'bench/**', 'scripts/**', 'test/**/*.{js,mjs}'], languageOptions: { globals: globals.node } },
  // Browser code, and the page functions the UI benchmark and e2e tests evaluate in Chromium.
  { files: ['webview/**/*.ts', 'bench/ui/**', 'bench/ui.mjs', 'test/e2e/**'], languageOptions: { globals: globals.browser } },
  { files: ['test/integration/**'], languageOptions: { globals: globals.mocha } },
  // Tests poke at untyped data on purpose (malformed messages, JSON lines).
  {
    files: ['test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/restrict-template-expressions': 'off',
    },
  },
  ...layers,
  size,
);
