// The slurm runner against a real Slurm (issue 13): a one-node cluster on localhost (munged,
// slurmctld, slurmd: helpers/slurmCluster.ts) runs a real PyTorch study with two trials at a time,
// each its own job on its own core; a stopped trial's job is cancelled (its state and /proc say so);
// a supervisor that exits or is SIGKILLed leaves no job behind (the exit hook's scancel, the next
// start's sweep); a job that never starts is cancelled and reported; Slurm not reachable and a
// world size the cluster cannot give are clear errors that leave the config as it was.
// Without root or the packages these tests are skipped (not run), never passed.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createRunner, createSlurmRunner, sweepStaleSlurmJobs } from '../../src/core/runner';
import { cliLayer, resolveStudy } from '../../src/core/resolve';
import { runStudy } from '../../src/core/study';
import type { SlurmSettings } from '../../src/core/resolve/types';
import type { TrainingConfig, TrialSpec } from '../../src/core/types';
import { jobState, queue, slurmSkipReason, startSlurmCluster, watchQueue, type SlurmCluster } from './helpers/slurmCluster';
import { pythonEnv, testPython } from './helpers/python';

const ROOT = resolve(__dirname, '../..');
const skip = slurmSkipReason() ?? false;
if (skip) console.log(`# slurm-runner: ${skip}`);
const { python: PY, skip: noTorch } = testPython();
let cluster: SlurmCluster;

