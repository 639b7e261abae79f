// Nothing outlives `batch-tuner` (issue 12), checked on real processes: the built CLI
// (dist/cli.js) tunes a real config — the built-in TensorFlow.js trainer, or a Python script whose
// trial and its child ignore SIGTERM — and is sent SIGTERM, SIGHUP, SIGKILL or two SIGINTs
// mid-trial. Each time /proc is searched for survivors (every process of the trial's group, the
// script's recorded pids) and the disk for leftovers (the per-trial config copy next to the
// config, the trial's temp folder in the CLI's TMPDIR). After a catchable signal the study is
// saved as stopped and the exit status is 128 + the signal's number; after SIGKILL leftovers are
// allowed until the next start, which must sweep them.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { readStudy } from '../../src/core/study';
import { MNIST_MLP_YAML } from './helpers/mnistConfig';
import { ensureTrainerBundle } from '../fixtures/trainer/helpers';

const CLI = resolve(__dirname, '../../dist/cli.js');
const STUBBORN = resolve(__dirname, '../fixtures/scripts/stubborn_trainer.py');
const PYTHON = '/usr/bin/python3';

before(() => {
  assert.ok(existsSync(CLI), 'dist/cli.js is missing: run `node scripts/build.mjs` first');
  ensureTrainerBundle();
});

interface Stat {
  pid: number;
  ppid: number;
  pgrp: number;
  state: string;
  cpuTicks: number;
}

function stat(pid: string | number): Stat | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  const f = text.slice(text.lastIndexOf(')') + 2).split(' ');
  // Fields after the name: state(3) ppid(4) pgrp(5) ... utime(14) stime(15).
  return { pid: Number(pid), state: f[0], ppid: Number(f[1]), pgrp: Number(f[2]), cpuTicks: Number(f[11]) + Number(f[12]) };
}

function allStats(): Stat[] {
  return readdirSync('/proc')
    .filter((n) => /^\d+$/.test(n))
    .map(stat)
    .filter((s): s is Stat => s !== undefined);
}

/** Live processes of the trial groups `groups`, or with a pid in `pids`. */
function survivors(groups: number[], pids: number[]): number[] {
  return allStats()
    .filter((s) => s.state !== 'Z' && (groups.includes(s.pgrp) || pids.includes(s.pid)))
    .map((s) => s.pid);
}

async function waitFor<T>(what: string, ms: number, probe: () => T | undefined): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = probe();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function untilNoSurvivors(groups: number[], pids: number[], ms = 5000): Promise<number[]> {
  const end = Date.now() + ms;
  let left = survivors(groups, pids);
  while (left.length && Date.now() < end) {
    await new Promise((r) => setTimeout(r, 50));
    left = survivors(groups, pids);
  }
  return left;
}

interface Setup {
  kind: 'builtin' | 'external';
  dir: string;
  tmp: string;
  config: string;
  pidsOut: string;
}

function setUp(kind: Setup['kind']): Setup {
  const dir = mkdtempSync(join(tmpdir(), 'bt-clifault-'));
  const tmp = join(dir, 'tmp');
  mkdirSync(tmp);
  const pidsOut = join(dir, 'pids.txt');
  const config = join(dir, kind === 'builtin' ? 'mnist-mlp.yaml' : 'train.yaml');
  const text =
    kind === 'builtin'
      ? MNIST_MLP_YAML
      : `# a user's own config\nbatch_size: 32\nlr: 0.01\ntuner:\n  command: "\${python} ${STUBBORN} --config \${config}"\n  budget_seconds: 120\n`;
  writeFileSync(config, text);
  return { kind, dir, tmp, config, pidsOut };
}

function env(s: Setup): NodeJS.ProcessEnv {
  return { ...process.env, TMPDIR: s.tmp, BATCH_TUNER_PYTHON: PYTHON, PIDS_OUT: s.pidsOut };
}

