// Apply's edits (src/vscode/applyPlan.ts, pure): values validated, the global batch kept
// consistent in its family of keys, and nothing but whitelisted keys changed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { invalidChange, planApply, strayChange } from '../../src/vscode/applyPlan';

const DS = '{\n  "train_batch_size": 64,\n  "train_micro_batch_size_per_gpu": 16,\n  "gradient_accumulation_steps": 4,\n  "optimizer": {"type": "AdamW", "params": {"lr": 0.0003}}\n}\n';
const OURS = 'model: {type: mlp}\ndata:\n  source: mnist\noptimizer:\n  name: sgd\n  learning_rate: 0.1  # keep\nbatch_size: 16  # here\n';

test('DeepSpeed: a global batch of 128 keeps the 4 accumulation steps (micro 32), and the lr beside it', () => {
  const p = planApply(DS, '/w/ds_config.json', 'ds_config.json', { batchSize: 128, learningRate: 0.0006 });
  assert.ok(p.ok, p.ok ? '' : p.reason);
  const j = JSON.parse(p.text);
  assert.deepEqual([j.train_batch_size, j.train_micro_batch_size_per_gpu, j.gradient_accumulation_steps], [128, 32, 4]);
  assert.equal(j.optimizer.params.lr, 0.0006);
});

test('DeepSpeed: a batch that is not a whole number of micro-batches is refused with the multiple to pick', () => {
  const p = planApply(DS, '/w/ds_config.json', 'ds_config.json', { batchSize: 66 });
  assert.equal(p.ok, false);
  assert.match(p.ok ? '' : p.reason, /pick a multiple of 4/);
});

test('DeepSpeed: an "auto" among numbers is a positioned refusal (file:line:col)', () => {
  const text = '{\n  "train_batch_size": "auto",\n  "train_micro_batch_size_per_gpu": 16,\n  "gradient_accumulation_steps": 4\n}\n';
  const p = planApply(text, '/w/ds.json', 'ds.json', { batchSize: 128 });
  assert.equal(p.ok, false);
  if (p.ok) return;
  assert.match(p.reason, /^ds\.json:2:23: train_batch_size is "auto" while/);
  assert.equal(p.diagnostic?.line, 2);
});

test('ours: batch size, learning rate and a schedule; comments stay', () => {
  const p = planApply(OURS, '/w/a.batch-tuner.yaml', 'a.batch-tuner.yaml', { batchSize: 64, learningRate: 0.4, schedule: { kind: 'step', every_steps: 100 } });
  assert.ok(p.ok, p.ok ? '' : p.reason);
  assert.match(p.text, /learning_rate: 0\.4 {2}# keep/);
  assert.match(p.text, /batch_size: 64 {2}# here/);
  assert.match(p.text, /batch_schedule:/);
});

test('values are validated: whole batch sizes, finite learning rates, schedules by the one schedule validator', () => {
  assert.match(invalidChange({ batchSize: 12.5 }) ?? '', /positive integer \(got 12\.5\)/);
  assert.match(invalidChange({ batchSize: 8, learningRate: Number.POSITIVE_INFINITY }) ?? '', /positive finite number/);
  assert.match(invalidChange({ batchSize: 8, learningRate: -1 }) ?? '', /positive finite number/);
  const crafted = { kind: 'step', every_steps: 10, command: 'touch /tmp/x' } as never;
  assert.match(invalidChange({ batchSize: 8, schedule: crafted }) ?? '', /batch_schedule\.command: unknown key "command"/);
  assert.equal(invalidChange({ batchSize: 8, learningRate: 0.1, schedule: { kind: 'linear_ramp', from: 8, to: 64, over_samples: 1000 } }), undefined);
});

test('a schedule only goes into our own format', () => {
  const p = planApply(DS, '/w/ds_config.json', 'ds_config.json', { batchSize: 64, schedule: { kind: 'step', every_steps: 100 } });
  assert.equal(p.ok, false);
  assert.match(p.ok ? '' : p.reason, /only be written into a Batch Tuner training config/);
});

test('strayChange: a key outside the writable ones is caught (YAML, JSON, TOML); writable ones pass', () => {
  assert.equal(strayChange(OURS, OURS.replace('batch_size: 16', 'batch_size: 32'), 'yaml'), undefined);
  assert.equal(strayChange(OURS, OURS.replace('learning_rate: 0.1', 'learning_rate: 0.2'), 'yaml'), undefined);
  assert.equal(strayChange(OURS, OURS + 'tuner:\n  command: touch /tmp/x\n', 'yaml'), 'tuner');
  assert.equal(strayChange(OURS, OURS.replace('name: sgd', 'name: adam'), 'yaml'), 'optimizer.name');
  assert.equal(strayChange(DS, DS.replace('"AdamW"', '"SGD"'), 'json'), 'optimizer.type');
  assert.equal(strayChange('[train]\nbatch_size = 8\nepochs = 1\n', '[train]\nbatch_size = 16\nepochs = 2\n', 'toml'), 'train.epochs');
});

test('Python: the argparse default is written; no batch-size key is a clear refusal', () => {
  const py = 'import argparse\np = argparse.ArgumentParser()\np.add_argument("--batch-size", type=int, default=32)\n';
  const p = planApply(py, '/w/train.py', 'train.py', { batchSize: 128 });
  assert.ok(p.ok, p.ok ? '' : p.reason);
  assert.match(p.text, /default=128\)/);
  const none = planApply('epochs: 3\n', '/w/x.yaml', 'x.yaml', { batchSize: 8 });
  assert.equal(none.ok, false);
  assert.match(none.ok ? '' : none.reason, /x\.yaml has no batch-size key to set/);
});