before(async () => {
  if (!skip) cluster = await startSlurmCluster();
});
after(async () => {
  await cluster?.stop();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const SETTINGS: SlurmSettings = { cpusPerTask: 1, extraArgs: [], pendingTimeoutSeconds: 60, workers: 'command' };
/** A trial that reports a step every 0.2 s until stopped; IGNORE_TERM=1 makes it ignore SIGTERM. */
const SLEEPER = `import os, signal, time
from batch_tuner import Reporter
if os.environ.get("IGNORE_TERM") == "1":
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
r = Reporter()
r.start(backend="sleeper")
print("pid %d job %s" % (os.getpid(), os.environ.get("SLURM_JOB_ID")), flush=True)
for s in range(1, 1000000):
    time.sleep(0.2)
    r.step(s, loss=1.0)
`;

function sleeperDir(): { dir: string; config: string; command: string } {
  const dir = mkdtempSync(join(tmpdir(), 'bt-slurm-trial-'));
  writeFileSync(join(dir, 'sleeper.py'), SLEEPER);
  writeFileSync(join(dir, 'config.yaml'), 'batch_size: 8\nlr: 0.1\n');
  return { dir, config: join(dir, 'config.yaml'), command: '/usr/bin/python3 sleeper.py' };
}

function spec(config: string, id: string, extra: Partial<TrialSpec> = {}): TrialSpec {
  return { id, configPath: config, config: {} as TrainingConfig, batchSize: 8, learningRate: 0.1, seed: 0, maxSteps: 1_000_000, ...extra };
}

const procAlive = (pid: number) => existsSync(`/proc/${pid}`);
async function until(what: () => boolean, ms: number): Promise<boolean> {
  for (let t = 0; t < ms; t += 100) {
    if (what()) return true;
    await sleep(100);
  }
  return what();
}
const sha = (f: string) => createHash('sha256').update(readFileSync(f)).digest('hex');

test(
  'a PyTorch study with --parallel 2 on Slurm: two jobs at once, each on its own core, no distortion warning, a recommendation',
  { skip: skip || noTorch, timeout: 240_000 },
  async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bt-slurm-study-'));
    copyFileSync(join(ROOT, 'examples/pytorch-mnist/train.py'), join(dir, 'train.py'));
    const text = readFileSync(join(ROOT, 'examples/pytorch-mnist/config.yaml'), 'utf8').replace('budget_seconds: 60', 'budget_seconds: 75\n  runner: slurm');
    const file = join(dir, 'config.yaml');
    writeFileSync(file, text);
    const before = sha(file);
    const r = resolveStudy({ file, text, machine: { totalMemoryBytes: 2 ** 34 }, run: cliLayer({ parallel: 2, max: 128, out: join(dir, 'out') }, dir) });
    assert.ok(r.ok && r.runner.kind === 'slurm', r.ok ? '' : r.message);
    const env = pythonEnv({ ...cluster.env, BATCH_TUNER_PYTHON: PY, BATCH_TUNER_MNIST: join(ROOT, 'dist/data/mnist.bin') });
    const watch = watchQueue(cluster.env);
    const warnings: string[] = [];
    const outcome = await runStudy(r.options, createRunner(r.runner, { env }), (e) => e.type === 'warning' && warnings.push(e.message));
    const seen = watch.stop();
    assert.equal(outcome.status, 'completed', outcome.reason);
    assert.ok(outcome.recommendation, 'a recommendation');
    assert.ok(!outcome.plan.warnings.some((w) => /--parallel .* distorted/.test(w)), `no distortion warning: ${outcome.plan.warnings.join('; ')}`);
    assert.ok(seen.maxRunning >= 2, `two trials' jobs ran at once (max ${seen.maxRunning})`);
    const pair = seen.concurrent.find((ids) => ids.every((id) => seen.cores.has(id)));
    assert.ok(pair, `cores known for two concurrent jobs: ${JSON.stringify([...seen.cores])}`);
    const cores = pair.map((id) => seen.cores.get(id));
    assert.equal(new Set(cores).size, cores.length, `each job its own core: ${cores.join(' vs ')}`);
    const ok = outcome.trials.filter((t) => t.status === 'ok');
    assert.ok(ok.length >= 4 && ok.every((t) => /^Slurm job \d+ on /.test(t.backendReason ?? '')), ok.map((t) => t.backendReason).join('; '));
    assert.ok(
      ok.every((t) => (t.samplesPerSecond ?? 0) > 0 && (t.peakMemoryBytes ?? 0) > 50e6),
      'throughput and reported memory came back over srun',
    );
    assert.equal(sha(file), before, 'tune leaves the config as it was');
    assert.deepEqual(readdirSync(dir).sort(), ['config.yaml', 'out', 'train.py'], 'no trial config copy left behind');
    assert.deepEqual(queue(cluster.env), [], 'no job left');
  },
);

test('stop reaches the job: scancel ends it (its state CANCELLED, its process gone from /proc)', { skip, timeout: 90_000 }, async () => {
  const { config, command } = sleeperDir();
  const ac = new AbortController();
  let pid = 0;
  let job = '';
  const run = createSlurmRunner({ command, slurm: SETTINGS, env: { ...cluster.env, IGNORE_TERM: '1' }, hangTimeoutMs: 60_000 });
  const result = run(
    spec(config, 'stop-me'),
    {
      onLog: (_l, m) => {
        const x = /^pid (\d+) job (\d+)/.exec(m);
        if (x) [pid, job] = [Number(x[1]), x[2]];
      },
      onStep: (m) => m.step === 3 && ac.abort(),
    },
    ac.signal,
  );
  const r = await result;
  assert.equal(r.status, 'cancelled');
  assert.match(r.error!.message, new RegExp(`Slurm job ${job} cancelled`));
  assert.ok(pid > 0, 'the task said its pid');
  assert.ok(await until(() => !procAlive(pid), 15_000), `task ${pid} (ignoring SIGTERM) is gone after scancel`);
  assert.ok(await until(() => jobState(cluster.env, job) === 'CANCELLED', 15_000), `job ${job}: ${jobState(cluster.env, job)}`);
});

function startSupervisor(config: string, command: string, mode: 'wait' | 'exit'): { child: ChildProcess; lines: string[] } {
  const child = spawn(process.execPath, ['--import', 'tsx', join(__dirname, 'helpers/slurmSupervisor.ts'), config, command, mode], {
    cwd: ROOT,
    env: { ...cluster.env, IGNORE_TERM: '1' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines: string[] = [];
  child.stdout?.on('data', (b: Buffer) => lines.push(...b.toString().split('\n').filter(Boolean)));
  return { child, lines };
}

test('a supervisor that exits mid-trial cancels its job on the way out (the exit hook)', { skip, timeout: 90_000 }, async () => {
  const { config, command } = sleeperDir();
  const { child, lines } = startSupervisor(config, command, 'exit');
  const exited = new Promise((r) => child.on('exit', r));
  await exited;
  const m = lines.map((l) => /^pid (\d+) job (\d+)/.exec(l)).find(Boolean);
  assert.ok(m, `the trial ran: ${lines.join(' | ')}`);
  const [pid, job] = [Number(m[1]), m[2]];
  assert.ok(await until(() => !procAlive(pid), 15_000), `task ${pid} gone`);
  assert.ok(await until(() => jobState(cluster.env, job) === 'CANCELLED', 15_000), `job ${job}: ${jobState(cluster.env, job)}`);
});

test("a SIGKILLed supervisor's job outlives it (srun killed with it); the next start's sweep cancels it", { skip, timeout: 90_000 }, async () => {
  const { config, command } = sleeperDir();
  const { child, lines } = startSupervisor(config, command, 'wait');
  assert.ok(await until(() => lines.some((l) => l.startsWith('pid ')), 60_000), `the trial ran: ${lines.join(' | ')}`);
  const m = lines.map((l) => /^pid (\d+) job (\d+)/.exec(l)).find(Boolean)!;
  const [pid, job] = [Number(m[1]), m[2]];
  const srun = Number(lines.find((l) => l.startsWith('READY '))!.split(' ')[1]);
  // Everything local dies at once, as in a crash: the supervisor and srun's whole group.
  process.kill(-srun, 'SIGKILL');
  child.kill('SIGKILL');
  await new Promise((r) => child.on('exit', r));
  await sleep(3000);
  assert.equal(jobState(cluster.env, job), 'RUNNING', 'nothing local can reach the job: it runs on');
  assert.ok(procAlive(pid));
  const swept = await sweepStaleSlurmJobs(cluster.env);
  assert.deepEqual(swept, [job]);
  assert.ok(await until(() => !procAlive(pid), 15_000), `task ${pid} gone after the sweep`);
  assert.ok(await until(() => jobState(cluster.env, job) === 'CANCELLED', 15_000), `job ${job}: ${jobState(cluster.env, job)}`);
});

test(
  'a job that never starts is cancelled after tuner.slurm.pending_timeout_seconds and reported with its id and reason',
  { skip, timeout: 90_000 },
  async () => {
    const blocker = spawn('srun', ['-n1', `-c${cluster.cpus}`, '-J', 'blocker', 'sleep', '300'], { env: cluster.env, stdio: 'ignore' });
    try {
      assert.ok(await until(() => queue(cluster.env).some((j) => j.name === 'blocker' && j.state === 'RUNNING'), 30_000), 'the blocker holds every core');
      const { config, command } = sleeperDir();
      const run = createSlurmRunner({ command, slurm: { ...SETTINGS, pendingTimeoutSeconds: 3 }, env: cluster.env, hangTimeoutMs: 60_000, pollMs: 500 });
      const r = await run(spec(config, 'never'), {});
      assert.deepEqual([r.status, r.error?.kind], ['failed', 'spawn']);
      assert.match(
        r.error!.message,
        /^Slurm job (\d+) never started: it was still pending after \d+ s \(Slurm's reason: Resources.*tuner\.slurm\.pending_timeout_seconds/,
      );
      const id = /job (\d+)/.exec(r.error!.message)![1];
      assert.equal(jobState(cluster.env, id), 'CANCELLED');
      assert.ok(!queue(cluster.env).some((j) => j.id === id), 'not in the queue any more');
    } finally {
      blocker.kill('SIGTERM');
      await new Promise((r) => blocker.on('exit', r));
    }
  },
);

test(
  'Slurm not reachable, or a world size it cannot give: a clear message naming the setting; the config is left as it was',
  { skip, timeout: 120_000 },
  async () => {
    const { dir, config, command } = sleeperDir();
    const text = `batch_size: 8\nlr: 0.1\ntuner:\n  command: "${command}"\n  runner: slurm\n  budget_seconds: 20\n`;
    writeFileSync(config, text);
    const before = sha(config);
    const deadConf = join(dir, 'dead.conf');
    writeFileSync(
      deadConf,
      readFileSync(cluster.env.SLURM_CONF!, 'utf8')
        .replace(/SlurmctldPort=\d+/, 'SlurmctldPort=9')
        .concat('MessageTimeout=2\n'),
    );
    const study = async (env: NodeJS.ProcessEnv, cli = {}) => {
      const r = resolveStudy({ file: config, text, machine: { totalMemoryBytes: 2 ** 34 }, run: cliLayer(cli, dir) });
      assert.ok(r.ok, r.ok ? '' : r.message);
      return runStudy(r.options, createRunner(r.runner, { env }));
    };
    const down = await study({ ...cluster.env, SLURM_CONF: deadConf });
    assert.equal(down.status, 'failed');
    assert.match(down.reason ?? '', /Slurm is not reachable \(tuner\.runner: slurm\): sinfo failed: .*scontrol ping/);
    const noClient = await study({ ...cluster.env, PATH: '/nonexistent' });
    assert.match(
      noClient.reason ?? '',
      /Slurm is not reachable \(tuner\.runner: slurm\): srun, sinfo, squeue, scontrol, scancel not found on PATH; install the Slurm client/,
    );
    const big = await study(cluster.env, { worldSize: cluster.cpus + 2 });
    assert.match(
      big.reason ?? '',
      new RegExp(
        `the world size \\(tuner\\.world_size / --world-size\\) ${cluster.cpus + 2} x tuner\\.slurm\\.cpus_per_task 1 = ${cluster.cpus + 2} CPUs in one task, but the nodes of partition "debug" have ${cluster.cpus}`,
      ),
    );
    assert.equal(sha(config), before, 'no partial edits');
    assert.deepEqual(
      readdirSync(dir).sort(),
      ['.batch-tuner', 'config.yaml', 'dead.conf', 'sleeper.py'],
      'the failed studies are saved; nothing else was written',
    );
  },
);