function startCli(s: Setup): { cli: ChildProcess; exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>; stderr: () => string } {
  const cli = spawn(process.execPath, [CLI, 'tune', s.config, '--budget', '120', '--min', '16', '--max', '64', '--out', 'studies'], {
    cwd: s.dir,
    env: env(s),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  cli.stderr.on('data', (b) => (err += b));
  cli.stdout.resume();
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => cli.once('exit', (code, signal) => r({ code, signal })));
  return { cli, exited, stderr: () => err };
}

/** Waits until a trial is well under way; returns the trial groups and the script's recorded pids. */
async function midTrial(s: Setup, cliPid: number): Promise<{ groups: number[]; pids: number[] }> {
  // A trial's root is a child of the CLI that leads its own process group.
  const root = await waitFor('a trial process', 60_000, () => allStats().find((p) => p.ppid === cliPid && p.pgrp === p.pid));
  if (s.kind === 'external') {
    const pids = await waitFor('the script to record its pids', 30_000, () => {
      const text = existsSync(s.pidsOut) ? readFileSync(s.pidsOut, 'utf8') : '';
      return text.endsWith('\n') ? text.trim().split(/\s+/).map(Number) : undefined;
    });
    return { groups: [root.pid], pids };
  }
  // A trainer (the current trial's: an earlier one may have ended) has loaded TensorFlow.js and MNIST and is training: 1.5 s of CPU.
  const trainer = await waitFor('a trainer to train', 90_000, () => allStats().find((p) => p.ppid === cliPid && p.pgrp === p.pid && p.cpuTicks >= 150));
  return { groups: [root.pid, trainer.pid], pids: [trainer.pid] };
}

function leftovers(s: Setup): string[] {
  const copies = readdirSync(s.dir).filter((f) => f.startsWith('.batch-tuner-'));
  const temps = readdirSync(s.tmp).filter((f) => f.startsWith('batch-tuner-'));
  return [...copies, ...temps.map((t) => `tmp/${t}`)];
}

function studyStatus(s: Setup): string {
  const files = readdirSync(join(s.dir, 'studies')).filter((f) => f.endsWith('.study.jsonl'));
  assert.equal(files.length, 1);
  return readStudy(join(s.dir, 'studies', files[0])).status;
}

const EXIT: Record<string, number> = { SIGTERM: 143, SIGHUP: 129 };

for (const kind of ['builtin', 'external'] as const) {
  for (const sig of ['SIGTERM', 'SIGHUP'] as const) {
    test(`${kind}: ${sig} mid-trial stops the trial, saves the study as stopped, exits ${EXIT[sig]}, leaves nothing`, { timeout: 120_000 }, async (t) => {
      const s = setUp(kind);
      const { cli, exited, stderr } = startCli(s);
      const { groups, pids } = await midTrial(s, cli.pid!);
      if (kind === 'external') assert.equal(leftovers(s).length, 2, `a config copy and a temp folder while the trial runs: ${leftovers(s)}`);
      const t0 = Date.now();
      cli.kill(sig);
      const end = await exited;
      t.diagnostic(`the CLI exited ${Date.now() - t0} ms after ${sig}`);
      assert.equal(end.code, EXIT[sig], stderr());
      assert.deepEqual(await untilNoSurvivors(groups, pids), [], 'no process of the trial survives');
      assert.deepEqual(leftovers(s), [], 'no config copy, no temp folder');
      assert.equal(studyStatus(s), 'stopped');
      assert.match(stderr(), new RegExp(`${sig}: stopping the trials`));
      rmSync(s.dir, { recursive: true, force: true });
    });
  }

  test(`${kind}: SIGKILL mid-trial: the lifeline ends the trial; the next start sweeps what was left`, { timeout: 120_000 }, async (t) => {
    const s = setUp(kind);
    const { cli, exited } = startCli(s);
    const { groups, pids } = await midTrial(s, cli.pid!);
    const t0 = Date.now();
    cli.kill('SIGKILL');
    await exited;
    assert.deepEqual(await untilNoSurvivors(groups, pids), [], 'no process of the trial survives its supervisor');
    t.diagnostic(`the trial's processes were gone ${Date.now() - t0} ms after the SIGKILL`);
    const left = leftovers(s);
    if (kind === 'external') assert.equal(left.length, 2, `a SIGKILLed CLI cleans nothing up: ${left}`);
    // The next start (here one that fails fast: min > max) sweeps first.
    const next = spawnSync(process.execPath, [CLI, 'tune', s.config, '--min', '256', '--max', '16', '--out', 'studies2'], {
      cwd: s.dir,
      env: env(s),
      encoding: 'utf8',
      timeout: 60_000,
    });
    assert.equal(next.status, 1, next.stderr);
    assert.deepEqual(leftovers(s), [], 'the next start swept the leftovers');
    if (left.length) assert.match(next.stderr, new RegExp(`removed ${left.length} leftover\\(s\\) of an earlier Batch Tuner run`));
    assert.ok(existsSync(s.config), "the user's config stays");
    rmSync(s.dir, { recursive: true, force: true });
  });
}

test('external: a second SIGINT quits at once and still kills the trial group and removes its files', { timeout: 120_000 }, async () => {
  const s = setUp('external');
  const { cli, exited, stderr } = startCli(s);
  const { groups, pids } = await midTrial(s, cli.pid!);
  cli.kill('SIGINT');
  await waitFor('the first SIGINT to be taken', 10_000, () => (/Ctrl\+C again/.test(stderr()) ? true : undefined));
  cli.kill('SIGINT');
  const end = await exited;
  assert.equal(end.code, 130, stderr());
  assert.deepEqual(await untilNoSurvivors(groups, pids), [], 'no process of the trial survives');
  assert.deepEqual(leftovers(s), [], "the runner's exit hook removed the copy and the temp folder");
  rmSync(s.dir, { recursive: true, force: true });
});

test('train: SIGTERM mid-run stops the one trial, exits 143, leaves nothing', { timeout: 120_000 }, async () => {
  const s = setUp('external');
  const cli = spawn(process.execPath, [CLI, 'train', s.config, '--steps', '100000'], { cwd: s.dir, env: env(s), stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  cli.stderr.on('data', (b) => (err += b));
  cli.stdout.resume();
  const exited = new Promise<number | null>((r) => cli.once('exit', (code) => r(code)));
  const { groups, pids } = await midTrial(s, cli.pid!);
  cli.kill('SIGTERM');
  assert.equal(await exited, 143, err);
  assert.deepEqual(await untilNoSurvivors(groups, pids), []);
  assert.deepEqual(leftovers(s), []);
  rmSync(s.dir, { recursive: true, force: true });
});
