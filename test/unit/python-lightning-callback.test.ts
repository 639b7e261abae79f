// Lightning with batch_tuner.lightning.BatchTunerCallback (one line in the script): the real
// Trainer on CPU (examples/lightning-regression) — steps, accumulation statistics, validation,
// the step limit; a batch-size plan driven by Batch Tuner's own schedule driver through the
// control file and followed mid-run (DynamicBatchSampler); and a real out-of-memory error.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { TrainingConfig, TrialSpec } from '../../src/core/types';
import { createExternalRunner } from '../../src/core/runner/external';
import { parseMetricsLine } from '../../src/core/runner/metricsProtocol';
import { pythonEnv, testPython } from './helpers/python';

const EXAMPLE = resolve(__dirname, '../../examples/lightning-regression');
const { python: PY, skip } = testPython();

interface Rec {
  type: string;
  [k: string]: unknown;
}

function example(edits: Record<string, string | number>): { dir: string; config: string } {
  const dir = mkdtempSync(join(tmpdir(), 'bt-lightning-'));
  copyFileSync(join(EXAMPLE, 'train.py'), join(dir, 'train.py'));
  let text = readFileSync(join(EXAMPLE, 'config.yaml'), 'utf8');
  for (const [key, value] of Object.entries(edits)) {
    const re = new RegExp(`^${key}: .*$`, 'm');
    text = re.test(text) ? text.replace(re, `${key}: ${value}`) : text.replace('\ntuner:', `${key}: ${value}\n\ntuner:`);
  }
  writeFileSync(join(dir, 'config.yaml'), text);
  return { dir, config: join(dir, 'config.yaml') };
}

function readRecords(file: string): Rec[] {
  if (!existsSync(file)) return [];
  const lines = readFileSync(file, 'utf8').trim().split('\n');
  for (const l of lines) assert.equal(parseMetricsLine(l).kind, 'record', `the host parser accepts ${l}`);
  return lines.map((l) => JSON.parse(l));
}

test('Lightning: steps over accumulated micro-batches, gradient statistics, validation, the step limit', { skip, timeout: 180_000 }, () => {
  const { dir } = example({ batch_size: 16, accumulate_grad_batches: 2, val_check_interval: 8, lr: 0.02 });
  const metrics = join(dir, 'm.jsonl');
  const r = spawnSync(PY!, ['train.py', '--config', 'config.yaml', '--max-steps', '40'], {
    cwd: dir,
    encoding: 'utf8',
    timeout: 170_000,
    env: pythonEnv({ BATCH_TUNER_METRICS: metrics, BATCH_TUNER_STEPS: '30', OMP_NUM_THREADS: '1' }),
  });
  assert.equal(r.status, 0, r.stderr.slice(-3000));
  const records = readRecords(metrics);
  const steps = records.filter((x) => x.type === 'step');
  assert.equal(records[0].type, 'start');
  assert.match(String(records[0].backend), /^lightning 2\..* \/ torch 2\./);
  assert.equal(records.at(-1)!.type, 'done');
  assert.deepEqual(
    steps.map((s) => s.step),
    Array.from({ length: 30 }, (_, i) => i + 1),
    'stopped at BATCH_TUNER_STEPS (30 < max_steps 40)',
  );
  assert.ok(
    steps.every((s) => s.batch_size === 32 && s.samples === (s.step as number) * 32),
    'a step is 2 micro-batches of 16',
  );
  assert.ok(
    steps.every((s) => s.micro_batch_size === 16 && (s.micro_grad_sq_norm as number) > (s.grad_sq_norm as number) && (s.grad_sq_norm as number) > 0),
    'micro-batch gradient statistics on every step',
  );
  assert.ok(steps.every((s) => (s.memory_bytes as number) > 50e6 && s.lr === 0.02));
  const mean = (xs: Rec[]) => xs.reduce((a, s) => a + (s.loss as number), 0) / xs.length;
  assert.ok(mean(steps.slice(-5)) < 0.5 * mean(steps.slice(0, 5)), `the loss falls: ${mean(steps.slice(0, 5))} -> ${mean(steps.slice(-5))}`);
  const evals = records.filter((x) => x.type === 'eval');
  assert.deepEqual(
    evals.map((e) => e.step),
    [4, 8, 12, 16, 20, 24, 28, 30],
    'val_check_interval 8 batches = every 4 steps, and Lightning validates when stopped',
  );
});

