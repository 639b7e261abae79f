// The machinery `npm test` stands on: counting results from the runners' real output,
// ending process trees, the code-server cache, the workbench URL, the system-package check.
import * as assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
// @ts-expect-error: plain .mjs build scripts, no type declarations
import { CODE_SERVER_VERSION, ensureCodeServer, killProcessTree, workbenchUrl } from '../../scripts/code-server.mjs';
// @ts-expect-error: plain .mjs build scripts, no type declarations
import { acquireLock, isStaleLock } from '../../scripts/lock.mjs';
// @ts-expect-error: plain .mjs build scripts, no type declarations
import { missingDebianPackages } from '../../scripts/setup-system.mjs';
// @ts-expect-error: plain .mjs build scripts, no type declarations
import { nodeTestCounts, stageResult, summaryLineCounts } from '../../scripts/test-summary.mjs';

/** Running (not exited, not a zombie waiting to be reaped). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  const stat = existsSync(`/proc/${pid}/stat`) ? readFileSync(`/proc/${pid}/stat`, 'utf8') : '';
  return !/\) Z /.test(stat);
}

test('counts come from the real output of node --test', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bt-harness-'));
  try {
    const file = join(dir, 'sample.test.mjs');
    writeFileSync(
      file,
      [
        "import { test } from 'node:test';",
        "test('one', () => {});",
        "test('two', () => {});",
        "test('three fails', () => { throw new Error('on purpose'); });",
      ].join('\n'),
    );
    // Without NODE_TEST_CONTEXT: with it, the inner runner would report to this one instead.
    const env = { ...process.env };
    delete env.NODE_TEST_CONTEXT;
    const run = spawnSync(process.execPath, ['--test', '--test-reporter=spec', file], { encoding: 'utf8', env });
    assert.notEqual(run.status, 0);
    assert.deepEqual(nodeTestCounts(run.stdout), { passed: 2, failed: 1 });
    const tap = spawnSync(process.execPath, ['--test', '--test-reporter=tap', file], { encoding: 'utf8', env });
    assert.deepEqual(nodeTestCounts(tap.stdout), { passed: 2, failed: 1 });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the last "N passed, N failed" line wins; a crash without counts is a failure', () => {
  const output = 'Activation\n  ✓ a\n3 passed, 0 failed\nsecond run\n5 passed, 2 failed\n[integration] done\n';
  assert.deepEqual(summaryLineCounts(output), { passed: 5, failed: 2 });
  assert.equal(summaryLineCounts('no summary here'), undefined);
  assert.deepEqual(stageResult({ code: 1, counts: undefined }), { ok: false, passed: 0, failed: 1 });
  assert.deepEqual(stageResult({ code: 1, counts: { passed: 4, failed: 0 } }), { ok: false, passed: 4, failed: 1 });
  assert.deepEqual(stageResult({ code: 0, counts: { passed: 7, failed: 0 } }), { ok: true, passed: 7, failed: 0 });
  assert.deepEqual(stageResult({ code: 0, counts: undefined }), { ok: true, passed: 1, failed: 0 });
});

test('killProcessTree ends a process, its children and a child that left its group', async () => {
  // parent -> child (same group) and grandchild started detached (its own group), like a trainer.
  const script = `
    const { spawn } = require('node:child_process');
    const child = spawn('sleep', ['60'], { stdio: 'ignore' });
    const escaped = spawn('sleep', ['60'], { stdio: 'ignore', detached: true });
    console.log(JSON.stringify([child.pid, escaped.pid]));
    setInterval(() => {}, 1000);
  `;
  const parent = spawn(process.execPath, ['-e', script], { detached: true, stdio: ['ignore', 'pipe', 'inherit'] });
  const pids: number[] = await new Promise((resolve) => parent.stdout.once('data', (d) => resolve(JSON.parse(String(d)))));
  const all = [parent.pid!, ...pids];
  assert.ok(all.every(alive), 'the tree did not start');
  await killProcessTree(parent.pid, { graceMs: 1000 });
  // Killed children are reaped by their (dead) parent's adopter; give that a moment.
  const deadline = Date.now() + 3000;
  while (Date.now() < deadline && all.some(alive)) await new Promise((r) => setTimeout(r, 50));
  assert.deepEqual(all.filter(alive), [], 'processes survived killProcessTree');
});

test("the install lock (scripts/lock.mjs, code-server's and the Python environment's): one holder at a time; a dead owner's or an old lock is taken over", async () => {
  type Release = () => void;
  const take = acquireLock as (lock: string, o: { staleMs: number; log?: (m: string) => void; waiting?: string; pollMs?: number }) => Promise<Release>;
  const stale = isStaleLock as (lock: string, staleMs: number) => boolean;
  const dir = mkdtempSync(join(tmpdir(), 'bt-lock-'));
  const lock = join(dir, 'install.lock');
  try {
    const logs: string[] = [];
    const first = await take(lock, { staleMs: 60_000, pollMs: 20 });
    assert.equal(readFileSync(join(lock, 'pid'), 'utf8'), String(process.pid));
    // A second installer waits while the owner (this live process) holds it, and gets it once released.
    const second: { release?: Release } = {};
    const waiting = take(lock, { staleMs: 60_000, log: (m) => logs.push(m), waiting: 'waiting for the other', pollMs: 20 }).then((r) => (second.release = r));
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(second.release, undefined, 'taken while held');
    assert.ok(logs.includes('waiting for the other'));
    first();
    (await waiting)();
    assert.ok(!existsSync(lock));
    // The owner died (its pid names no process): taken over at once, nothing waited for.
    const gone = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout;
    mkdirSync(lock);
    writeFileSync(join(lock, 'pid'), gone);
    assert.equal(stale(lock, 60_000), true);
    (await take(lock, { staleMs: 60_000, log: () => assert.fail('waited for a dead owner') }))();
    // No pid (an owner between mkdir and writing it): by age.
    mkdirSync(lock);
    assert.equal(stale(lock, 60_000), false);
    const old = new Date(Date.now() - 120_000);
    utimesSync(lock, old, old);
    assert.equal(stale(lock, 60_000), true);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the code-server cache: a completed install is reused at once; leftovers of an interrupted one are ignored', async () => {
  const cache = mkdtempSync(join(tmpdir(), 'bt-cache-'));
  const saved = process.env.BATCH_TUNER_CACHE;
  process.env.BATCH_TUNER_CACHE = cache;
  try {
    const root = join(cache, `code-server-${CODE_SERVER_VERSION}`);
    mkdirSync(root, { recursive: true });
    writeFileSync(join(root, '.complete'), '{}\n');
    // A leftover of an interrupted install next to it must not matter.
    mkdirSync(join(cache, `.tmp-code-server-${CODE_SERVER_VERSION}-x`), { recursive: true });
    const started = Date.now();
    const paths = await ensureCodeServer({ log: () => undefined });
    assert.ok(Date.now() - started < 1000, 'a present install should be found in well under a second');
    assert.equal(paths.root, root);
    assert.equal(paths.entry, join(root, 'node_modules', 'code-server', 'out', 'node', 'entry.js'));
    assert.equal(paths.marker, join(root, '.complete'));
  } finally {
    if (saved === undefined) delete process.env.BATCH_TUNER_CACHE;
    else process.env.BATCH_TUNER_CACHE = saved;
    rmSync(cache, { recursive: true, force: true });
  }
});

test('the workbench URL carries the extension and the suite as vscode-remote paths', () => {
  const url = new URL(
    workbenchUrl(
      { url: 'http://127.0.0.1:4567', port: 4567 },
      {
        folder: '/tmp/ws dir',
        extensionDevelopmentPath: '/repo',
        extensionTestsPath: '/repo/dist-test/integration/suite/index.js',
      },
    ),
  );
  assert.equal(url.searchParams.get('folder'), '/tmp/ws dir');
  assert.deepEqual(JSON.parse(url.searchParams.get('payload')!), [
    ['extensionDevelopmentPath', 'vscode-remote://127.0.0.1:4567/repo'],
    ['extensionTestsPath', 'vscode-remote://127.0.0.1:4567/repo/dist-test/integration/suite/index.js'],
  ]);
});

test('the system-package check names what is missing', () => {
  const missing: string[] = missingDebianPackages(['coreutils', 'batch-tuner-no-such-package']);
  assert.ok(missing.includes('batch-tuner-no-such-package'));
  if (existsSync('/usr/bin/dpkg-query')) assert.ok(!missing.includes('coreutils'), 'coreutils is installed on every Debian');
});
