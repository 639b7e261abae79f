#!/usr/bin/env node
// Runs the browser-driven UI tests (test/e2e/**/*.e2e.mjs) with node's test runner, one file
// at a time. A file may use node:test (each test is counted) or be a plain script that exits
// 0 or 1 (counted as one test). They start their own code-server through ./harness.mjs.
//   node test/e2e/run.mjs [files...]
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { repoRoot } from '../../scripts/code-server.mjs';

const dir = join(repoRoot, 'test', 'e2e');
const files = process.argv.slice(2).length
  ? process.argv.slice(2)
  : readdirSync(dir, { recursive: true }).filter((f) => f.endsWith('.e2e.mjs')).sort().map((f) => relative(repoRoot, join(dir, f)));
if (!existsSync(join(repoRoot, 'dist', 'extension.js'))) {
  console.error('[e2e] dist/extension.js is missing: run `npm run build` first.');
  process.exit(1);
}
if (files.length === 0) {
  console.log('[e2e] no test/e2e/*.e2e.mjs files');
  process.exit(0);
}
const result = spawnSync(
  process.execPath,
  ['--test', '--test-concurrency=1', '--test-reporter=spec', '--test-timeout=600000', ...files],
  { cwd: repoRoot, stdio: 'inherit' },
);
process.exit(result.status ?? 1);
