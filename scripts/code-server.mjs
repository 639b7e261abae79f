// An offline, headless VS Code for the integration suite, the browser UI tests and
// `npm run sandbox`: code-server (VS Code served to a browser, with a real Node extension
// host) from the npm registry, run by Node 24 (also from the npm registry), driven by
// Chromium through playwright-core. See /work/shared/RECIPES.md section 1.
//
// The install is cached outside the clone (CI clones afresh each time) and reused. It is
// built in a temporary folder and renamed into place when complete, so a half-finished
// install is never used.
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { homedir, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { acquireLock } from './lock.mjs';

export const CODE_SERVER_VERSION = '4.139.1';
const NODE_MAJOR = '24';
export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** Where downloads are cached: $BATCH_TUNER_CACHE, else $XDG_CACHE_HOME/batch-tuner, else ~/.cache/batch-tuner. */
export function cacheRoot() {
  if (process.env.BATCH_TUNER_CACHE) return resolve(process.env.BATCH_TUNER_CACHE);
  return join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'batch-tuner');
}

export function codeServerPaths(root = join(cacheRoot(), `code-server-${CODE_SERVER_VERSION}`)) {
  return {
    root,
    node: join(root, 'node_modules', 'node', 'bin', 'node'),
    nodeBinDir: join(root, 'node_modules', '.bin'),
    entry: join(root, 'node_modules', 'code-server', 'out', 'node', 'entry.js'),
    marker: join(root, '.complete'),
  };
}

function run(command, args, { cwd, env, log }) {
  log(`[code-server] $ ${command} ${args.join(' ')}${cwd ? `   (in ${cwd})` : ''}`);
  const result = spawnSync(command, args, { cwd, env, stdio: ['ignore', 'inherit', 'inherit'] });
  if (result.status !== 0) {
    throw new Error(
      `"${command} ${args.join(' ')}" failed (exit ${result.status ?? result.signal}). ` +
        'Check the npm registry is reachable (npm ping) and that libkrb5-dev is installed, then run again.',
    );
  }
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * Installs code-server + Node 24 into the cache unless present. Returns codeServerPaths().
 * Takes ~3 minutes the first time, well under a second afterwards.
 */
export async function ensureCodeServer({ log = console.log } = {}) {
  const paths = codeServerPaths();
  if (existsSync(paths.marker)) return paths;

  const cache = cacheRoot();
  mkdirSync(cache, { recursive: true });
  // One installer at a time: a second one waits for the first instead of doing the work twice.
  const release = await acquireLock(join(cache, `.install-${CODE_SERVER_VERSION}.lock`), {
    staleMs: 20 * 60_000,
    log,
    waiting: '[code-server] another process is installing code-server; waiting…',
  });
  try {
    if (existsSync(paths.marker)) return paths;
    // Leftovers of an interrupted install are never used; remove them.
    for (const name of readdirSync(cache)) if (name.startsWith(`.tmp-code-server-`)) rmSync(join(cache, name), { recursive: true, force: true });
    if (existsSync(paths.root)) rmSync(paths.root, { recursive: true, force: true });

    const started = Date.now();
    const tmp = mkdtempSync(join(cache, `.tmp-code-server-${CODE_SERVER_VERSION}-`));
    const tmpPaths = codeServerPaths(tmp);
    log(`[code-server] installing code-server ${CODE_SERVER_VERSION} and Node ${NODE_MAJOR} into ${paths.root} (a few minutes, once)`);
    writeFileSync(join(tmp, 'package.json'), JSON.stringify({ name: 'batch-tuner-code-server', private: true }, null, 2));
    const npmFlags = ['--no-audit', '--no-fund', '--loglevel=error', '--save-exact'];
    const baseEnv = { ...process.env, npm_config_update_notifier: 'false' };
    run('npm', ['install', '--prefix', tmp, `node@${NODE_MAJOR}`, ...npmFlags], { env: baseEnv, log });
    // Node 24 first on the PATH for these commands only: code-server's own installs need it.
    const env24 = { ...baseEnv, PATH: `${tmpPaths.nodeBinDir}:${process.env.PATH}` };
    run('npm', ['install', '--prefix', tmp, `code-server@${CODE_SERVER_VERSION}`, '--ignore-scripts', ...npmFlags], { env: env24, log });
    const vscodeDir = join(tmp, 'node_modules', 'code-server', 'lib', 'vscode');
    run('npm', ['install', '--omit=dev', ...npmFlags], { cwd: vscodeDir, env: env24, log });
    run('npm', ['install', '--omit=dev', ...npmFlags], { cwd: join(vscodeDir, 'extensions'), env: env24, log });

    const version = spawnSync(tmpPaths.node, ['--version'], { encoding: 'utf8' }).stdout.trim();
    if (!version.startsWith(`v${NODE_MAJOR}.`)) throw new Error(`Node ${NODE_MAJOR} was not installed (got "${version}") under ${tmp}`);
    if (!existsSync(tmpPaths.entry)) throw new Error(`code-server's entry point is missing: ${tmpPaths.entry}`);
    writeFileSync(tmpPaths.marker, JSON.stringify({ codeServer: CODE_SERVER_VERSION, node: version, installedAt: new Date().toISOString() }) + '\n');
    renameSync(tmp, paths.root);
    log(`[code-server] installed in ${((Date.now() - started) / 1000).toFixed(0)} s`);
    return paths;
  } finally {
    release();
  }
}

// ---------------------------------------------------------------------------------------------
// Processes

/** A free TCP port on 127.0.0.1. */
export function freePort() {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolvePort(port));
    });
  });
}

