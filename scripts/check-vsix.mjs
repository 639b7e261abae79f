#!/usr/bin/env node
// Checks the packaged extension the way a user gets it: installs the VSIX into a fresh
// code-server extensions folder, checks what it ships, then runs the integration suite's
// activation tests against the installed copy (not the repository).
//   node scripts/check-vsix.mjs [path/to/batch-tuner.vsix]   default batch-tuner.vsix, made by `npm run package` when missing
//   node scripts/check-vsix.mjs --current                    packages the current build (dist/ as it is) into a temp VSIX
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ensureCodeServer, makeTempDir, repoRoot } from './code-server.mjs';

const { values: options, positionals } = parseArgs({ options: { current: { type: 'boolean' } }, allowPositionals: true });
const say = (line) => console.log(`[check-vsix] ${line}`);

function run(command, args, runOptions = {}) {
  const result = spawnSync(command, args, { cwd: repoRoot, stdio: 'inherit', ...runOptions });
  if (result.status !== 0) {
    console.error(`[check-vsix] "${command} ${args.join(' ')}" failed (exit ${result.status ?? result.signal})`);
    rmSync(tmp, { recursive: true, force: true });
    process.exit(1);
  }
}

const tmp = makeTempDir('batch-tuner-vsix-');
let vsix = resolve(positionals[0] ?? join(repoRoot, 'batch-tuner.vsix'));
if (options.current) {
  if (!existsSync(join(repoRoot, 'dist', 'extension.js'))) {
    console.error('[check-vsix] dist/extension.js is missing: run `npm run build` first.');
    process.exit(1);
  }
  vsix = join(tmp, 'batch-tuner.vsix');
  say('packaging the current build with vsce');
  // The same flags as `npm run package` (package.json), without its production rebuild.
  run(join(repoRoot, 'node_modules', '.bin', 'vsce'), [
    'package',
    '--no-dependencies',
    '--allow-missing-repository',
    '--no-rewrite-relative-links',
    '--out',
    vsix,
  ]);
} else if (!existsSync(vsix)) {
  say(`${relative(repoRoot, vsix)} is missing: packaging it (npm run package)`);
  run('npm', ['run', 'package']);
}

const paths = await ensureCodeServer();
let exitCode = 1;
try {
  const extensionsDir = join(tmp, 'extensions');
  const config = join(tmp, 'code-server-config.yaml');
  writeFileSync(config, 'auth: none\ncert: false\n');
  say(`installing ${relative(repoRoot, vsix) || vsix} into a fresh extensions folder`);
  run(paths.node, [paths.entry, '--config', config, '--user-data-dir', join(tmp, 'user-data'), '--extensions-dir', extensionsDir, '--install-extension', vsix]);

  const installed = readdirSync(extensionsDir).find((name) => name.startsWith('batch-tuner.batch-tuner-'));
  if (!installed) throw new Error(`the VSIX did not install as batch-tuner.batch-tuner (found: ${readdirSync(extensionsDir).join(', ')})`);
  const dir = join(extensionsDir, installed);
  const files = readdirSync(dir, { recursive: true }).map(String);
  const required = [
    'package.json',
    'dist/extension.js',
    'dist/trainer.js',
    'dist/cli.js',
    'dist/data/mnist.bin',
    'dist/tfjs-backend-wasm.wasm',
    'schemas/training-config.schema.json',
    'python/batch_tuner/__init__.py',
    'python/pyproject.toml',
  ];
  const missing = required.filter((f) => !files.includes(f));
  const unwanted = files.filter((f) => /\.map$|^src\/|^test\/|^node_modules\/|^scripts\/|^bench\/|^dist-test\//.test(f));
  if (missing.length) throw new Error(`the VSIX lacks: ${missing.join(', ')} (check .vscodeignore and the build)`);
  if (unwanted.length) throw new Error(`the VSIX ships files it should not: ${unwanted.slice(0, 10).join(', ')} (add them to .vscodeignore)`);
  say(`installed ${installed}: ${files.length} entries; required files present, no sources or maps`);

  // The suite's activation tests, run against the installed extension (no development path).
  const suite = spawn(process.execPath, ['test/integration/run-code-server.mjs', '--installed-extensions', extensionsDir, '--grep', '^Activation '], {
    cwd: repoRoot,
    stdio: 'inherit',
  });
  // Ctrl-C reaches the runner too (same process group); it stops its server, then we clean up.
  const ignore = () => undefined;
  process.on('SIGINT', ignore);
  process.on('SIGTERM', () => suite.kill('SIGTERM'));
  exitCode = await new Promise((resolveCode) => suite.on('close', (code) => resolveCode(code ?? 1)));
} catch (error) {
  console.error(`[check-vsix] ${error instanceof Error ? error.message : error}`);
} finally {
  rmSync(tmp, { recursive: true, force: true, maxRetries: 3 });
}
say(exitCode === 0 ? 'the VSIX installs and activates' : 'FAILED');
process.exit(exitCode);
