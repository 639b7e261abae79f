#!/usr/bin/env node
// `npm test`: every test this project has, in order, with each stage's output streamed.
//   1. setup        system packages (Chromium, libkrb5-dev) + the cached code-server + the cached Python venv (torch 2.x)
//   2. build        the bundles (scripts/build.mjs) + the integration suite (scripts/build-tests.mjs)
//   3. lint         ESLint (layering, size limits, bug rules) + Prettier's check: scripts/lint.mjs,
//                   counted in files (a file with a problem is one failure)
//   4. unit         node's test runner over test/unit/**/*.test.ts (via tsx)
//   5. integration  the Mocha suite inside a real VS Code (code-server + Chromium), trusted workspace
//   6. integration (untrusted)  the suite's `[untrusted]` tests in a Restricted Mode workspace
//   7. vsix         the current build packaged with vsce, installed into code-server, activated
//   8. e2e          browser-driven UI tests, test/e2e/*.e2e.mjs, if any
//   9. bench smoke  `node bench/tuner.mjs --smoke`, if bench/tuner.mjs exists
// Ends with a table of stages and, as the last line, the combined `N passed, N failed`.
// Exits non-zero when anything failed.
//
// Options: --only=unit,integration (comma-separated stage ids: setup, build, lint, unit,
// integration, untrusted, vsix, e2e, bench); setup and build always run unless --no-build.
import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { buildTests } from './build-tests.mjs';
import { ensureCodeServer, killProcessTree, killProcessTreeNow, repoRoot } from './code-server.mjs';
import { ensureSystemPackages } from './setup-system.mjs';
import { ensurePythonEnv } from './setup-python.mjs';
import { nodeTestCounts, stageResult, summaryLineCounts } from './test-summary.mjs';

const { values: options } = parseArgs({
  options: { only: { type: 'string' }, 'no-build': { type: 'boolean' } },
});
const only = options.only ? new Set(options.only.split(',').map((s) => s.trim())) : undefined;
const wanted = (id) => !only || only.has(id);

const STAGE_TIMEOUT_MS = 20 * 60_000;
const results = [];
const overallStart = Date.now();

function banner(title) {
  console.log(`\n${'='.repeat(8)} ${title} ${'='.repeat(Math.max(4, 70 - title.length))}`);
}

function fmtSeconds(ms) {
  return `${(ms / 1000).toFixed(1)} s`;
}

/** Files under `dir` whose names end with `suffix`, relative to the repo, sorted. */
function findFiles(dir, suffix) {
  const abs = join(repoRoot, dir);
  if (!existsSync(abs)) return [];
  return readdirSync(abs, { recursive: true })
    .filter((f) => f.endsWith(suffix) && !f.split('/').includes('node_modules'))
    .map((f) => relative(repoRoot, join(abs, f)))
    .sort();
}

let current; // the running child, ended on Ctrl-C
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.once(sig, () => {
    if (current?.pid) killProcessTreeNow(current.pid);
    process.exit(130);
  });
}