/** Pids of every descendant of `pid` (children first found through /proc; Linux only). */
function descendants(pid) {
  if (!existsSync('/proc')) return [];
  const children = new Map();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      // Field 4 of /proc/PID/stat is the parent pid; the command name (field 2) may hold spaces.
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (!children.has(ppid)) children.set(ppid, []);
      children.get(ppid).push(Number(name));
    } catch {
      // the process ended while we looked
    }
  }
  const found = [];
  const stack = [pid];
  while (stack.length) {
    for (const child of children.get(stack.pop()) ?? []) {
      found.push(child);
      stack.push(child);
    }
  }
  return found;
}

function signal(pid, sig) {
  try {
    process.kill(pid, sig);
    return true;
  } catch {
    return false;
  }
}

function alive(pid) {
  if (!signal(pid, 0)) return false;
  try {
    // A zombie (state Z) has exited and only waits to be reaped.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return !existsSync('/proc/self'); // no /proc: trust kill(pid, 0)
  }
}

/**
 * Ends a process we started and everything under it: its process group (it was spawned
 * detached) and every descendant, including ones that left the group (an extension host's
 * trainer child started detached). SIGTERM first, SIGKILL after `graceMs`.
 */
export async function killProcessTree(pid, { graceMs = 3000 } = {}) {
  if (!pid) return;
  // Collect the tree before signalling: once the parent dies its children move to init.
  const tree = [pid, ...descendants(pid)];
  signal(-pid, 'SIGTERM');
  for (const p of tree) signal(p, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline && tree.some(alive)) await sleep(100);
  for (const p of [...tree, ...descendants(pid)]) signal(p, 'SIGKILL');
  signal(-pid, 'SIGKILL');
}

/** Synchronous last resort for exit handlers, where nothing async may run. */
export function killProcessTreeNow(pid) {
  if (!pid) return;
  const tree = [pid, ...descendants(pid)];
  signal(-pid, 'SIGKILL');
  for (const p of tree) signal(p, 'SIGKILL');
}

// ---------------------------------------------------------------------------------------------
// Workspace and user settings

/** A temp folder for one run; removed by the returned cleanup. */
export function makeTempDir(prefix = 'batch-tuner-') {
  return mkdtempSync(join(tmpdir(), prefix));
}

/**
 * A workspace folder for a test run: the fixture workspace (test/fixtures/workspace) plus
 * examples/ as a subfolder, and a README.md. Returns its absolute path.
 */
export function prepareWorkspace(parent, { fixture = join(repoRoot, 'test', 'fixtures', 'workspace'), examples = true } = {}) {
  const workspace = join(parent, 'workspace');
  mkdirSync(workspace, { recursive: true });
  if (existsSync(fixture)) cpSync(fixture, workspace, { recursive: true });
  if (examples && existsSync(join(repoRoot, 'examples'))) cpSync(join(repoRoot, 'examples'), join(workspace, 'examples'), { recursive: true });
  if (!existsSync(join(workspace, 'README.md'))) {
    writeFileSync(join(workspace, 'README.md'), '# Batch Tuner test workspace\n\nCreated for one test run; deleted afterwards.\n');
  }
  return workspace;
}

/** Settings that keep a test window quiet and offline. */
export const quietSettings = {
  'workbench.startupEditor': 'none',
  'workbench.tips.enabled': false,
  'workbench.welcomePage.walkthroughs.openOnInstall': false,
  'workbench.enableExperiments': false,
  'telemetry.telemetryLevel': 'off',
  'update.mode': 'none',
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'extensions.ignoreRecommendations': true,
  'security.workspace.trust.startupPrompt': 'never',
  'security.workspace.trust.banner': 'never',
  'security.workspace.trust.emptyWindow': false,
  'git.enabled': false,
  'chat.disableAIFeatures': true,
  'workbench.secondarySideBar.defaultVisibility': 'hidden',
};

/** Writes the user settings.json of a code-server user-data-dir (merged over quietSettings). */
export function writeUserSettings(userDataDir, settings = {}) {
  const dir = join(userDataDir, 'User');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'settings.json'), JSON.stringify({ ...quietSettings, ...settings }, null, 2) + '\n');
}

// ---------------------------------------------------------------------------------------------
// Server

