// The layering rule (eslint.config.mjs `layers`, scripts/eslint/layering.mjs) catches each
// forbidden import, resolved from the importing file, and lets the allowed ones through.
import { strict as assert } from 'node:assert';
import { join } from 'node:path';
import { test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { Linter } from 'eslint';
import tseslint from 'typescript-eslint';

const root = join(__dirname, '..', '..');

async function linter(): Promise<(file: string, code: string) => string[]> {
  const config = (await import(pathToFileURL(join(root, 'eslint.config.mjs')).href)) as { layers: Linter.Config[] };
  const l = new Linter({ configType: 'flat', cwd: root });
  const configs: Linter.Config[] = [{ files: ['**/*.ts'], languageOptions: { parser: tseslint.parser } }, ...config.layers];
  return (file, code) =>
    l.verify(code, configs, { filename: join(root, file) }).map((m) => (m.ruleId === 'layering/imports' ? m.message : `unexpected: ${m.message}`));
}

/** [file, import line, forbidden?] */
const CASES: Array<[string, string, boolean]> = [
  ['src/core/a.ts', "import * as vscode from 'vscode';", true],
  ['src/core/a.ts', "import { Panel } from '../vscode/panel';", true],
  ['src/core/tuner/a.ts', "import type { Panel } from '../../vscode/panel';", true],
  ['src/core/a.ts', "import * as tf from '@tensorflow/tfjs';", true],
  ['src/core/a.ts', "const m = require('@tensorflow/tfjs-node');", true],
  ['src/core/a.ts', "export { x } from '../trainer/loop';", true],
  ['src/core/a.ts', "async function f() { return import('../cli/tune'); }", true],
  ['src/core/a.ts', "import { x } from '../cli';", true],
  ['src/core/a.ts', "import { x } from '../../webview/panel/state';", true],
  ['src/core/a.ts', "import { isObj } from './guards';", false],
  ['src/core/study/a.ts', "import { parseDocument } from 'yaml';", false],
  ['src/trainer/a.ts', "import * as tf from '@tensorflow/tfjs';", false],
  ['src/trainer/a.ts', "import * as vscode from 'vscode';", true],
  ['src/trainer/a.ts', "import type { TrialSpec } from '../core/types';", false],
  ['src/cli/a.ts', "import * as vscode from 'vscode';", true],
  ['src/cli.ts', "import { x } from './vscode/settings';", true],
  ['src/vscode/a.ts', "import * as vscode from 'vscode';", false],
  ['src/vscode/a.ts', "import * as tf from '@tensorflow/tfjs-core';", true],
  ['src/extension.ts', "import { runTraining } from './trainer/loop';", true],
  ['webview/panel/a.ts', "import * as vscode from 'vscode';", true],
  ['webview/panel/a.ts', "import { readFileSync } from 'node:fs';", true],
  ['webview/panel/a.ts', "import { join } from 'path';", true],
  ['webview/panel/a.ts', "import type { TrialSummary } from '../../src/core/types';", false],
  ['webview/panel/a.ts', "import { type Recommendation } from '../../src/core/tuner/recommend';", false],
  ['webview/panel/a.ts', "import { recommend } from '../../src/core/tuner/recommend';", true],
  ['webview/panel/a.ts', "import { validateSchedule } from '../../src/core/schedule/validate';", false],
  ['webview/panel/a.ts', "import { LR_RULES } from '../../src/core/tuner/lrScaling';", false],
  ['webview/panel/a.ts', "import { createScheduleController } from '../../src/core/schedule';", true],
  ['webview/panel/a.ts', "import { x } from '../../src/vscode/panel';", true],
  ['webview/panel/a.ts', "import uPlot from 'uplot';", false],
  // The pure modules the webview loads may only load each other.
  ['src/core/schedule/validate.ts', "import { isObj } from '../guards';", false],
  ['src/core/schedule/validate.ts', "import { createScheduleController } from './index';", true],
  ['src/core/schedule/validate.ts', "import type { ScheduleBase } from './index';", false],
  ['src/core/schedule/validate.ts', "import { parseDocument } from 'yaml';", true],
  ['src/core/webviewProtocol.ts', "import { readFileSync } from 'node:fs';", true],
];

test('each forbidden import is reported, each allowed one is not', async () => {
  const lint = await linter();
  for (const [file, code, forbidden] of CASES) {
    const messages = lint(file, code);
    if (forbidden) {
      assert.equal(messages.length, 1, `${file}: ${code} should be reported; got ${JSON.stringify(messages)}`);
      assert.match(messages[0], /may not be imported here: \S/, 'the message says why');
    } else assert.deepEqual(messages, [], `${file}: ${code} should be allowed`);
  }
});

test('the message names the import and the reason', async () => {
  const lint = await linter();
  assert.deepEqual(lint('src/core/runner/a.ts', "import * as vscode from 'vscode';"), [
    '"vscode" may not be imported here: only src/vscode/** and src/extension.ts talk to VS Code; core, trainer, CLI and webview run without it',
  ]);
});
