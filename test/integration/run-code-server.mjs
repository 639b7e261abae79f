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
import { closeSync, existsSync, mkdirSync, openSync, readSync, rmSync, statSync, writeFileSync, appendFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { buildTests, suiteOutput } from '../../scripts/build-tests.mjs';
import {
  launchChromium, makeTempDir, prepareWorkspace, repoRoot, startCodeServer, workbenchUrl,
} from '../../scripts/code-server.mjs';

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
const extensionPath = options['installed-extensions'] ? undefined : resolve(options['extension-path'] ?? repoRoot);
const untrusted = options.untrusted || process.env.BATCH_TUNER_TEST_UNTRUSTED === '1';
const timeoutMs = Number(process.env.BATCH_TUNER_TEST_TIMEOUT_S || 600) * 1000;
const verbose = process.env.BATCH_TUNER_TEST_VERBOSE === '1';
const label = untrusted ? 'integration (untrusted)' : 'integration';

function fail(message) {
  console.error(`[${label}] ${message}`);
  process.exit(1);
}

if (extensionPath && !existsSync(join(extensionPath, 'dist', 'extension.js'))) fail(`${join(extensionPath, 'dist', 'extension.js')} is missing: run \`npm run build\` first.`);
await buildTests();

const resultsDir = join(repoRoot, 'test-results');
mkdirSync(resultsDir, { recursive: true });
const workbenchLog = join(resultsDir, untrusted ? 'integration-untrusted-workbench.log' : 'integration-workbench.log');
writeFileSync(workbenchLog, '');

const tmp = makeTempDir('batch-tuner-integration-');
const workspace = prepareWorkspace(tmp);
const suiteLog = join(tmp, 'suite.log');
writeFileSync(suiteLog, '');

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
async function cleanup() {
  if (cleanedUp) return;
  cleanedUp = true;
  try { pumpSuiteLog(); } catch { /* the temp dir may be gone */ }
  await browser?.close().catch(() => undefined);
  await server?.stop().catch(() => undefined);
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
    extensionsDir: options['installed-extensions'] ? resolve(options['installed-extensions']) : join(tmp, 'extensions'),
    env: {
      BATCH_TUNER_TEST_LOG: suiteLog,
      BATCH_TUNER_TEST_UNTRUSTED: untrusted ? '1' : '0',
      ...(options.grep ? { BATCH_TUNER_TEST_GREP: options.grep } : {}),
    },
  });
  console.log(`[${label}] code-server ${server.url} ready in ${((Date.now() - started) / 1000).toFixed(1)} s; workspace ${workspace}`);
  browser = await launchChromium();
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });

  let resolveExit;
  const exited = new Promise((resolve) => { resolveExit = resolve; });
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
  await page.goto(workbenchUrl(server, {
    folder: workspace,
    extensionDevelopmentPath: extensionPath,
    extensionTestsPath: join(suiteOutput, 'index.js'),
  }));

  let timer;
  const timedOut = new Promise((resolve) => { timer = setTimeout(() => resolve(-1), timeoutMs); });
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
  if (!sawSummary) {
    // Nothing ran (the suite did not load, or VS Code never started it): show why.
    console.error(`[${label}] the suite printed no "N passed, N failed" line. code-server said:\n${server.output().slice(-4000)}`);
    console.error(`[${label}] workbench log: ${workbenchLog}`);
    exitCode ||= 1;
  }
} catch (error) {
  console.error(`[${label}] ${error instanceof Error ? error.stack : error}`);
  exitCode = 1;
} finally {
  clearInterval(pump);
  await cleanup();
}
console.log(`[${label}] finished in ${((Date.now() - started) / 1000).toFixed(1)} s with exit code ${exitCode}`);
if (exitCode !== 0) console.log(`[${label}] workbench log kept in ${workbenchLog}`);
process.exit(exitCode);