/**
 * Starts code-server. Options:
 *   workspace      folder opened by default
 *   trusted        true (default): Workspace Trust is disabled, so every folder is trusted;
 *                  false: trust stays on and the folder opens in Restricted Mode
 *   userDataDir, extensionsDir   temp folders (created when omitted)
 *   settings       user settings merged over quietSettings
 *   env            extra environment for the server and its extension host
 *   port           default: a free one
 *   quiet          true (default): the server's own log is kept, and shown only on failure
 * Returns { url, port, userDataDir, extensionsDir, process, output(), stop() }.
 */
export async function startCodeServer({
  workspace,
  trusted = true,
  userDataDir,
  extensionsDir,
  settings = {},
  env = {},
  port,
  quiet = true,
  log = console.log,
} = {}) {
  const paths = await ensureCodeServer({ log });
  port ??= await freePort();
  const tmpParent = userDataDir && extensionsDir ? undefined : makeTempDir('batch-tuner-code-server-');
  userDataDir ??= join(tmpParent, 'user-data');
  extensionsDir ??= join(tmpParent, 'extensions');
  mkdirSync(extensionsDir, { recursive: true });
  writeUserSettings(userDataDir, settings);
  // Its own config file, so nothing is written to ~/.config/code-server.
  const configFile = join(userDataDir, 'code-server-config.yaml');
  writeFileSync(configFile, 'auth: none\ncert: false\n');

  const args = [
    paths.entry,
    '--config',
    configFile,
    '--auth',
    'none',
    '--bind-addr',
    `127.0.0.1:${port}`,
    '--disable-telemetry',
    '--disable-update-check',
    '--disable-getting-started-override',
    '--user-data-dir',
    userDataDir,
    '--extensions-dir',
    extensionsDir,
    // Exposes window.driver and the codeAutomationLog/codeAutomationExit hooks the runner uses.
    '--vscode-option',
    'enable-smoke-test-driver',
    ...(trusted ? ['--disable-workspace-trust'] : []),
    ...(workspace ? [workspace] : []),
  ];
  // Detached: its own process group, so stop() can end the server and its extension host together.
  const child = spawn(paths.node, args, {
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env, NODE_OPTIONS: '' },
  });
  const output = [];
  const onData = (chunk) => {
    const text = chunk.toString();
    output.push(text);
    if (output.length > 2000) output.splice(0, 1000);
    if (!quiet) process.stdout.write(text.replace(/^/gm, '[code-server] '));
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  const exitHandler = () => killProcessTreeNow(child.pid);
  process.on('exit', exitHandler);

  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    process.off('exit', exitHandler);
    await killProcessTree(child.pid);
    if (tmpParent) rmSync(tmpParent, { recursive: true, force: true, maxRetries: 3 });
  };

  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 90_000;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      await stop();
      throw new Error(`code-server exited (${child.exitCode ?? child.signalCode}) before it was ready:\n${output.join('')}`);
    }
    try {
      const response = await fetch(`${url}/healthz`);
      if (response.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`code-server did not answer on ${url} within 90 s:\n${output.join('')}`);
    }
    await sleep(200);
  }
  return { url, port, userDataDir, extensionsDir, process: child, output: () => output.join(''), stop };
}

/**
 * The workbench URL for a folder, optionally with the extension under development and the
 * Mocha suite to run in its extension host (the payload VS Code's own web tests use).
 */
export function workbenchUrl(server, { folder, extensionDevelopmentPath, extensionTestsPath } = {}) {
  const remote = (p) => `vscode-remote://127.0.0.1:${server.port}${resolve(p)}`;
  const payload = [];
  if (extensionDevelopmentPath) payload.push(['extensionDevelopmentPath', remote(extensionDevelopmentPath)]);
  if (extensionTestsPath) payload.push(['extensionTestsPath', remote(extensionTestsPath)]);
  const query = new URLSearchParams();
  if (folder) query.set('folder', resolve(folder));
  if (payload.length) query.set('payload', JSON.stringify(payload));
  return `${server.url}/?${query.toString()}`;
}

// ---------------------------------------------------------------------------------------------
// Browser

export const chromiumArgs = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-dev-shm-usage',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--no-default-browser-check',
];

/** Launches Chromium through playwright-core (headless unless HEADFUL=1). */
export async function launchChromium({ headless = process.env.HEADFUL !== '1' } = {}) {
  const { findChromium } = await import('./setup-system.mjs');
  const executablePath = findChromium();
  if (!executablePath) throw new Error('Chromium was not found: install it (apt-get install chromium) or set CHROME_PATH to a Chromium/Chrome binary.');
  const { chromium } = await import('playwright-core');
  return chromium.launch({ executablePath, headless, args: chromiumArgs });
}

// `node scripts/code-server.mjs` installs (or finds) it. No top-level await: tests import this file.
if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const started = Date.now();
  ensureCodeServer().then(
    (paths) => console.log(`[code-server] ready at ${paths.root} (${Date.now() - started} ms)`),
    (error) => {
      console.error(`[code-server] ${error instanceof Error ? error.message : error}`);
      process.exit(1);
    },
  );
}
