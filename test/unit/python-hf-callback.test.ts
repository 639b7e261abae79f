// The Hugging Face Trainer with batch_tuner.hf.BatchTunerCallback (one line in the script): a
// tiny GPT-2 built from a config (no hub download) trained by the real Trainer on CPU
// (examples/hf-tiny-gpt2), and a real out-of-memory error (an address-space limit).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseMetricsLine } from '../../src/core/runner/metricsProtocol';
import { pythonEnv, testPython } from './helpers/python';

const EXAMPLE = resolve(__dirname, '../../examples/hf-tiny-gpt2');
const { python: PY, skip } = testPython();

interface Rec {
  type: string;
  [k: string]: unknown;
}

function readRecords(file: string): Rec[] {
  if (!existsSync(file)) return [];
  const lines = readFileSync(file, 'utf8').trim().split('\n');
  for (const l of lines) assert.equal(parseMetricsLine(l).kind, 'record', `the host parser accepts ${l}`);
  return lines.map((l) => JSON.parse(l));
}

test('HF Trainer: steps, loss, gradient statistics, memory, evaluation, the step limit, and a plan it cannot follow', { skip, timeout: 240_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'bt-hf-'));
  for (const f of ['train.py', 'config.yaml']) copyFileSync(join(EXAMPLE, f), join(dir, f));
  writeFileSync(
    join(dir, 'config.yaml'),
    readFileSync(join(dir, 'config.yaml'), 'utf8')
      .replace('eval_steps: 50', 'eval_steps: 3')
      .replace('per_device_train_batch_size: 8', 'per_device_train_batch_size: 4'),
  );
  const metrics = join(dir, 'm.jsonl');
  const control = join(dir, 'control.json');
  writeFileSync(control, JSON.stringify({ v: 1, batch_size: 32, learning_rate: 0.006, seq: 1 }));
  const r = spawnSync(PY!, ['train.py', '--config', 'config.yaml', '--max-steps', '8', '--output-dir', join(dir, 'out')], {
    cwd: dir,
    encoding: 'utf8',
    timeout: 230_000,
    env: pythonEnv({ BATCH_TUNER_METRICS: metrics, BATCH_TUNER_STEPS: '6', BATCH_TUNER_CONTROL: control, OMP_NUM_THREADS: '1' }),
  });
  assert.equal(r.status, 0, r.stderr.slice(-3000));
  const records = readRecords(metrics);
  const steps = records.filter((x) => x.type === 'step');
  assert.equal(records[0].type, 'start');
  assert.match(String(records[0].backend), /^transformers \d.* \/ torch 2\./);
  assert.equal(records.at(-1)!.type, 'done');
  assert.deepEqual(
    steps.map((s) => s.step),
    [1, 2, 3, 4, 5, 6],
    'every optimizer step, and stopped at BATCH_TUNER_STEPS (6 < max_steps 8)',
  );
  assert.ok(
    steps.every((s) => s.batch_size === 8 && s.samples === (s.step as number) * 8),
    'global batch 4 x 2 accumulation; samples = steps x 8',
  );
  assert.ok(
    steps.every((s) => (s.memory_bytes as number) > 50e6),
    'peak RSS on CPU',
  );
  // The Trainer's own log lines (rounded by it) agree with the records.
  const logged = [...r.stdout.matchAll(/\{'loss': '([\d.]+)', 'grad_norm': '([\d.]+)'/g)].map((m) => [Number(m[1]), Number(m[2])]);
  assert.equal(logged.length, 6, r.stdout.slice(-2000));
  steps.forEach((s, i) => {
    assert.ok(Math.abs((s.loss as number) - logged[i][0]) < 1e-3 * Math.max(1, logged[i][0]), `loss at ${s.step}: ${s.loss} vs ${logged[i][0]}`);
    // |g_B|^2 from the micro-batch hooks is the square of the Trainer's own (pre-clipping) norm.
    assert.ok(Math.abs(Math.sqrt(s.grad_sq_norm as number) - logged[i][1]) < 2e-3 * logged[i][1] + 1e-3, `grad norm at ${s.step}`);
    assert.ok((s.micro_grad_sq_norm as number) > (s.grad_sq_norm as number), 'a micro-batch gradient is noisier than the batch gradient');
    assert.equal(s.micro_batch_size, 4);
  });
  assert.ok((steps.at(-1)!.loss as number) < (steps[0].loss as number), 'the loss falls');
  const evals = records.filter((x) => x.type === 'eval');
  assert.deepEqual(
    evals.map((e) => e.step),
    [3, 6],
  );
  assert.ok(evals.every((e) => Number.isFinite(e.val_loss)));
  const warn = records.find((x) => x.type === 'log' && x.level === 'warn');
  assert.match(String(warn?.message), /fixes the batch size when training starts: the plan's change to 32 .* not applied/);
});

