#!/usr/bin/env node
// Runs the integration suite (dist-test/integration/suite/index.js) inside a real VS Code:
// the offline code-server (scripts/code-server.mjs) with this repository as the extension
// under development, in a temp workspace (test/fixtures/workspace + examples/), driven by
// headless Chromium. Exits with the suite's code.
//
//   node test/integration/run-code-server.mjs [--untrusted] [--grep PATTERN]
//
// --untrusted (or BATCH_TUNER_TEST_UNTRUSTED=1): Workspace Trust stays on and the folder is
// not trusted (Restricted Mode); the suite then runs only its `[untrusted]` tests.
// Env: BATCH_TUNER_TEST_TIMEOUT_S (default 600), BATCH_TUNER_TEST_VERBOSE=1 (print the
// workbench log too; it is always kept in test-results/).
// Assumes `npm run build` has run (dist/extension.js); builds the suite itself.
import { closeSync, cpSync, existsSync, mkdirSync, openSync, readSync, rmSync, statSync, writeFileSync, appendFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { buildTests, suiteOutput } from '../../scripts/build-tests.mjs';
import { launchChromium, makeTempDir, prepareWorkspace, repoRoot, startCodeServer, workbenchUrl } from '../../scripts/code-server.mjs';

const { values: options } = parseArgs({
  options: {
    untrusted: { type: 'boolean' },
    grep: { type: 'string' },
    // The extension under development (default: this repository).
    'extension-path': { type: 'string' },
    // Instead: an extensions folder holding the extension installed from its VSIX (scripts/check-vsix.mjs).
    'installed-extensions': { type: 'string' },
  },
});
const installedExtensions = options['installed-extensions'] ? resolve(options['installed-extensions']) : undefined;
const extensionPath = installedExtensions ? undefined : resolve(options['extension-path'] ?? repoRoot);
const untrusted = options.untrusted || process.env.BATCH_TUNER_TEST_UNTRUSTED === '1';
const timeoutMs = Number(process.env.BATCH_TUNER_TEST_TIMEOUT_S || 600) * 1000;
const verbose = process.env.BATCH_TUNER_TEST_VERBOSE === '1';
const label = untrusted ? 'integration (untrusted)' : 'integration';

function fail(message) {
  console.error(`[${label}] ${message}`);
  process.exit(1);
}

if (extensionPath && !existsSync(join(extensionPath, 'dist', 'extension.js')))
  fail(`${join(extensionPath, 'dist', 'extension.js')} is missing: run \`npm run build\` first.`);
await buildTests();

const resultsDir = join(repoRoot, 'test-results');
mkdirSync(resultsDir, { recursive: true });
const tmp = makeTempDir('batch-tuner-integration-');
// Kept in the temp folder while running (parallel runs do not clobber each other), copied to
// test-results/ when the run fails.
const workbenchLog = join(tmp, 'workbench.log');
writeFileSync(workbenchLog, '');
const workspace = prepareWorkspace(tmp);
/**
 * Restricted Mode (issue 12): the workspace's own .vscode/settings.json points batchTuner.commands
 * and batchTuner.pythonPath at programs that would create a marker file; the suite checks that
 * nothing runs, and so does this runner after it.
 */
const marker = join(tmp, 'untrusted-marker');
if (untrusted) {
  const python = join(tmp, 'marker-python.sh');
  writeFileSync(python, `#!/bin/sh\ntouch '${marker}'\n`, { mode: 0o755 });
  mkdirSync(join(workspace, '.vscode'), { recursive: true });
  writeFileSync(
    join(workspace, '.vscode', 'settings.json'),
    JSON.stringify(
      {
        'batchTuner.pythonPath': python,
        'batchTuner.commands': { '**/*.yaml': '${python} train.py --config ${config}', '**/*': `/usr/bin/touch ${marker}` },
      },
      null,
      2,
    ),
  );
}
const suiteLog = join(tmp, 'suite.log');
writeFileSync(suiteLog, '');

/**
 * VS Code runs extension tests only in a window with an extension under development. To test
 * the copy installed from the VSIX, that extension is an empty one: the real one loads from
 * the extensions folder.
 */
function emptyDevelopmentExtension() {
  const dir = join(tmp, 'test-host-extension');
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, 'package.json'),
    JSON.stringify(
      {
        name: 'batch-tuner-test-host',
        publisher: 'batch-tuner',
        version: '0.0.0',
        engines: { vscode: '^1.95.0' },
      },
      null,
      2,
    ),
  );
  return dir;
}

/** Copies what the suite appended to its log file to our stdout (the extension host has no terminal here). */
let suiteLogOffset = 0;
let sawSummary = false;
function pumpSuiteLog() {
  const size = statSync(suiteLog).size;
  if (size <= suiteLogOffset) return;
  const fd = openSync(suiteLog, 'r');
  const buffer = Buffer.alloc(size - suiteLogOffset);
  readSync(fd, buffer, 0, buffer.length, suiteLogOffset);
  closeSync(fd);
  suiteLogOffset = size;
  const text = buffer.toString('utf8');
  if (/^\d+ passed, \d+ failed$/m.test(text)) sawSummary = true;
  process.stdout.write(text);
}

