// StudyOptions from both kinds of config through the one resolver: ours (with its tuner
// section) and a user's own; the layers' precedence; the one set of defaults.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { resolveSettings } from '../../src/core/study';
import { guessOptimizer, resolveStudy, type ResolveInput, type ResolvedStudy } from '../../src/core/resolve';
import { writeTempConfig } from './helpers/mnistConfig';

const GiB = 2 ** 30;

function resolved(file: string, extra: Partial<ResolveInput> = {}): ResolvedStudy {
  const r = resolveStudy({ file, text: readFileSync(file, 'utf8'), machine: { totalMemoryBytes: 16 * GiB }, ...extra });
  assert.ok(r.ok, r.ok ? '' : r.message);
  return r;
}

test('our config: current batch/lr/optimizer/dataset size, tuner section as defaults, the run layer wins', () => {
  const { file } = writeTempConfig(
    'model: {type: mlp}\ndata: {source: mnist, train_samples: 3000, test_samples: 500}\noptimizer: {name: sgd, learning_rate: 0.05}\nbatch_size: 48\ntuner:\n  min_batch_size: 16\n  memory_limit: "1GB"\n  budget_seconds: 90\n',
  );
  const r = resolved(file, { run: { source: 'cli', budgetSeconds: 30 } });
  const o = r.options;
  assert.equal(r.kind, 'builtin');
  assert.equal(o.currentBatchSize, 48);
  assert.equal(o.currentLearningRate, 0.05);
  assert.equal(o.datasetSize, 3000);
  assert.equal(o.minBatchSize, 16);
  assert.equal(o.memoryLimitBytes, 1e9);
  assert.equal(o.budgetSeconds, 30);
  assert.deepEqual(
    [r.provenance.budgetSeconds, r.provenance.minBatchSize, r.provenance.memoryLimitBytes, r.provenance.seed],
    ['cli', 'config', 'config', 'default'],
  );
  const s = resolveSettings(o);
  assert.equal(s.lrRule, 'linear', 'SGD scales the lr linearly by default');
  assert.equal(r.provenance.lrRule, 'default');
  assert.deepEqual(s.candidates, [16, 32, 48, 64, 128, 256, 512, 1024], 'powers of two plus the current size');
  assert.equal(r.runner.kind, 'trainer');
  assert.equal(r.runner.hangTimeoutMs, 300_000, 'the one trial-timeout default reaches the built-in trainer');
});

test("a user's own config: batch size, lr and dataset size found in it; placeholder config for the runner", () => {
  const { dir, file } = writeTempConfig(
    'batch_size: 24\nlr: 0.0003\noptimizer: AdamW\ntrain_samples: 5000\ntuner:\n  command: "python train.py --config ${config}"\n  max_batch_size: 256\n  timeout_seconds: 30\n',
    'own.yaml',
  );
  const r = resolved(file, { editor: { workspaceFolder: dir } });
  const o = r.options;
  assert.equal(r.kind, 'external');
  assert.equal(o.currentBatchSize, 24);
  assert.equal(o.currentLearningRate, 0.0003);
  assert.equal(o.datasetSize, 5000);
  assert.equal(o.optimizer, 'adamw');
  assert.equal(o.maxBatchSize, 256);
  assert.equal(o.config.batch_size, 24, 'the placeholder carries the batch size; the runner never reads it');
  assert.equal(resolveSettings(o).lrRule, 'sqrt');
  assert.deepEqual(r.runner, { kind: 'external', command: 'python train.py --config ${config}', shell: false, workspaceFolder: dir, hangTimeoutMs: 30_000 });
  assert.equal(o.outDir, `${dir}/.batch-tuner`);
  assert.equal(guessOptimizer('--optim sgd'), 'sgd');
  assert.equal(guessOptimizer('batch_size: 8'), undefined);
});

test('train: the batch size and lr of one run; the lr follows the rule when the batch size changes', () => {
  const { file } = writeTempConfig();
  const same = resolved(file);
  assert.deepEqual(same.train, { batchSize: 32, learningRate: 0.001, seed: 1 });
  const bigger = resolved(file, { run: { source: 'cli', batchSize: 128, steps: 20 } });
  assert.equal(bigger.train.batchSize, 128);
  assert.ok(Math.abs(bigger.train.learningRate - 0.002) < 1e-12, 'Adam: sqrt rule, 0.001 * sqrt(4)');
  assert.equal(bigger.train.steps, 20);
  const given = resolved(file, { run: { source: 'cli', batchSize: 128, learningRate: 0.01 } });
  assert.equal(given.train.learningRate, 0.01);
});