test('Lightning: a step schedule from Batch Tuner grows the batch 16 -> 32 -> 64 mid-run', { skip, timeout: 180_000 }, async () => {
  const { config } = example({ batch_size: 16, accumulate_grad_batches: 1, val_check_interval: 1000, min_step_seconds: 0.15 });
  const run = createExternalRunner({
    command: '${python} train.py --config ${config} --max-steps ${steps} --seed ${seed}',
    pythonPath: PY!,
    hangTimeoutMs: 120_000,
    env: pythonEnv({ OMP_NUM_THREADS: '1' }),
  });
  const spec: TrialSpec = {
    id: 'lightning-sched',
    configPath: config,
    config: {} as TrainingConfig,
    batchSize: 16,
    learningRate: 0.01,
    seed: 1,
    maxSteps: 24,
    evalEvery: 0,
    schedule: { kind: 'step', every_steps: 8, factor: 2, max_batch_size: 64 },
  };
  const r = await run(spec, {});
  assert.equal(r.status, 'ok', `${JSON.stringify(r.error)} ${r.warnings}`);
  const sizes = r.steps.map((s) => s.batchSize);
  assert.equal(r.steps.length, 24, sizes.join(','));
  // The plan asks for 32 from step 9 and 64 from step 17. Lightning's loader fetches one batch
  // ahead, so a change lands up to two steps after the host wrote it.
  const first32 = r.steps.find((s) => s.batchSize === 32)?.step ?? 0;
  const first64 = r.steps.find((s) => s.batchSize === 64)?.step ?? 0;
  assert.ok(first32 >= 9 && first32 <= 11, `32 from step ${first32}: ${sizes.join(',')}`);
  assert.ok(first64 >= 17 && first64 <= 19, `64 from step ${first64}: ${sizes.join(',')}`);
  assert.ok(sizes.every((b, i) => i === 0 || b >= sizes[i - 1]) && sizes.every((b) => [16, 32, 64].includes(b)), sizes.join(','));
  let samples = 0;
  for (const s of r.steps) {
    samples += s.batchSize;
    assert.equal(s.samples, samples, 'samples count the batch in force');
  }
  // The lr follows the plan (sqrt rule from 0.01 for an unknown optimizer) once the size changed.
  for (const s of r.steps)
    assert.ok(
      s.batchSize === 16 || Math.abs(s.learningRate - 0.01 * Math.sqrt(s.batchSize / 16)) < 1e-9 || s.step === first32 || s.step === first64,
      `lr at ${s.step}: ${s.learningRate}`,
    );
});

test('Lightning: a real out-of-memory error becomes an oom record (on_exception)', { skip, timeout: 120_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'bt-lightning-oom-'));
  const script = join(dir, 'oom.py');
  writeFileSync(
    script,
    `
import resource, torch, torch.nn as nn, torch.nn.functional as F
import lightning as L
from torch.utils.data import DataLoader, TensorDataset
from batch_tuner.lightning import BatchTunerCallback
class Wide(L.LightningModule):
    def __init__(self):
        super().__init__(); self.net = nn.Sequential(nn.Linear(64, 4096), nn.ReLU(), nn.Linear(4096, 1))
    def training_step(self, batch, i):
        return F.mse_loss(self.net(batch[0]), batch[1])
    def configure_optimizers(self):
        return torch.optim.SGD(self.parameters(), lr=0.01)
ds = TensorDataset(torch.randn(65536, 64), torch.randn(65536, 1))
trainer = L.Trainer(max_steps=2, accelerator="cpu", logger=False, enable_checkpointing=False, enable_progress_bar=False,
                    enable_model_summary=False, callbacks=[BatchTunerCallback()])
# A real allocation failure: 256 MiB more address space than now; one batch's activations need 1 GiB.
vm = next(int(l.split()[1]) * 1024 for l in open("/proc/self/status") if l.startswith("VmSize:"))
resource.setrlimit(resource.RLIMIT_AS, (vm + 256 * 2**20, resource.RLIM_INFINITY))
trainer.fit(Wide(), DataLoader(ds, batch_size=65536))
`,
  );
  const metrics = join(dir, 'm.jsonl');
  const r = spawnSync(PY!, [script], {
    cwd: dir,
    encoding: 'utf8',
    timeout: 110_000,
    env: pythonEnv({ BATCH_TUNER_METRICS: metrics, BATCH_TUNER_BATCH_SIZE: '65536', OMP_NUM_THREADS: '1' }),
  });
  assert.notEqual(r.status, 0);
  const records = readRecords(metrics);
  assert.deepEqual(
    records.map((x) => x.type),
    ['start', 'oom', 'done'],
    r.stderr.slice(-2000),
  );
  assert.match(String(records[1].message), /can't allocate memory|out of memory/i);
  assert.equal(records[2].status, 'oom');
});
