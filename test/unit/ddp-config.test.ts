// A trial's config copy keeps the file's global-batch family consistent (issue 13): the trial's
// global batch is written as micro-batch x accumulation x workers in the keys the file uses
// (withGlobalBatch), so a Lightning config with accumulate_grad_batches: 2 trains batch 32 as 32,
// not 64, and DeepSpeed's train_batch_size = micro x accumulation x GPUs holds in every copy.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeTrialConfig } from '../../src/core/runner/externalConfig';
import { spawnSync } from 'node:child_process';
import { ConfigError, readGlobalBatch, withGlobalBatch } from '../../src/core/config';

function copyOf(name: string, text: string, batch: number, split: { worldSize: number; accumulationSteps: number; microBatchSize: number }, lr?: number) {
  const dir = mkdtempSync(join(tmpdir(), 'bt-ddp-config-'));
  const file = join(dir, name);
  writeFileSync(file, text);
  const copy = writeTrialConfig(file, batch, lr, 'trial', split);
  const out = readFileSync(copy.path, 'utf8');
  copy.remove();
  return { out, reading: readGlobalBatch(out, name, name, { worldSize: split.worldSize }) };
}

test('Lightning with accumulate_grad_batches: 2: a trial of batch 32 trains 32 (batch_size 32, accumulation 1), comments kept', () => {
  const text = '# my run\nbatch_size: 16   # per device\naccumulate_grad_batches: 2\nlr: 0.01\nmax_epochs: 3\n';
  const { out, reading } = copyOf('pl.yaml', text, 32, { worldSize: 1, accumulationSteps: 1, microBatchSize: 32 }, 0.02);
  assert.equal(out, '# my run\nbatch_size: 32   # per device\naccumulate_grad_batches: 1\nlr: 0.02\nmax_epochs: 3\n');
  assert.equal(reading?.global, 32);
});

test("DeepSpeed's three numbers stay consistent: 128 over 2 GPUs with 2 accumulation steps = 32 x 2 x 2", () => {
  const text =
    '{\n  "train_batch_size": 64,\n  "train_micro_batch_size_per_gpu": 32,\n  "gradient_accumulation_steps": 1,\n  "zero_optimization": {"stage": 1}\n}\n';
  const { out, reading } = copyOf('ds.json', text, 128, { worldSize: 2, accumulationSteps: 2, microBatchSize: 32 });
  const j = JSON.parse(out);
  assert.deepEqual([j.train_batch_size, j.train_micro_batch_size_per_gpu, j.gradient_accumulation_steps], [128, 32, 2]);
  assert.deepEqual([reading?.global, reading?.micro, reading?.accumulation, reading?.world, reading?.problems.length], [128, 32, 2, 2, 0]);
});

test('the pytorch-ddp example: a trial of 128 on its 2 workers is written 64 per worker; a lone batch key stays one number', () => {
  const example = readFileSync(join(__dirname, '../../examples/pytorch-ddp/config.yaml'), 'utf8');
  const { out } = copyOf('config.yaml', example, 128, { worldSize: 2, accumulationSteps: 1, microBatchSize: 64 });
  assert.match(out, /^train_batch_size: 128$/m);
  assert.match(out, /^train_micro_batch_size_per_gpu: 64$/m);
  assert.match(out, /^gradient_accumulation_steps: 1$/m);
  const plain = copyOf('plain.yaml', 'batch_size: 8\nlr: 0.1\n', 16, { worldSize: 1, accumulationSteps: 1, microBatchSize: 16 });
  assert.equal(plain.out, 'batch_size: 16\nlr: 0.1\n');
});

test('a family that cannot hold the split is a config error at file:line:col, and no copy is left', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bt-ddp-config-'));
  const file = join(dir, 'hf.yaml');
  writeFileSync(file, 'per_device_train_batch_size: auto\ngradient_accumulation_steps: 2\n');
  assert.throws(() => writeTrialConfig(file, 32, undefined, 't', { worldSize: 1, accumulationSteps: 1, microBatchSize: 32 }), /hf\.yaml:1:\d+: /);
  assert.deepEqual(readdirSync(dir), ['hf.yaml']);
});

test("inconsistent DeepSpeed numbers: `tune` refuses before any trial with file:line:col (exit 2), Apply's edit refuses the same way; the file is untouched", () => {
  const dir = mkdtempSync(join(tmpdir(), 'bt-ddp-bad-'));
  const file = join(dir, 'ds_config.json');
  const text =
    '{\n  "train_batch_size": 100,\n  "train_micro_batch_size_per_gpu": 16,\n  "gradient_accumulation_steps": 2,\n  "tuner": { "command": "/usr/bin/python3 train.py --config ${config}" }\n}\n';
  writeFileSync(file, text);
  const r = spawnSync(process.execPath, [join(__dirname, '../../dist/cli.js'), 'tune', file, '--json'], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(r.status, 2, r.stderr);
  assert.match(r.stderr, /ds_config\.json:2:23: .*train_batch_size/);
  assert.equal(r.stdout, '');
  assert.throws(
    () => withGlobalBatch(text, file, { micro: 16, accumulation: 2, world: 4 }),
    (e: unknown) => e instanceof ConfigError && /ds_config\.json:2:23:/.test(e.message),
  );
  assert.equal(readFileSync(file, 'utf8'), text);
  assert.deepEqual(readdirSync(dir), ['ds_config.json'], 'no study, no copy');
});