test('HF Trainer: a real out-of-memory error becomes an oom record (the memory ceiling)', { skip, timeout: 180_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'bt-hf-oom-'));
  const script = join(dir, 'oom.py');
  writeFileSync(
    script,
    `
import resource, sys, torch
from transformers import GPT2Config, GPT2LMHeadModel, Trainer, TrainingArguments
from batch_tuner.hf import BatchTunerCallback
torch.set_num_threads(1)
model = GPT2LMHeadModel(GPT2Config(n_layer=2, n_head=2, n_embd=64, vocab_size=97, n_positions=32, bos_token_id=0, eos_token_id=0))
ids = torch.arange(32).repeat(8192, 1) % 97
args = TrainingArguments(output_dir=sys.argv[1], max_steps=2, per_device_train_batch_size=4096, report_to=[], use_cpu=True,
                         save_strategy="no", disable_tqdm=True)
trainer = Trainer(model=model, args=args, train_dataset=[{"input_ids": r, "labels": r} for r in ids], callbacks=[BatchTunerCallback()])
# A real allocation failure: this process may hold only 256 MiB more address space than it has now.
vm = next(int(l.split()[1]) * 1024 for l in open("/proc/self/status") if l.startswith("VmSize:"))
resource.setrlimit(resource.RLIMIT_AS, (vm + 256 * 2**20, resource.RLIM_INFINITY))
trainer.train()
`,
  );
  const metrics = join(dir, 'm.jsonl');
  const r = spawnSync(PY!, [script, join(dir, 'out')], {
    encoding: 'utf8',
    timeout: 170_000,
    env: pythonEnv({ BATCH_TUNER_METRICS: metrics, BATCH_TUNER_BATCH_SIZE: '4096', OMP_NUM_THREADS: '1' }),
  });
  assert.notEqual(r.status, 0);
  const records = readRecords(metrics);
  assert.deepEqual(
    records.map((x) => x.type),
    ['start', 'oom', 'done'],
    r.stderr.slice(-2000),
  );
  assert.match(String(records[1].message), /can't allocate memory/);
  assert.equal(records[1].batch_size, 4096);
  assert.equal(records[2].status, 'oom');
});

test('HF Trainer run by hand (no Batch Tuner): the callback changes nothing', { skip, timeout: 180_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'bt-hf-plain-'));
  const r = spawnSync(PY!, [join(EXAMPLE, 'train.py'), '--max-steps', '2', '--output-dir', join(dir, 'out')], {
    cwd: dir,
    encoding: 'utf8',
    timeout: 170_000,
    env: pythonEnv({ OMP_NUM_THREADS: '1' }),
  });
  assert.equal(r.status, 0, r.stderr.slice(-2000));
  assert.doesNotMatch(r.stdout, /batch-tuner:/);
  assert.doesNotMatch(r.stdout, /\{'loss'/, 'logging_steps (50) is kept: no per-step logs');
  assert.match(r.stdout, /'train_loss'/);
});
