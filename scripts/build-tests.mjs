// Compiles the integration suite (test/integration/suite/**/*.ts) to dist-test/integration/suite/
// for a VS Code extension host: one CommonJS bundle per file, `vscode` provided by the host.
// Mocha is bundled into index.js only; a test file that imports from 'mocha' gets the globals
// (suite, test, ...) that index.js's Mocha installs, so there is a single Mocha instance.
import * as esbuild from 'esbuild';
import { readdirSync, rmSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
export const suiteSource = join(root, 'test', 'integration', 'suite');
export const suiteOutput = join(root, 'dist-test', 'integration', 'suite');

const mochaGlobals = {
  name: 'mocha-globals',
  setup(build) {
    build.onResolve({ filter: /^mocha$/ }, (args) =>
      args.importer.endsWith(join('suite', 'index.ts')) ? undefined : { path: 'mocha', namespace: 'mocha-globals' },
    );
    build.onLoad({ filter: /.*/, namespace: 'mocha-globals' }, () => ({
      contents: ['suite', 'test', 'suiteSetup', 'suiteTeardown', 'setup', 'teardown', 'describe', 'it', 'before', 'after', 'beforeEach', 'afterEach']
        .map((name) => `exports.${name} = (...args) => globalThis.${name}(...args);`)
        .join('\n'),
      loader: 'js',
    }));
  },
};

export async function buildTests() {
  const entryPoints = readdirSync(suiteSource, { recursive: true })
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))
    .map((f) => join(suiteSource, f));
  rmSync(suiteOutput, { recursive: true, force: true });
  await esbuild.build({
    entryPoints,
    outdir: suiteOutput,
    outbase: suiteSource,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    sourcemap: 'linked',
    external: ['vscode'],
    plugins: [mochaGlobals],
    logLevel: 'warning',
    // mocha's optional reporters, loaders and parallel mode (unused here) resolve files at run time.
    logOverride: { 'unsupported-require-call': 'silent', 'unsupported-dynamic-import': 'silent', 'require-resolve-not-external': 'silent' },
  });
  return entryPoints.map((e) => relative(root, e));
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const started = Date.now();
  buildTests().then(
    (built) => console.log(`[build-tests] ${built.length} files -> ${relative(root, suiteOutput)} (${Date.now() - started} ms)`),
    () => process.exit(1), // esbuild has printed the errors
  );
}
