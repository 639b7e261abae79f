// The Python side of the lifeline (issue 12): a trial whose supervisor dies — SIGKILLed, so
// nothing cleans up after it — ends itself and its children. A real supervisor (a Node process
// holding the other end of BATCH_TUNER_LIFELINE_FD, as Batch Tuner does) starts a real Python
// trial that starts a child of its own; the test kills the supervisor and looks in /proc.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pythonEnv, testPython } from './helpers/python';

const { python: PY, skip: noPython } = testPython();
const skip = noPython || (process.platform !== 'linux' ? 'not run: needs Linux (/proc)' : false);

/** Alive and not a zombie (an ended process whose new parent has not reaped it yet). */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitFor(what: string, cond: () => boolean, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

/** A supervisor like Batch Tuner's: the trial in its own process group, fd 3 its end of the lifeline. */
function startSupervisor(args: string[], env: NodeJS.ProcessEnv): ChildProcess {
  const code = `
const { spawn } = require('node:child_process');
const [py, ...args] = JSON.parse(process.argv[1]);
const child = spawn(py, args, { stdio: ['ignore', 'ignore', 'inherit', 'pipe'], detached: true, env: { ...process.env, BATCH_TUNER_LIFELINE_FD: '3' } });
child.on('exit', (c, s) => console.error('trial exited', c, s));
setInterval(() => {}, 1000);
`;
  return spawn(process.execPath, ['-e', code, JSON.stringify([PY, ...args])], { stdio: ['ignore', 'ignore', 'pipe'], env });
}

function killAll(pids: number[]): void {
  for (const p of pids) {
    try {
      process.kill(p, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

test('lifeline: when the supervisor is SIGKILLed, the trial and its child end', { skip, timeout: 60_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'bt-lifeline-'));
  const pidsFile = join(dir, 'pids.json');
  const script = join(dir, 'trial.py');
  writeFileSync(
    script,
    `
import json, os, subprocess, sys, time
from batch_tuner import Reporter, watch_lifeline
rep = Reporter()                       # starts the watcher (BATCH_TUNER_LIFELINE_FD)
child = subprocess.Popen(["sleep", "300"])
json.dump({"trial": os.getpid(), "child": child.pid, "watching": watch_lifeline()}, open(sys.argv[1] + ".tmp", "w"))
os.replace(sys.argv[1] + ".tmp", sys.argv[1])
while True:
    time.sleep(1)
`,
  );
  const supervisor = startSupervisor([script, pidsFile], pythonEnv());
  let stderr = '';
  supervisor.stderr!.on('data', (d) => (stderr += d));
  let pids: { trial: number; child: number; watching: boolean } | undefined;
  try {
    await waitFor('the trial to start', () => existsSync(pidsFile), 30_000);
    pids = JSON.parse(readFileSync(pidsFile, 'utf8'));
    assert.ok(pids!.watching, 'the reporter watches the lifeline');
    await sleep(300);
    assert.ok(alive(pids!.trial) && alive(pids!.child), 'both run while the supervisor lives');
    supervisor.kill('SIGKILL');
    await waitFor('the trial and its child to end', () => !alive(pids!.trial) && !alive(pids!.child), 10_000);
  } finally {
    supervisor.kill('SIGKILL');
    if (pids) killAll([pids.trial, pids.child]);
  }
  assert.ok(!alive(pids!.trial) && !alive(pids!.child), stderr);
});

test(
  'lifeline: python -m batch_tuner.torchrun ends its workers when the supervisor dies (torchrun closes the fd in them)',
  { skip, timeout: 120_000 },
  async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bt-lifeline-tr-'));
    const worker = join(dir, 'worker.py');
    writeFileSync(
      worker,
      `
import os, sys, time
open(os.path.join(sys.argv[1], "worker-%s.pid" % os.environ["RANK"]), "w").write(str(os.getpid()))
while True:
    time.sleep(1)
`,
    );
    const supervisor = startSupervisor(['-m', 'batch_tuner.torchrun', '--standalone', '--nproc-per-node', '2', worker, dir], pythonEnv());
    let stderr = '';
    supervisor.stderr!.on('data', (d) => (stderr += d));
    const pidFiles = [0, 1].map((r) => join(dir, `worker-${r}.pid`));
    let workers: number[] = [];
    try {
      await waitFor('two workers', () => pidFiles.every((f) => existsSync(f) && readFileSync(f, 'utf8').length > 0), 90_000);
      workers = pidFiles.map((f) => Number(readFileSync(f, 'utf8')));
      assert.ok(workers.every(alive));
      const fds = workers.map((w) => spawnSync('ls', ['-l', `/proc/${w}/fd`], { encoding: 'utf8' }).stdout);
      assert.ok(
        fds.every((l) => !/ 3 -> socket/.test(l)),
        'the workers do not hold the lifeline themselves',
      );
      supervisor.kill('SIGKILL');
      await waitFor('the workers to end', () => !workers.some(alive), 15_000);
    } finally {
      supervisor.kill('SIGKILL');
      killAll(workers);
    }
    assert.ok(!workers.some(alive), stderr.slice(-2000));
  },
);

test('lifeline: no BATCH_TUNER_LIFELINE_FD, or one that is not a pipe, means nothing to watch', { skip }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'bt-lifeline-none-'));
  const code = 'import os, sys\nfrom batch_tuner import watch_lifeline\nprint(watch_lifeline())';
  const none = spawnSync(PY!, ['-c', code], { env: pythonEnv(), encoding: 'utf8' });
  assert.equal(none.stdout.trim(), 'False', none.stderr);
  const file = join(dir, 'plain.txt');
  writeFileSync(file, 'x');
  const notPipe = spawnSync(
    PY!,
    ['-c', `import os\nfd = os.open(${JSON.stringify(file)}, os.O_RDONLY)\nos.environ["BATCH_TUNER_LIFELINE_FD"] = str(fd)\n${code}`],
    { env: pythonEnv(), encoding: 'utf8' },
  );
  assert.equal(notPipe.stdout.trim(), 'False', notPipe.stderr);
});