let server;
let browser;
let cleanedUp = false;
const logsCopy = join(resultsDir, untrusted ? 'integration-untrusted-logs' : 'integration-logs');
async function cleanup({ keepLogs = false } = {}) {
  if (cleanedUp) return;
  cleanedUp = true;
  try {
    pumpSuiteLog();
  } catch {
    /* the temp dir may be gone */
  }
  await browser?.close().catch(() => undefined);
  await server?.stop().catch(() => undefined);
  // VS Code's own logs (extension host, output channels such as "Batch Tuner") and the
  // workbench's console explain most failures.
  if (keepLogs) {
    rmSync(logsCopy, { recursive: true, force: true });
    if (existsSync(join(tmp, 'user-data', 'logs'))) cpSync(join(tmp, 'user-data', 'logs'), logsCopy, { recursive: true });
    cpSync(workbenchLog, join(logsCopy, 'workbench.log'));
  }
  rmSync(tmp, { recursive: true, force: true, maxRetries: 3 });
}
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.once(sig, () => {
    console.error(`[${label}] ${sig}: stopping code-server and the browser`);
    cleanup().finally(() => process.exit(130));
  });
}

let exitCode = 1;
const started = Date.now();
let pump;
try {
  server = await startCodeServer({
    workspace,
    trusted: !untrusted,
    userDataDir: join(tmp, 'user-data'),
    extensionsDir: installedExtensions ?? join(tmp, 'extensions'),
    env: {
      BATCH_TUNER_TEST_LOG: suiteLog,
      BATCH_TUNER_TEST_UNTRUSTED: untrusted ? '1' : '0',
      // The extension installed from its VSIX runs in ExtensionMode.Production: no test API.
      BATCH_TUNER_TEST_INSTALLED: installedExtensions ? '1' : '0',
      ...(untrusted ? { BATCH_TUNER_TEST_MARKER: marker } : {}),
      ...(options.grep ? { BATCH_TUNER_TEST_GREP: options.grep } : {}),
    },
  });
  console.log(`[${label}] code-server ${server.url} ready in ${((Date.now() - started) / 1000).toFixed(1)} s; workspace ${workspace}`);
  browser = await launchChromium();
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });

  let resolveExit;
  const exited = new Promise((resolve) => {
    resolveExit = resolve;
  });
  await page.exposeFunction('codeAutomationLog', (type, args) => {
    const line = `[${type}] ${(Array.isArray(args) ? args : [args]).map((a) => (typeof a === 'string' ? a : JSON.stringify(a))).join(' ')}`;
    appendFileSync(workbenchLog, line + '\n');
    if (verbose) console.log(`[workbench] ${line}`);
  });
  await page.exposeFunction('codeAutomationExit', (code) => resolveExit(Number(code)));
  page.on('console', (message) => appendFileSync(workbenchLog, `[console.${message.type()}] ${message.text()}\n`));
  page.on('pageerror', (error) => appendFileSync(workbenchLog, `[pageerror] ${error.stack ?? error}\n`));
  page.on('crash', () => resolveExit(-2));

  pump = setInterval(pumpSuiteLog, 200);
  await page.goto(
    workbenchUrl(server, {
      folder: workspace,
      extensionDevelopmentPath: extensionPath ?? emptyDevelopmentExtension(),
      extensionTestsPath: join(suiteOutput, 'index.js'),
    }),
  );

  let timer;
  const timedOut = new Promise((resolve) => {
    timer = setTimeout(() => resolve(-1), timeoutMs);
  });
  const code = await Promise.race([exited, timedOut]);
  clearTimeout(timer);
  clearInterval(pump);
  pumpSuiteLog();
  if (code === -1) {
    console.error(`[${label}] the suite did not finish within ${timeoutMs / 1000} s`);
  } else if (code === -2) {
    console.error(`[${label}] the browser page crashed`);
  } else {
    exitCode = code;
  }
  if (untrusted && existsSync(marker)) {
    console.error(`[${label}] ${marker} exists: a command from the untrusted workspace's settings ran`);
    exitCode = 1;
  }
  if (!sawSummary) {
    // Nothing ran (the suite did not load, or VS Code never started it): show why.
    console.error(`[${label}] the suite printed no "N passed, N failed" line. code-server said:\n${server.output().slice(-4000)}`);
    exitCode ||= 1;
  }
} catch (error) {
  console.error(`[${label}] ${error instanceof Error ? error.stack : error}`);
  exitCode = 1;
} finally {
  clearInterval(pump);
  await cleanup({ keepLogs: exitCode !== 0 });
}
console.log(`[${label}] finished in ${((Date.now() - started) / 1000).toFixed(1)} s with exit code ${exitCode}`);
if (exitCode !== 0) console.log(`[${label}] logs kept in ${relative(repoRoot, logsCopy)}/ (workbench.log: the browser console; exthost*/: the extension host)`);
process.exit(exitCode);
