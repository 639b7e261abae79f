#!/usr/bin/env node
// `npm run lint` and the lint stage of `npm test`: ESLint (eslint.config.mjs: the layering, the
// size limits, the bug-catching rules) and Prettier's check (.prettierrc) over the repository.
// Prints every problem, then `N passed, N failed` counted in files (a file fails when either tool
// objects to it), the line scripts/test.mjs reads. Exits non-zero when anything failed.
import { execFile } from 'node:child_process';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** Prettier in a child process, so it runs on the second core while ESLint runs here. */
function prettierCheck() {
  // --list-different: one path per file that is not formatted; exit 1 for those, 2 for a file it cannot parse.
  const bin = join(repoRoot, 'node_modules', 'prettier', 'bin', 'prettier.cjs');
  const started = Date.now();
  return new Promise((resolvePromise) => {
    execFile(process.execPath, [bin, '--list-different', '.'], { cwd: repoRoot, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 2) : 0;
      resolvePromise({ code, stdout, stderr, seconds: (Date.now() - started) / 1000 });
    });
  });
}

const prettierRun = prettierCheck();
const started = Date.now();
const eslint = new ESLint({ cwd: repoRoot });
const results = await eslint.lintFiles(['.']);
const report = await (await eslint.loadFormatter('stylish')).format(results);
if (report) process.stdout.write(report);
const eslintSeconds = (Date.now() - started) / 1000;

const prettier = await prettierRun;
const unformatted = prettier.stdout.split('\n').filter(Boolean);
if (unformatted.length)
  console.log(`Prettier: ${unformatted.length} files not formatted (run \`npm run format\`):\n${unformatted.map((f) => `  ${f}`).join('\n')}`);
if (prettier.stderr) process.stderr.write(prettier.stderr);
const prettierFailed = prettier.code !== 0 && unformatted.length === 0; // it failed without naming a file

const failedFiles = new Set(unformatted);
for (const r of results) if (r.errorCount > 0 || r.fatalErrorCount > 0) failedFiles.add(relative(repoRoot, r.filePath));
const checked = new Set([...results.map((r) => relative(repoRoot, r.filePath)), ...unformatted]);
const errors = results.reduce((n, r) => n + r.errorCount, 0);
console.log(
  `[lint] eslint: ${errors} errors in ${results.filter((r) => r.errorCount > 0).length} of ${results.length} files (${eslintSeconds.toFixed(1)} s); ` +
    `prettier: ${unformatted.length} files not formatted (${prettier.seconds.toFixed(1)} s)`,
);
const failed = failedFiles.size + (prettierFailed ? 1 : 0);
console.log(`${checked.size - failedFiles.size} passed, ${failed} failed`);
process.exit(failed > 0 ? 1 : 0);