test(
  'lifeline: a worker whose launcher closed the fd never takes a later socket with the same number for the lifeline',
  { skip, timeout: 60_000 },
  async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bt-lifeline-reuse-'));
    const out = join(dir, 'out.json');
    // The launcher (like torchrun's agent) does not watch and starts its worker with close_fds;
    // the worker's first socket then gets fd 3 — the number BATCH_TUNER_LIFELINE_FD names.
    const launcher = join(dir, 'launcher.py');
    writeFileSync(
      launcher,
      `
import subprocess, sys
subprocess.run([sys.executable, sys.argv[1], sys.argv[2]], close_fds=True)
`,
    );
    const worker = join(dir, 'worker.py');
    writeFileSync(
      worker,
      `
import json, os, socket, sys
a, b = socket.socketpair()
open(sys.argv[1] + ".pgid", "w").write(str(os.getpgrp()))  # the trial's group, for the test to end
from batch_tuner import watch_lifeline
b.sendall(b"x")
watching = watch_lifeline()
json.dump({"fd": a.fileno(), "watching": watching, "data": a.recv(1).decode()}, open(sys.argv[1], "w"))
`,
    );
    const supervisor = startSupervisor([launcher, worker, out], pythonEnv());
    try {
      await waitFor('the worker', () => existsSync(out) && readFileSync(out, 'utf8').length > 0, 30_000);
    } finally {
      supervisor.kill('SIGKILL');
      // Were the socket taken for the lifeline, the worker would wait forever for its data: end the trial's group.
      if (existsSync(`${out}.pgid`)) killAll([-Number(readFileSync(`${out}.pgid`, 'utf8'))]);
    }
    assert.deepEqual(
      JSON.parse(readFileSync(out, 'utf8')),
      { fd: 3, watching: false, data: 'x' },
      "fd 3 is the worker's own socket: not watched, its data left alone",
    );
  },
);
