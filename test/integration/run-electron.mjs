#!/usr/bin/env node
// Runs the integration suite in a desktop VS Code downloaded by @vscode/test-electron (needs
// internet the first time; cached in .vscode-test/). The offline runner for this machine and
// CI is run-code-server.mjs; both load the same dist-test/integration/suite/index.js.
//
//   node test/integration/run-electron.mjs [--untrusted] [--grep PATTERN]
// Env: VSCODE_VERSION (default "stable"). On a Linux machine without a display, run it under
// xvfb-run.
import { runTests } from '@vscode/test-electron';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { buildTests, suiteOutput } from '../../scripts/build-tests.mjs';
import { prepareWorkspace, repoRoot, writeUserSettings } from '../../scripts/code-server.mjs';

const { values: options } = parseArgs({ options: { untrusted: { type: 'boolean' }, grep: { type: 'string' } } });
const untrusted = options.untrusted || process.env.BATCH_TUNER_TEST_UNTRUSTED === '1';

if (!existsSync(join(repoRoot, 'dist', 'extension.js'))) {
  console.error('[integration:electron] dist/extension.js is missing: run `npm run build` first.');
  process.exit(1);
}
await buildTests();

const tmp = mkdtempSync(join(tmpdir(), 'batch-tuner-electron-'));
let exitCode = 1;
try {
  const workspace = prepareWorkspace(tmp);
  // No trust prompt (a modal would block the untrusted run), no welcome page, no updates.
  writeUserSettings(join(tmp, 'user-data'));
  exitCode = await runTests({
    version: process.env.VSCODE_VERSION || 'stable',
    extensionDevelopmentPath: repoRoot,
    extensionTestsPath: join(suiteOutput, 'index.js'),
    extensionTestsEnv: {
      BATCH_TUNER_TEST_UNTRUSTED: untrusted ? '1' : '0',
      ...(options.grep ? { BATCH_TUNER_TEST_GREP: options.grep } : {}),
    },
    launchArgs: [
      workspace,
      '--disable-extensions',
      '--user-data-dir',
      join(tmp, 'user-data'),
      '--extensions-dir',
      join(tmp, 'extensions'),
      '--skip-welcome',
      '--skip-release-notes',
      ...(untrusted ? [] : ['--disable-workspace-trust']),
    ],
  });
} catch (error) {
  console.error(`[integration:electron] ${error instanceof Error ? error.message : error}`);
  console.error('[integration:electron] could not download or start VS Code; offline, use `npm run test:integration` (code-server).');
} finally {
  rmSync(tmp, { recursive: true, force: true, maxRetries: 3 });
}
process.exit(exitCode);
