// Data-parallel trials on a real Slurm (issue 13): examples/pytorch-ddp/train.py as one job with
// two tasks (`tuner.slurm.workers: srun`: srun -n 2, each task one gloo worker that reads
// SLURM_PROCID), and the same script with torchrun inside one task of two CPUs (`workers:
// command`). Rank 0 reports for both; the job's resources are what the trial asked for.
// Skipped (not run) without root, the Slurm packages or the test venv (torch 2.x).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createSlurmRunner } from '../../src/core/runner';
import type { SlurmSettings } from '../../src/core/resolve/types';
import type { TrainingConfig, TrialResult } from '../../src/core/types';
import { slurmSkipReason, startSlurmCluster, queue, type SlurmCluster } from './helpers/slurmCluster';
import { pythonEnv, testPython } from './helpers/python';

const ROOT = resolve(__dirname, '../..');
const { python: PY, skip: noTorch } = testPython();
const skip = slurmSkipReason() || noTorch || false;
let cluster: SlurmCluster;
before(async () => {
  if (!skip) cluster = await startSlurmCluster();
});
after(async () => {
  await cluster?.stop();
});

async function ddpTrial(workers: SlurmSettings['workers'], command: string): Promise<{ r: TrialResult; jobs: Array<{ cpus: number }> }> {
  const dir = mkdtempSync(join(tmpdir(), 'bt-slurm-ddp-'));
  writeFileSync(join(dir, 'config.yaml'), readFileSync(join(ROOT, 'examples/pytorch-ddp/config.yaml'), 'utf8'));
  const env = pythonEnv({ ...cluster.env, BATCH_TUNER_PYTHON: PY, BATCH_TUNER_MNIST: join(ROOT, 'dist/data/mnist.bin') });
  const run = createSlurmRunner({
    command,
    slurm: { cpusPerTask: 1, extraArgs: [], pendingTimeoutSeconds: 120, workers },
    env,
    hangTimeoutMs: 180_000,
    worldSize: 2,
  });
  const jobs: Array<{ cpus: number }> = [];
  const timer = setInterval(() => jobs.push(...queue(cluster.env).filter((j) => j.state === 'RUNNING')), 500);
  const r = await run(
    { id: `ddp-${workers}`, configPath: join(dir, 'config.yaml'), config: {} as TrainingConfig, batchSize: 64, learningRate: 0.001, seed: 1, maxSteps: 8 },
    {},
  );
  clearInterval(timer);
  return { r, jobs };
}

const TRAIN = join(ROOT, 'examples/pytorch-ddp/train.py');

test('srun -n 2 starts the workers: one job, two tasks of one CPU, rank 0 reports the global batch', { skip, timeout: 240_000 }, async () => {
  const { r, jobs } = await ddpTrial('srun', `\${python} ${TRAIN} --config \${config} --max-steps \${steps} --seed \${seed} --world-size \${worldSize}`);
  assert.equal(r.status, 'ok', `${r.error?.message}\n${r.error?.stderrTail ?? ''}`);
  assert.match(r.backend ?? '', /gloo x2 \(srun\)$/);
  assert.match(r.backendReason ?? '', /^Slurm job \d+ on /);
  assert.deepEqual(
    r.steps.map((s) => s.samples),
    [1, 2, 3, 4, 5, 6, 7, 8].map((k) => 64 * k),
    'one record per step (rank 0), the global batch',
  );
  assert.ok(jobs.length > 0 && jobs.every((j) => j.cpus === 2), `the job held 2 CPUs (2 tasks x 1): ${JSON.stringify(jobs.slice(0, 3))}`);
  assert.ok((r.peakMemoryBytes ?? 0) > 50e6, "the largest worker's memory came back");
});

test('workers: command runs torchrun inside one task of 2 CPUs (the same command as on this machine)', { skip, timeout: 240_000 }, async () => {
  const { r, jobs } = await ddpTrial(
    'command',
    `\${python} -m batch_tuner.torchrun --standalone --nproc-per-node \${worldSize} ${TRAIN} --config \${config} --max-steps \${steps} --seed \${seed} --world-size \${worldSize}`,
  );
  assert.equal(r.status, 'ok', `${r.error?.message}\n${r.error?.stderrTail ?? ''}`);
  assert.match(r.backend ?? '', /gloo x2 \(torchrun\)$/);
  assert.equal(r.steps.length, 8);
  assert.ok(jobs.length > 0 && jobs.every((j) => j.cpus === 2), `one task with 2 CPUs: ${JSON.stringify(jobs.slice(0, 3))}`);
});
