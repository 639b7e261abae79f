// Nothing a trial starts outlives its supervisor (issue 12). Real supervisors (the runner in a
// child process) are SIGKILLed mid-trial — no handler of theirs runs — and /proc is checked for
// survivors of the trial's process group; what they left on disk is swept at the "next start".
// stopAllTrials() ends every running trial of this process.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseProcStat } from '../../src/core/runner/procfs';
import { sweepStale } from '../../src/core/runner/leftovers';
import { createExternalRunner } from '../../src/core/runner/external';
import { createTrainerRunner } from '../../src/core/runner/trainerProcess';
import { runningTrialCount, stopAllTrials } from '../../src/core/runner/trialRegistry';
import type { TrainingConfig } from '../../src/core/types';
import { ensureTrainerBundle, trialSpec } from '../fixtures/trainer/helpers';

const FIX = resolve(__dirname, '../fixtures/scripts');
const SUPERVISOR = join(FIX, 'supervisor.ts');

before(() => ensureTrainerBundle());

/** Live (non-zombie) processes in the trial's group or among `pids`. */
function survivors(group: number, pids: number[]): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    let s;
    try {
      s = parseProcStat(readFileSync(`/proc/${name}/stat`, 'utf8'));
    } catch {
      continue;
    }
    if (s && s.state !== 'Z' && (s.pgrp === group || pids.includes(s.pid))) out.push(s.pid);
  }
  return out;
}

async function untilNoSurvivors(group: number, pids: number[], ms = 5000): Promise<number[]> {
  const end = Date.now() + ms;
  let left = survivors(group, pids);
  while (left.length && Date.now() < end) {
    await new Promise((r) => setTimeout(r, 50));
    left = survivors(group, pids);
  }
  return left;
}

/** Starts the supervisor fixture and waits for its `READY {...}` line. */
function startSupervisor(kind: string, dir: string, env: NodeJS.ProcessEnv = process.env): Promise<{ sup: ChildProcess; pids: number[] }> {
  const sup = spawn(process.execPath, ['--import', 'tsx', SUPERVISOR, kind, dir], { stdio: ['ignore', 'pipe', 'pipe'], env });
  let out = '';
  let err = '';
  return new Promise((res, rej) => {
    const timer = setTimeout(() => rej(new Error(`no READY from the ${kind} supervisor in 60 s: ${out} ${err}`)), 60_000);
    sup.stderr.on('data', (b) => (err += b));
    sup.stdout.on('data', (b) => {
      out += b;
      const m = /READY (.*)\n/.exec(out);
      if (m) {
        clearTimeout(timer);
        res({ sup, pids: JSON.parse(m[1]).pids });
      }
    });
    sup.once('exit', (code) => rej(new Error(`the ${kind} supervisor exited (${code}): ${out} ${err}`)));
  });
}

async function sigkill(sup: ChildProcess): Promise<void> {
  const gone = new Promise((r) => sup.once('exit', r));
  sup.kill('SIGKILL');
  await gone;
}

test('an external script and its child (both ignoring SIGTERM) end when the supervisor is SIGKILLed; leftovers are swept', { timeout: 90_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'bt-life-'));
  const tmp = join(dir, 'tmp');
  mkdirSync(tmp);
  const { sup, pids } = await startSupervisor('external', dir, { ...process.env, TMPDIR: tmp });
  const [root] = pids;
  assert.equal(pids.length, 2);
  const before = survivors(root, pids);
  assert.ok(
    pids.every((p) => before.includes(p)),
    'the script and its child run, in one group led by the script',
  );
  assert.equal(before.length, 3, `the group also holds the lifeline guardian: ${before}`);
  const copies = () => readdirSync(dir).filter((f) => f.startsWith(`.batch-tuner-pid${sup.pid}-life-`));
  const temps = () => readdirSync(tmp).filter((f) => f.startsWith(`batch-tuner-pid${sup.pid}-`));
  assert.equal(copies().length, 1, 'the config copy names its owner');
  assert.equal(temps().length, 1, 'the temp folder names its owner');
  const whileAlive = await sweepStale({ configDirs: [dir], tempDir: tmp });
  assert.deepEqual(whileAlive.removed, [], "a live supervisor's files are kept");

  await sigkill(sup);
  const t0 = Date.now();
  const left = await untilNoSurvivors(root, pids);
  assert.deepEqual(left, [], `survivors ${Date.now() - t0} ms after the SIGKILL`);
  t.diagnostic(`the trial's group was gone ${Date.now() - t0} ms after the SIGKILL`);
  assert.equal(readFileSync(join(dir, 'eof.txt'), 'utf8'), 'eof', 'the script read EOF on BATCH_TUNER_LIFELINE_FD');

  assert.equal(copies().length + temps().length, 2, 'a SIGKILLed supervisor cleans nothing up');
  const swept = await sweepStale({ configDirs: [dir], tempDir: tmp });
  assert.equal(swept.removed.length, 2, JSON.stringify(swept));
  assert.deepEqual([...copies(), ...temps()], []);
  assert.ok(existsSync(join(dir, 'c.yaml')), "the user's config stays");
});

test('the built-in trainer ends when its supervisor is SIGKILLed mid-training', { timeout: 90_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'bt-life-'));
  const { sup, pids } = await startSupervisor('trainer', dir);
  assert.equal(survivors(pids[0], pids).length, 2, 'the trainer and its guardian');
  await sigkill(sup);
  const t0 = Date.now();
  assert.deepEqual(await untilNoSurvivors(pids[0], pids), []);
  t.diagnostic(`the trainer's group was gone ${Date.now() - t0} ms after the SIGKILL`);
});

test('a trainer that ignores SIGTERM and IPC disconnects is still ended (the guardian SIGKILLs its group)', { timeout: 90_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'bt-life-'));
  const { sup, pids } = await startSupervisor('hang-trainer', dir);
  assert.equal(survivors(pids[0], pids).length, 2, 'the trainer and its guardian');
  await sigkill(sup);
  const t0 = Date.now();
  assert.deepEqual(await untilNoSurvivors(pids[0], pids), []);
  t.diagnostic(`the hung trainer's group was gone ${Date.now() - t0} ms after the SIGKILL`);
});

test('stopAllTrials ends every running trial of both kinds and resolves after their cleanup', { timeout: 90_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'bt-stopall-'));
  const config = join(dir, 'h.yaml');
  writeFileSync(config, 'batch_size: 8\n');
  const pids: number[] = [];
  let trainerStepped = false;
  const external = createExternalRunner({ command: `\${python} ${FIX}/hang.py`, pythonPath: '/usr/bin/python3', hangTimeoutMs: 600_000 })(
    { id: 'stop-all', configPath: config, config: {} as TrainingConfig, batchSize: 8, learningRate: 0.1, seed: 0 },
    { onReady: (r) => pids.push(r.pid) },
  );
  const trainer = createTrainerRunner()(trialSpec({ maxSteps: 1_000_000 }), { onReady: (r) => pids.push(r.pid), onStep: () => (trainerStepped = true) });
  while (pids.length < 2 || !trainerStepped) await new Promise((r) => setTimeout(r, 50));
  assert.equal(runningTrialCount(), 2);
  await stopAllTrials();
  assert.equal(runningTrialCount(), 0);
  const [e, t] = await Promise.all([external, trainer]);
  assert.equal(e.status, 'cancelled');
  assert.equal(t.status, 'cancelled');
  for (const pid of pids) assert.deepEqual(survivors(pid, [pid]), [], `trial ${pid} is gone`);
  assert.deepEqual(readdirSync(dir), ['h.yaml'], 'the config copy was removed before stopAllTrials resolved');
});
