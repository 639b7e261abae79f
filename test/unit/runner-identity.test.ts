// A pid is not an identity: after a process ends the kernel hands its pid to another. The runner
// only signals a pid from an old snapshot while /proc shows the same start time, and sweepStale
// only removes leftovers whose owner is gone (or whose pid now belongs to a younger process).
// The reuse is caused for real: /proc/sys/kernel/ns_last_pid makes the next fork take a chosen pid.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readStat, stillSame, type ProcessIdentity } from '../../src/core/runner/procfs';
import { signalIfSame } from '../../src/core/runner/processTree';
import { sweepStale } from '../../src/core/runner/leftovers';

const NS_LAST_PID = '/proc/sys/kernel/ns_last_pid';

function sleeper(): ChildProcess {
  return spawn('sleep', ['60'], { stdio: 'ignore' });
}

async function ended(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  await new Promise((r) => child.once('exit', r));
}

async function identity(pid: number): Promise<ProcessIdentity> {
  const s = await readStat(pid);
  assert.ok(s, `no /proc/${pid}/stat`);
  return { pid, startTime: s.startTime };
}

/** A new process that has `pid` (retrying: other processes on the machine fork too), or undefined. */
async function takePid(pid: number): Promise<ChildProcess | undefined> {
  for (let i = 0; i < 50; i++) {
    try {
      writeFileSync(NS_LAST_PID, String(pid - 1));
    } catch {
      return undefined; // not root, or no CAP_SYS_ADMIN in this pid namespace
    }
    const c = sleeper();
    await new Promise((r) => c.once('spawn', r));
    if (c.pid === pid) return c;
    c.kill('SIGKILL');
    await ended(c);
  }
  return undefined;
}

test('a pid from an old snapshot is never signalled once the kernel has given it to another process', async (t) => {
  const old = sleeper();
  await new Promise((r) => old.once('spawn', r));
  await new Promise((r) => setTimeout(r, 20)); // a start time a tick apart from the next one's
  const stale = await identity(old.pid!);
  old.kill('SIGKILL');
  await ended(old);
  const reused = await takePid(stale.pid);
  if (!reused) return t.skip(`cannot make a process take pid ${stale.pid} here (${NS_LAST_PID} not writable or too busy)`);
  try {
    const now = await identity(stale.pid);
    assert.notEqual(now.startTime, stale.startTime, 'same pid, another process');
    assert.deepEqual(await stillSame([stale]), [], 'the old identity is gone');
    assert.deepEqual(signalIfSame([stale], 'SIGKILL'), [], 'nothing was signalled');
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(reused.exitCode, null, 'the new owner of the pid is alive');
    assert.equal(reused.signalCode, null);
    assert.deepEqual(await stillSame([now]), [now]);
    assert.deepEqual(signalIfSame([now], 'SIGKILL'), [stale.pid], 'its own identity does reach it');
    await ended(reused);
    assert.equal(reused.signalCode, 'SIGKILL');
  } finally {
    reused.kill('SIGKILL');
  }
});

test("sweepStale removes a dead owner's leftovers, keeps a live owner's, and treats a reused owner pid as dead", async () => {
  const root = mkdtempSync(join(tmpdir(), 'bt-sweep-'));
  const tmp = join(root, 'tmp');
  const cfg = join(root, 'configs');
  const outside = join(root, 'outside');
  for (const d of [tmp, cfg, outside]) mkdirSync(d);
  const gone = sleeper();
  await new Promise((r) => gone.once('spawn', r));
  const dead = gone.pid!;
  gone.kill('SIGKILL');
  await ended(gone);
  const live = sleeper();
  await new Promise((r) => live.once('spawn', r));
  try {
    const make = (owner: number, tag: string) => {
      mkdirSync(join(tmp, `batch-tuner-pid${owner}-${tag}`));
      writeFileSync(join(tmp, `batch-tuner-pid${owner}-${tag}`, 'metrics-x.jsonl'), '{}\n');
      writeFileSync(join(cfg, `.batch-tuner-pid${owner}-profile-64-${tag}.yaml`), 'batch_size: 64\n');
    };
    make(dead, 'dead');
    make(live.pid!, 'live');
    make(process.pid, 'self');
    // Files older than the live process itself: written by an earlier process with the same pid.
    make(live.pid!, 'older');
    const hourAgo = new Date(Date.now() - 3600_000);
    utimesSync(join(tmp, `batch-tuner-pid${live.pid}-older`), hourAgo, hourAgo);
    utimesSync(join(cfg, `.batch-tuner-pid${live.pid}-profile-64-older.yaml`), hourAgo, hourAgo);
    // Not ours to judge: other names, and a symlink dressed as a leftover.
    writeFileSync(join(cfg, '.batch-tuner-profile-64-abc.yaml'), 'old format, no owner\n');
    writeFileSync(join(cfg, 'train.yaml'), 'batch_size: 32\n');
    writeFileSync(join(outside, 'precious'), 'keep');
    symlinkSync(outside, join(tmp, `batch-tuner-pid${dead}-link`));

    const r = await sweepStale({ configDirs: [cfg], tempDir: tmp });
    assert.deepEqual(r.failed, []);
    assert.deepEqual(readdirSync(tmp).sort(), [`batch-tuner-pid${dead}-link`, `batch-tuner-pid${live.pid}-live`, `batch-tuner-pid${process.pid}-self`].sort());
    assert.deepEqual(
      readdirSync(cfg).sort(),
      [
        '.batch-tuner-profile-64-abc.yaml',
        `.batch-tuner-pid${live.pid}-profile-64-live.yaml`,
        `.batch-tuner-pid${process.pid}-profile-64-self.yaml`,
        'train.yaml',
      ].sort(),
    );
    assert.deepEqual(readdirSync(outside), ['precious'], 'the symlink was not followed');
    assert.equal(r.removed.length, 4);
  } finally {
    live.kill('SIGKILL');
  }
});
