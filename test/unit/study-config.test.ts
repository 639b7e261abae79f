// StudyOptions from both kinds of config: ours (with its tuner section) and a user's own.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadTrainingConfig } from '../../src/core/config';
import { loadExternalConfig } from '../../src/core/runner/externalConfig';
import { guessOptimizer, resolveSettings, studyOptionsForExternalConfig, studyOptionsForTrainingConfig } from '../../src/core/study';
import { writeTempConfig } from './helpers/mnistConfig';

test('our config: current batch/lr/optimizer/dataset size, tuner section as defaults, overrides win', () => {
  const { file } = writeTempConfig(
    'model: {type: mlp}\ndata: {source: mnist, train_samples: 3000, test_samples: 500}\noptimizer: {name: sgd, learning_rate: 0.05}\nbatch_size: 48\ntuner:\n  min_batch_size: 16\n  memory_limit: "1GB"\n  budget_seconds: 90\n',
  );
  const o = studyOptionsForTrainingConfig(loadTrainingConfig(file), { budgetSeconds: 30 });
  assert.equal(o.currentBatchSize, 48);
  assert.equal(o.currentLearningRate, 0.05);
  assert.equal(o.datasetSize, 3000);
  assert.equal(o.minBatchSize, 16);
  assert.equal(o.memoryLimitBytes, 1e9);
  assert.equal(o.budgetSeconds, 30);
  const s = resolveSettings(o);
  assert.equal(s.lrRule, 'linear', 'SGD scales the lr linearly by default');
  assert.deepEqual(s.candidates, [16, 32, 48, 64, 128, 256, 512, 1024], 'powers of two plus the current size');
});

test("a user's own config: batch size, lr and dataset size found in it; placeholder config for the runner", () => {
  const { file } = writeTempConfig('batch_size: 24\nlr: 0.0003\noptimizer: AdamW\ntrain_samples: 5000\ntuner:\n  command: "python train.py --config ${config}"\n  max_batch_size: 256\n', 'own.yaml');
  const o = studyOptionsForExternalConfig(loadExternalConfig(file));
  assert.equal(o.currentBatchSize, 24);
  assert.equal(o.currentLearningRate, 0.0003);
  assert.equal(o.datasetSize, 5000);
  assert.equal(o.optimizer, 'adamw');
  assert.equal(o.maxBatchSize, 256);
  assert.equal(resolveSettings(o).lrRule, 'sqrt');
  assert.equal(guessOptimizer('--optim sgd'), 'sgd');
});