/** Runs a command with its output streamed through and captured. Resolves { code, output }. */
function runStreamed(command, args, { env } = {}) {
  return new Promise((resolve) => {
    const child = spawn(command, args, {
      cwd: repoRoot,
      env: { ...process.env, FORCE_COLOR: '0', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true, // its own process group, so a timeout ends everything it started
    });
    current = child;
    let output = '';
    const onData = (stream) => (chunk) => {
      output += chunk.toString();
      if (output.length > 4_000_000) output = output.slice(-2_000_000);
      stream.write(chunk);
    };
    child.stdout.on('data', onData(process.stdout));
    child.stderr.on('data', onData(process.stderr));
    const timer = setTimeout(() => {
      console.error(`[test] "${command} ${args.join(' ')}" ran over ${STAGE_TIMEOUT_MS / 60_000} min: stopping it`);
      void killProcessTree(child.pid);
    }, STAGE_TIMEOUT_MS);
    child.on('error', (error) => {
      output += String(error);
      console.error(`[test] could not start ${command}: ${error.message}`);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      current = undefined;
      resolve({ code: code ?? (signal ? 128 : 1), output });
    });
  });
}

/** Records a stage (counts: see stageResult) and prints its line. */
function record(id, name, started, { code, counts, note }) {
  const { ok, passed, failed } = stageResult({ code, counts });
  const result = { id, name, ok, passed, failed, ms: Date.now() - started, note };
  results.push(result);
  console.log(`[test] ${name}: ${result.ok ? 'ok' : 'FAILED'} — ${passed} passed, ${failed} failed (${fmtSeconds(result.ms)})`);
  return result;
}

function skip(id, name, note) {
  results.push({ id, name, ok: true, skipped: true, passed: 0, failed: 0, ms: 0, note });
}

// 1. setup -----------------------------------------------------------------------------------
let haveBrowserHost = true;
{
  banner('setup: system packages + code-server');
  const started = Date.now();
  let code = 0;
  let note;
  const system = ensureSystemPackages();
  if (!system.ok) {
    console.error(`[setup] ${system.message}`);
    code = 1;
    note = `missing: ${system.missing.join(', ')}`;
    if (system.missing.includes('chromium')) haveBrowserHost = false;
  }
  try {
    const paths = await ensureCodeServer();
    console.log(`[setup] code-server: ${paths.root}`);
  } catch (error) {
    console.error(`[setup] ${error instanceof Error ? error.message : error}`);
    haveBrowserHost = false;
    code = 1;
    note = 'code-server install failed';
  }
  // The PyTorch / Hugging Face / Lightning tests need the venv; without it they skip (counted as not run).
  const py = await ensurePythonEnv();
  if (!py.ok) {
    console.error(`[setup] ${py.message}`);
    note = [note, `python venv: ${py.missing.join(', ')} (PyTorch tests not run)`].filter(Boolean).join('; ');
  }
  record('setup', 'setup', started, { code, counts: code ? undefined : { passed: 0, failed: 0 }, note });
}

// 2. build -----------------------------------------------------------------------------------
let built = true;
if (!options['no-build']) {
  banner('build');
  const started = Date.now();
  const build = await runStreamed(process.execPath, ['scripts/build.mjs']);
  let code = build.code;
  if (code === 0) {
    try {
      const files = await buildTests();
      console.log(`[build] integration suite: ${files.length} files -> dist-test/integration/suite`);
    } catch (error) {
      console.error(`[build] integration suite: ${error instanceof Error ? error.message : error}`);
      code = 1;
    }
  }
  built = code === 0;
  record('build', 'build', started, { code, counts: { passed: 0, failed: 0 } });
}

// 3. lint ------------------------------------------------------------------------------------
if (wanted('lint')) {
  banner('lint: eslint + prettier --check');
  const started = Date.now();
  const run = await runStreamed(process.execPath, ['scripts/lint.mjs']);
  record('lint', 'lint', started, { code: run.code, counts: summaryLineCounts(run.output) });
}

// 4. unit ------------------------------------------------------------------------------------
if (wanted('unit')) {
  const files = findFiles('test/unit', '.test.ts');
  if (files.length === 0) {
    skip('unit', 'unit', 'no test/unit/**/*.test.ts');
  } else {
    banner(`unit: ${files.length} files`);
    const started = Date.now();
    // Node 20's --test takes no globs: the files are listed. Two files at a time (the CI machine has
    // 2 cores): most of the time goes to real studies, bounded by their wall-clock budgets, so two
    // at once halve the stage (~25 min one at a time). BATCH_TUNER_TEST_CONCURRENCY=1 for a quiet run.
    const concurrency = Number(process.env.BATCH_TUNER_TEST_CONCURRENCY) || 2;
    const run = await runStreamed(process.execPath, ['--import', 'tsx', '--test', `--test-concurrency=${concurrency}`, '--test-reporter=spec', ...files]);
    record('unit', 'unit', started, { code: run.code, counts: nodeTestCounts(run.output) });
  }
}

// 5./6. integration ----------------------------------------------------------------------------
for (const untrusted of [false, true]) {
  const id = untrusted ? 'untrusted' : 'integration';
  const name = untrusted ? 'integration (untrusted)' : 'integration';
  if (!wanted(id)) continue;
  if (!built || !haveBrowserHost) {
    record(id, name, Date.now(), { code: 1, note: !built ? 'not run: the build failed' : 'not run: no code-server/Chromium' });
    continue;
  }
  banner(name);
  const started = Date.now();
  const run = await runStreamed(process.execPath, ['test/integration/run-code-server.mjs', ...(untrusted ? ['--untrusted'] : [])]);
  record(id, name, started, { code: run.code, counts: summaryLineCounts(run.output) });
}

// 7. vsix ------------------------------------------------------------------------------------
if (wanted('vsix')) {
  if (!built || !haveBrowserHost) {
    record('vsix', 'vsix install + activation', Date.now(), { code: 1, note: 'not run: build or browser host missing' });
  } else {
    banner('vsix: package, install into code-server, activate');
    const started = Date.now();
    const run = await runStreamed(process.execPath, ['scripts/check-vsix.mjs', '--current']);
    record('vsix', 'vsix install + activation', started, { code: run.code, counts: summaryLineCounts(run.output) });
  }
}

// 8. e2e -------------------------------------------------------------------------------------
if (wanted('e2e')) {
  const files = findFiles('test/e2e', '.e2e.mjs');
  if (files.length === 0) {
    skip('e2e', 'e2e', 'no test/e2e/*.e2e.mjs');
  } else if (!built || !haveBrowserHost) {
    record('e2e', 'e2e', Date.now(), { code: 1, note: 'not run: build or browser host missing' });
  } else {
    banner(`e2e: ${files.length} files`);
    const started = Date.now();
    const run = await runStreamed(process.execPath, ['test/e2e/run.mjs']);
    record('e2e', 'e2e', started, { code: run.code, counts: summaryLineCounts(run.output) });
  }
}

// 9. bench smoke -----------------------------------------------------------------------------
if (wanted('bench')) {
  if (!existsSync(join(repoRoot, 'bench', 'tuner.mjs'))) {
    skip('bench', 'bench smoke', 'no bench/tuner.mjs');
  } else if (!built) {
    record('bench', 'bench smoke', Date.now(), { code: 1, note: 'not run: the build failed' });
  } else {
    banner('bench smoke: node bench/tuner.mjs --smoke');
    const started = Date.now();
    const run = await runStreamed(process.execPath, ['bench/tuner.mjs', '--smoke']);
    record('bench', 'bench smoke', started, { code: run.code, counts: summaryLineCounts(run.output) });
  }
}

// summary ------------------------------------------------------------------------------------
banner('summary');
let passed = 0;
let failed = 0;
for (const r of results) {
  passed += r.passed;
  failed += r.failed;
  const status = r.skipped ? 'skipped' : r.ok ? 'ok' : 'FAILED';
  const counts = r.skipped ? '' : `${r.passed} passed, ${r.failed} failed`;
  console.log(`  ${r.name.padEnd(26)} ${status.padEnd(8)} ${counts.padEnd(24)} ${fmtSeconds(r.ms).padStart(8)}${r.note ? `  (${r.note})` : ''}`);
}
console.log(`  ${'total'.padEnd(26)} ${''.padEnd(8)} ${''.padEnd(24)} ${fmtSeconds(Date.now() - overallStart).padStart(8)}`);
console.log(`${passed} passed, ${failed} failed`);
process.exit(results.every((r) => r.ok) ? 0 : 1);
