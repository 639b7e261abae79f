// What the runner measures itself: the process tree from /proc, its RSS, nvidia-smi's output.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { parseNvidiaSmiApps, ResourceSampler } from '../../src/core/runner/resources';
import { knownTree, livePids, parseProcStat, processTreePids, readStat, rssBytesOf } from '../../src/core/runner/procfs';

test('parses /proc/<pid>/stat even when the command name holds spaces and parentheses', () => {
  const s = parseProcStat('4242 (my (weird) name) S 4200 4242 4200 0 -1 4194560 100 0 0 0 5 1 0 0 20 0 3 0 12345 1000000 2560 18446744073709551615');
  assert.deepEqual(s, { pid: 4242, state: 'S', ppid: 4200, pgrp: 4242, rssPages: 2560, startTime: 12345 });
});

test('parses nvidia-smi compute-apps CSV (MiB) and sums per pid', () => {
  const m = parseNvidiaSmiApps('1234, 2048\n5678, 512\n1234, 1024\n\n[Not Supported]\n');
  assert.equal(m.get(1234), 3072 * 2 ** 20);
  assert.equal(m.get(5678), 512 * 2 ** 20);
  assert.equal(m.size, 2);
});

test('the process tree of a real process with a child: pids, RSS, peak, then gone', async () => {
  const child = spawn(
    '/usr/bin/python3',
    [
      '-c',
      'import subprocess,sys,time; p=subprocess.Popen([sys.executable,"-c","import time; b=bytearray(30*2**20); time.sleep(30)"]); print(p.pid, flush=True); time.sleep(30)',
    ],
    { detached: true, stdio: ['ignore', 'pipe', 'ignore'] },
  );
  const grandchild = await new Promise<number>((res) => child.stdout.once('data', (b: Buffer) => res(Number(String(b).trim()))));
  await new Promise((r) => setTimeout(r, 300));
  const pids = await processTreePids(child.pid!);
  assert.ok(pids.includes(child.pid!) && pids.includes(grandchild), `tree ${pids}`);
  const rss = await rssBytesOf(pids);
  assert.ok(rss > 30 * 2 ** 20, `RSS of the tree ${rss} includes the child's 30 MiB`);
  const sampler = new ResourceSampler(child.pid!, 50);
  sampler.start();
  // Sampling is asynchronous: wait for the first sample (a busy machine may take a while), not a fixed time.
  for (let i = 0; i < 200 && sampler.peakRssBytes === 0; i++) await new Promise((r) => setTimeout(r, 25));
  sampler.stop();
  assert.ok(sampler.peakRssBytes >= 30 * 2 ** 20);
  // The `ps` path used where there is no /proc (macOS) measures the same tree.
  const viaPs = await new ResourceSampler(child.pid!, 50, 1000, process.env, 'ps').sample();
  assert.ok(viaPs.pids.includes(grandchild), `ps tree ${viaPs.pids}`);
  assert.ok(Math.abs((viaPs.rssBytes ?? 0) - rss) < 0.2 * rss, `ps RSS ${viaPs.rssBytes} vs /proc ${rss}`);
  process.kill(-child.pid!, 'SIGKILL');
  await new Promise((r) => child.once('close', r));
  for (let i = 0; i < 20 && (await livePids([grandchild], child.pid)).length; i++) await new Promise((r) => setTimeout(r, 50));
  assert.deepEqual(await livePids([child.pid!, grandchild], child.pid), []);
});

test('the known-tree sample follows children and re-parented members, and drops a member whose pid now names another process', async () => {
  // A root whose child starts a grandchild and exits: the grandchild is re-parented (no longer a descendant).
  const root = spawn(
    '/usr/bin/python3',
    [
      '-c',
      [
        'import subprocess, sys, time',
        'mid = subprocess.Popen([sys.executable, "-c", "import subprocess, sys; p = subprocess.Popen([sys.executable, \\"-c\\", \\"import time; time.sleep(30)\\"]); print(p.pid, flush=True)"], stdout=subprocess.PIPE)',
        'print(mid.stdout.readline().decode().strip(), flush=True); mid.wait(); time.sleep(30)',
      ].join('\n'),
    ],
    { detached: true, stdio: ['ignore', 'pipe', 'ignore'] },
  );
  const orphan = await new Promise<number>((res) => root.stdout.once('data', (b: Buffer) => res(Number(String(b).trim()))));
  try {
    await new Promise((r) => setTimeout(r, 200));
    const start = (await readStat(orphan))!.startTime;
    const fresh = (await knownTree(root.pid!, [])).map((s) => s.pid);
    assert.ok(!fresh.includes(orphan), 'not a descendant any more: unknown members are not guessed');
    const followed = (await knownTree(root.pid!, [{ pid: orphan, startTime: start }])).map((s) => s.pid);
    assert.ok(followed.includes(root.pid!) && followed.includes(orphan), `followed ${followed}`);
    const stale = (await knownTree(root.pid!, [{ pid: orphan, startTime: start - 1 }])).map((s) => s.pid);
    assert.ok(!stale.includes(orphan), 'a pid with another start time is another process');
  } finally {
    process.kill(-root.pid!, 'SIGKILL');
    try {
      process.kill(orphan, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
});
