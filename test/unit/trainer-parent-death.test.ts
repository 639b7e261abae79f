// Nothing outlives its supervisor (issue 12): the trainer ends itself when its IPC channel
// disconnects (the host died, even by SIGKILL) and when the lifeline pipe named by
// BATCH_TUNER_LIFELINE_FD reads EOF. Real processes: a parent node process forks the real
// trainer (dist/trainer.js) on a long run, then the parent is SIGKILLed or drops the lifeline.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { ensureTrainerBundle, trialSpec, waitForExit } from '../fixtures/trainer/helpers';
import { runTrainerChild } from './helpers/trainerChild';

let bundle = '';
before(() => {
  bundle = ensureTrainerBundle();
});

// The parent: forks the trainer (with a lifeline pipe as fd 4 when asked), starts a trial that would
// run for minutes, prints the trainer's pid after its first step, and on "drop" closes its end of
// the lifeline while keeping IPC open. It prints how the trainer exited, when it sees that.
const PARENT = `
const { fork } = require('node:child_process');
const [bundle, mode, spec] = process.argv.slice(1);
const lifeline = mode !== 'ipc-only';
const child = fork(bundle, [], {
  stdio: lifeline ? ['ignore', 'ignore', 'inherit', 'ipc', 'pipe'] : ['ignore', 'ignore', 'inherit', 'ipc'],
  env: { ...process.env, ...(lifeline ? { BATCH_TUNER_LIFELINE_FD: '4' } : {}) },
});
let told = false;
child.on('message', (m) => {
  if (m.type === 'step' && !told) { told = true; console.log(JSON.stringify({ pid: child.pid })); }
});
child.on('exit', (code, signal) => console.log(JSON.stringify({ exit: code, signal })));
process.stdin.on('data', (d) => { if (String(d).includes('drop')) child.stdio[4].destroy(); });
child.send({ v: 1, type: 'start', trial: JSON.parse(spec) });
`;

function startParent(mode: 'ipc-only' | 'lifeline'): { parent: ChildProcess; lines: Array<Record<string, unknown>>; trainerPid: Promise<number> } {
  const spec = trialSpec({ maxSteps: 1_000_000, evalEvery: 0 });
  const parent = spawn(process.execPath, ['-e', PARENT, bundle, mode, JSON.stringify(spec)], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines: Array<Record<string, unknown>> = [];
  const trainerPid = new Promise<number>((resolve, reject) => {
    let buf = '';
    parent.stdout.setEncoding('utf8').on('data', (d: string) => {
      buf += d;
      for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
        const line = JSON.parse(buf.slice(0, i)) as Record<string, unknown>;
        buf = buf.slice(i + 1);
        lines.push(line);
        if (typeof line.pid === 'number') resolve(line.pid);
      }
    });
    parent.on('exit', () => reject(new Error(`the parent exited before the trainer trained: ${JSON.stringify(lines)}`)));
  });
  return { parent, lines, trainerPid };
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

async function killedParentLeavesNoTrainer(mode: 'ipc-only' | 'lifeline'): Promise<void> {
  const { parent, trainerPid } = startParent(mode);
  const pid = await trainerPid;
  try {
    assert.ok(alive(pid), 'the trainer is training');
    parent.kill('SIGKILL');
    assert.ok(await waitForExit(pid, 10_000), `trainer ${pid} outlived its SIGKILLed parent (${mode})`);
  } finally {
    if (alive(pid)) process.kill(pid, 'SIGKILL');
    parent.kill('SIGKILL');
  }
}

test('the trainer ends when its parent is SIGKILLed (IPC disconnect, no lifeline)', () => killedParentLeavesNoTrainer('ipc-only'));

test('the trainer ends when its parent, holding a lifeline, is SIGKILLed', () => killedParentLeavesNoTrainer('lifeline'));

test('the lifeline alone ends the trainer: its pipe reads EOF while IPC is still open', async () => {
  const { parent, lines, trainerPid } = startParent('lifeline');
  const pid = await trainerPid;
  try {
    parent.stdin!.write('drop\n');
    assert.ok(await waitForExit(pid, 10_000), `trainer ${pid} ignored its closed lifeline`);
    // The parent is alive and saw its child exit by itself (not a signal).
    for (let i = 0; i < 100 && !lines.some((l) => 'exit' in l); i++) await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(
      lines.find((l) => 'exit' in l),
      { exit: 0, signal: null },
    );
    assert.equal(parent.exitCode, null, 'the parent (and IPC) were still there');
  } finally {
    if (alive(pid)) process.kill(pid, 'SIGKILL');
    parent.kill('SIGKILL');
  }
});

test('an unusable BATCH_TUNER_LIFELINE_FD is reported as a warning and training goes on', async () => {
  const r = await runTrainerChild(trialSpec({ maxSteps: 2, evalEvery: 0 }), { env: { BATCH_TUNER_LIFELINE_FD: 'soon' } });
  assert.equal(r.error, undefined);
  assert.equal(r.steps.length, 2);
  assert.match(
    r.logs.map((l) => l.message).join('\n'),
    /BATCH_TUNER_LIFELINE_FD="soon" is not a file descriptor >= 3; parent death is noticed through IPC only/,
  );
});
