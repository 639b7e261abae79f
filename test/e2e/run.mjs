#!/usr/bin/env node
// Runs the browser-driven UI tests (test/e2e/**/*.e2e.mjs), one file at a time (2 cores), each
// as its own node process, with its output streamed. A file may print `N passed, N failed`,
// or use node:test (its `pass N`/`fail N` summary is read), or just exit 0/1 (one test).
// Prints the combined `N passed, N failed` last; exits 1 when anything failed.
// They start their own code-server through ./harness.mjs.
//   node test/e2e/run.mjs [files...]
import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { repoRoot } from '../../scripts/code-server.mjs';
import { nodeTestCounts, stageResult, summaryLineCounts } from '../../scripts/test-summary.mjs';

const FILE_TIMEOUT_MS = 10 * 60_000;
const dir = join(repoRoot, 'test', 'e2e');
const files = process.argv.slice(2).length
  ? process.argv.slice(2)
  : readdirSync(dir, { recursive: true })
      .filter((f) => f.endsWith('.e2e.mjs'))
      .sort()
      .map((f) => relative(repoRoot, join(dir, f)));
if (!existsSync(join(repoRoot, 'dist', 'extension.js'))) {
  console.error('[e2e] dist/extension.js is missing: run `npm run build` first.');
  process.exit(1);
}

let current;
process.once('SIGINT', () => current?.kill('SIGINT'));
process.once('SIGTERM', () => current?.kill('SIGTERM'));

function runFile(file) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [file], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
    current = child;
    let output = '';
    child.stdout.on('data', (d) => {
      output += d;
      process.stdout.write(d);
    });
    child.stderr.on('data', (d) => {
      output += d;
      process.stderr.write(d);
    });
    // The file's harness stops its code-server and browser on SIGTERM.
    const timer = setTimeout(() => {
      console.error(`[e2e] ${file} ran over ${FILE_TIMEOUT_MS / 60_000} min: stopping it`);
      child.kill('SIGTERM');
    }, FILE_TIMEOUT_MS);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? 1, output });
    });
  });
}

let passed = 0;
let failed = 0;
for (const file of files) {
  console.log(`\n[e2e] ${file}`);
  const started = Date.now();
  const { code, output } = await runFile(file);
  const result = stageResult({ code, counts: summaryLineCounts(output) ?? nodeTestCounts(output) });
  passed += result.passed;
  failed += result.failed;
  console.log(
    `[e2e] ${file}: ${result.ok ? 'ok' : 'FAILED'} — ${result.passed} passed, ${result.failed} failed (${((Date.now() - started) / 1000).toFixed(1)} s)`,
  );
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed > 0 ? 1 : 0);
