// Data-parallel trials (issue 13, the script side): examples/pytorch-ddp/train.py with two real
// gloo workers on this machine, started by torchrun (torch 2.x from the test venv), by the
// standard environment (MASTER_ADDR/PORT, RANK, WORLD_SIZE), and by the environment srun gives
// its tasks (SLURM_PROCID/SLURM_NTASKS). Rank 0 reports for all; the noise-scale statistics come
// from per-worker vs all-reduced gradients (checked on a hand-computed case).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseMetricsLine } from '../../src/core/runner/metricsProtocol';
import { pythonEnv, testPython } from './helpers/python';

const ROOT = resolve(__dirname, '../..');
const TRAIN = join(ROOT, 'examples/pytorch-ddp/train.py');
const MNIST = join(ROOT, 'dist/data/mnist.bin');
const { python: PY, torchrun: TORCHRUN, skip } = testPython();

interface Rec {
  type: string;
  [k: string]: unknown;
}

function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.on('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => res(port));
    });
  });
}

function records(file: string): Rec[] {
  if (!existsSync(file)) return [];
  const lines = readFileSync(file, 'utf8').trim().split('\n');
  for (const l of lines) assert.equal(parseMetricsLine(l).kind, 'record', l);
  return lines.map((l) => JSON.parse(l));
}

function baseEnv(metrics: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return pythonEnv({ BATCH_TUNER_METRICS: metrics, BATCH_TUNER_MNIST: MNIST, OMP_NUM_THREADS: '1', ...extra });
}

/** Starts one process per rank with the given per-rank environment; resolves with their exit codes and stderr. */
function startRanks(args: string[], envFor: (rank: number) => NodeJS.ProcessEnv): Promise<Array<{ code: number | null; stderr: string }>> {
  return Promise.all(
    [0, 1].map(
      (rank) =>
        new Promise<{ code: number | null; stderr: string }>((res) => {
          const child = spawn(PY!, [TRAIN, ...args], { env: envFor(rank), stdio: ['ignore', 'ignore', 'pipe'] });
          let stderr = '';
          child.stderr.on('data', (d) => (stderr += d));
          const timer = setTimeout(() => child.kill('SIGKILL'), 150_000);
          child.on('exit', (code) => {
            clearTimeout(timer);
            res({ code, stderr });
          });
        }),
    ),
  );
}

const stepsOf = (rs: Rec[]) => rs.filter((r) => r.type === 'step');

test(
  'torchrun, 2 gloo workers: rank 0 reports global samples, max memory, and per-worker vs all-reduced gradient norms; the same training as one process',
  { skip, timeout: 300_000 },
  () => {
    assert.ok(existsSync(MNIST), 'run `npm run build` first (creates dist/data/mnist.bin)');
    assert.ok(TORCHRUN, 'torchrun in the test venv');
    const dir = mkdtempSync(join(tmpdir(), 'bt-ddp-'));
    const ddp = join(dir, 'ddp.jsonl');
    const args = [TRAIN, '--max-steps', '12', '--batch-size', '64', '--seed', '5'];
    const r = spawnSync(TORCHRUN, ['--standalone', '--nproc-per-node', '2', ...args], {
      cwd: dir,
      encoding: 'utf8',
      timeout: 200_000,
      env: baseEnv(ddp, { BATCH_TUNER_ACCUMULATION_STEPS: '2', BATCH_TUNER_WORLD_SIZE: '2' }),
    });
    assert.equal(r.status, 0, r.stderr.slice(-3000));
    const recs = records(ddp);
    assert.equal(recs[0].type, 'start');
    assert.match(String(recs[0].backend), /^pytorch 2\..* gloo x2 \(torchrun\)$/);
    assert.deepEqual(
      [recs[0].batch_size, recs[0].world_size, recs[0].accumulation_steps, recs[0].micro_batch_size],
      [64, 2, 2, 16],
      'global 64 = micro 16 x 2 steps x 2 workers',
    );
    const steps = stepsOf(recs);
    assert.deepEqual(
      steps.map((s) => s.step),
      Array.from({ length: 12 }, (_, i) => i + 1),
      'one record per step: only rank 0 writes',
    );
    assert.ok(
      steps.every((s) => s.samples === (s.step as number) * 64 && s.batch_size === 64),
      'throughput counts the global batch',
    );
    assert.ok(
      steps.every((s) => (s.memory_bytes as number) > 50e6),
      'peak memory of the largest worker',
    );
    // b = the per-worker batch (16 x 2 accumulated), B = 64: a worker's gradient is noisier.
    assert.ok(steps.every((s) => s.micro_batch_size === 32 && (s.micro_grad_sq_norm as number) > (s.grad_sq_norm as number) && (s.grad_sq_norm as number) > 0));
    assert.deepEqual(
      recs.filter((x) => x.type === 'eval').map((e) => e.step),
      [12],
    );
    assert.equal(recs.at(-1)!.type, 'done');

    // One process with the same global batch sees the same samples: the same losses, up to rounding.
    const single = join(dir, 'single.jsonl');
    const one = spawnSync(PY!, args, { cwd: dir, encoding: 'utf8', timeout: 120_000, env: baseEnv(single) });
    assert.equal(one.status, 0, one.stderr.slice(-3000));
    const ref = stepsOf(records(single));
    assert.match(String(records(single)[0].backend), /x1 \(single\)$/);
    steps.forEach((s, i) =>
      assert.ok(Math.abs((s.loss as number) - (ref[i].loss as number)) < 1e-4, `step ${s.step}: ${s.loss} (2 workers) vs ${ref[i].loss} (1 process)`),
    );
  },
);

test("the standard environment and srun's environment start the same 2-worker run", { skip, timeout: 300_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'bt-ddp-env-'));
  for (const launcher of ['env', 'srun'] as const) {
    const metrics = join(dir, `${launcher}.jsonl`);
    const port = String(await freePort());
    const results = await startRanks(['--max-steps', '4', '--batch-size', '32'], (rank) =>
      baseEnv(
        metrics,
        launcher === 'env'
          ? { MASTER_ADDR: '127.0.0.1', MASTER_PORT: port, WORLD_SIZE: '2', RANK: String(rank) }
          : { SLURM_PROCID: String(rank), SLURM_NTASKS: '2', SLURM_LOCALID: String(rank), SLURM_STEP_NODELIST: '127.0.0.1', MASTER_PORT: port },
      ),
    );
    for (const x of results) assert.equal(x.code, 0, x.stderr.slice(-2000));
    const recs = records(metrics);
    assert.match(String(recs[0].backend), new RegExp(`gloo x2 \\(${launcher}\\)$`));
    assert.deepEqual(
      stepsOf(recs).map((s) => [s.step, s.samples, s.micro_batch_size]),
      [
        [1, 32, 16],
        [2, 64, 16],
        [3, 96, 16],
        [4, 128, 16],
      ],
    );
  }
});

/** True when nothing listens on 127.0.0.1:port now. */
function portIsFree(port: number): Promise<boolean> {
  return new Promise((res) => {
    const s = createServer();
    s.once('error', () => res(false));
    s.listen(port, '127.0.0.1', () => s.close(() => res(true)));
  });
}

test('two Slurm jobs on one node, MASTER_PORT unset: each takes the port its SLURM_JOB_ID gives, and both runs train', { skip, timeout: 300_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'bt-ddp-jobs-'));
  // Two job ids whose ports (10000 + id mod 20000) are free now; before, both jobs took 29517.
  let job: number;
  const port = (id: number) => 10000 + (id % 20000);
  do job = 1_000_000 + Math.floor(Math.random() * 1_000_000);
  while (!(await portIsFree(port(job))) || !(await portIsFree(port(job + 1))));
  const run = (id: number) => {
    const metrics = join(dir, `${id}.jsonl`);
    return startRanks(['--max-steps', '4', '--batch-size', '32'], (rank) => {
      const env = baseEnv(metrics, {
        SLURM_JOB_ID: String(id),
        SLURM_PROCID: String(rank),
        SLURM_NTASKS: '2',
        SLURM_LOCALID: String(rank),
        SLURM_STEP_NODELIST: '127.0.0.1',
      });
      delete env.MASTER_PORT;
      delete env.MASTER_ADDR;
      return env;
    }).then((results) => ({ results, recs: records(metrics) }));
  };
  for (const { results, recs } of await Promise.all([run(job), run(job + 1)])) {
    for (const x of results) assert.equal(x.code, 0, x.stderr.slice(-2000));
    assert.match(String(recs[0].backend), /gloo x2 \(srun\)$/);
    assert.deepEqual(
      stepsOf(recs).map((s) => s.samples),
      [32, 64, 96, 128],
    );
  }
});

test(
  'a DDP trial whose start-up outlasts BATCH_TUNER_MAX_SECONDS still trains for its budget, then every worker stops',
  { skip, timeout: 300_000 },
  async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bt-ddp-slow-'));
    // Slow data loading (2.5 s, after the Reporter exists): sitecustomize wraps the example's loader.
    writeFileSync(
      join(dir, 'sitecustomize.py'),
      'import time\nimport batch_tuner.datasets as d\n_load = d.load_mnist\nd.load_mnist = lambda *a, **k: (time.sleep(2.5), _load(*a, **k))[1]\n',
    );
    const metrics = join(dir, 'm.jsonl');
    const port = String(await freePort());
    const results = await startRanks(['--max-steps', '100000', '--batch-size', '32'], (rank) => {
      const env = baseEnv(metrics, { MASTER_ADDR: '127.0.0.1', MASTER_PORT: port, WORLD_SIZE: '2', RANK: String(rank), BATCH_TUNER_MAX_SECONDS: '1' });
      return { ...env, PYTHONPATH: `${dir}:${env.PYTHONPATH}` };
    });
    for (const x of results) assert.equal(x.code, 0, x.stderr.slice(-2000));
    const steps = stepsOf(records(metrics));
    assert.ok(steps.length >= 2, `${steps.length} step(s): the budget was spent in start-up`);
    assert.ok(steps.length < 100000, 'stopped by the time limit, on both workers');
    assert.equal(records(metrics).at(-1)!.type, 'done');
  },
);

test('DistributedGradStats matches a hand-computed case with 2 workers', { skip, timeout: 200_000 }, () => {
  // Worker r's loss is a_r . w with a_0 = (1, 2), a_1 = (3, 0): local gradients a_r, all-reduced
  // (mean) gradient (2, 1). grad_sq_norm = |(2, 1)|^2 = 5; micro_grad_sq_norm = (5 + 9) / 2 = 7.
  const dir = mkdtempSync(join(tmpdir(), 'bt-ddp-hand-'));
  const script = join(dir, 'hand.py');
  writeFileSync(
    script,
    `
import json, sys, torch, torch.distributed as dist
from torch.nn.parallel import DistributedDataParallel
from batch_tuner import DistributedGradStats
from batch_tuner.distributed import init_distributed
ctx = init_distributed()
class Dot(torch.nn.Module):
    def __init__(self):
        super().__init__(); self.w = torch.nn.Parameter(torch.zeros(2))
    def forward(self, a):
        return a @ self.w
model = DistributedDataParallel(Dot())
stats = DistributedGradStats(model, per_worker_batch=8).attach()
a = torch.tensor([[1.0, 2.0], [3.0, 0.0]][ctx.rank])
out = []
for step in range(2):
    model.zero_grad(); stats.reset()
    model(a).backward()
    out.append(stats.stats())
if ctx.rank == 0:
    json.dump(out, open(sys.argv[1], "w"))
dist.destroy_process_group()
`,
  );
  const out = join(dir, 'out.json');
  const r = spawnSync(TORCHRUN!, ['--standalone', '--nproc-per-node', '2', script, out], {
    encoding: 'utf8',
    timeout: 190_000,
    env: pythonEnv({ OMP_NUM_THREADS: '1' }),
  });
  assert.equal(r.status, 0, r.stderr.slice(-3000));
  for (const s of JSON.parse(readFileSync(out, 'utf8'))) {
    assert.ok(Math.abs(s.grad_sq_norm - 5) < 1e-9 && Math.abs(s.micro_grad_sq_norm - 7) < 1e-9 && s.micro_batch_size === 8, JSON.stringify(s));
  }
});

test('bad parallel settings: a clear message naming what to change', { skip, timeout: 120_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'bt-ddp-bad-'));
  const run = (args: string[], env: NodeJS.ProcessEnv) =>
    spawnSync(PY!, [TRAIN, '--max-steps', '1', ...args], { cwd: dir, encoding: 'utf8', timeout: 60_000, env: baseEnv(join(dir, 'm.jsonl'), env) });
  const world = run([], { BATCH_TUNER_WORLD_SIZE: '4', BATCH_TUNER_BATCH_SIZE: '64' });
  assert.equal(world.status, 1);
  assert.match(world.stderr, /this run has 1 worker\(s\) but 4 were asked for .*torchrun --nproc-per-node 4/);
  const split = run(['--batch-size', '63', '--accumulation-steps', '2'], {});
  assert.equal(split.status, 1);
  assert.match(
    split.stderr,
    /batch 63 is not micro-batch 31 x accumulation 2 x 1 worker\(s\): make train_batch_size a multiple of gradient_accumulation_steps x workers/,
  );
});
