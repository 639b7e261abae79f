// The profile phase (issue 10): interleaved rounds (ascending, then descending), the step-time
// model fitted to their windows, and the one real trial that checks a far memory prediction.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runStudy, type StudyOptions } from '../../src/core/study';
import type { TrainingConfig } from '../../src/core/types';
import { simulatedRunner } from './helpers/simulatedRunner';

const config: TrainingConfig = {
  model: { type: 'linear' },
  data: { source: 'synthetic', task: 'regression' },
  optimizer: { name: 'adam', learning_rate: 0.001 },
  batch_size: 32,
};
const options = (over: Partial<StudyOptions> = {}): StudyOptions => ({
  configPath: '/tmp/x/train.yaml',
  config,
  currentBatchSize: 32,
  currentLearningRate: 0.001,
  optimizer: 'adam',
  datasetSize: 8000,
  budgetSeconds: 60,
  seed: 1,
  startupSecondsGuess: 0.01,
  ...over,
});

test('profile: two interleaved rounds, then a real trial checks a memory prediction 4x past the largest profiled size', async () => {
  // Simulated step time t(B) = (B + 64)/20000 s, peak memory 1e6 + 1e5 B bytes.
  const runner = simulatedRunner();
  const out = await runStudy(options({ candidates: [8, 16, 32, 64, 128, 256], maxBatchSize: 1024, memoryLimitBytes: 2e9 }), runner);
  assert.equal(out.status, 'completed', out.reason);
  const ids = runner.specs.filter((s) => s.id.startsWith('profile') || s.id.startsWith('memory')).map((s) => s.id);
  assert.deepEqual(ids, [
    'profile-8',
    'profile-16',
    'profile-32',
    'profile-64',
    'profile-128',
    'profile-256',
    'memory-check-1024',
    'profile-256-r2',
    'profile-128-r2',
    'profile-64-r2',
    'profile-32-r2',
    'profile-16-r2',
    'profile-8-r2',
  ]);
  const rec = out.recommendation;
  assert.ok(rec);
  // The memory fit (capped by the search range, 1024) was checked for real: linear memory, so no error.
  assert.equal(rec.evidence.predictedMaxFit, 1024);
  assert.equal(rec.evidence.memoryCheck?.batchSize, 1024);
  assert.ok(Math.abs(rec.evidence.memoryCheck?.relativeError ?? 1) < 1e-9);
  assert.ok(rec.evidence.notes.some((n) => /checked the memory prediction/.test(n)));
  // The step-time model recovers t(B) = 0.0032 + 5e-5 B from the windows of both rounds.
  const m = rec.evidence.throughputModel;
  assert.ok(m && Math.abs(m.overheadSeconds - 0.0032) < 1e-6 && Math.abs(m.perSampleSeconds - 5e-5) < 1e-9, JSON.stringify(m));
  assert.equal(m.terms, 'linear');
  assert.ok(Math.abs((m.roundDrift ?? 0) - 1) < 1e-9);
  const c64 = rec.candidates.find((c) => c.batchSize === 64);
  assert.ok(c64 && Math.abs((c64.fittedSamplesPerSecond ?? 0) - 10000) < 1e-6 && (c64.throughputWindows ?? 0) >= 2);
  // B_noise measured by two noise seeds; the pick inside its band; every number labelled.
  assert.equal(out.trials.filter((t) => t.phase === 'noise').length, 2);
  assert.equal(rec.basis.throughput, 'fitted');
  assert.equal(rec.basis.noiseScale, 'measured');
  assert.ok(rec.band.low <= rec.batchSize && rec.batchSize <= rec.band.high);
  assert.ok(out.trials.every((t) => t.startupSeconds === undefined || t.startupSeconds >= 0));
});

test('profile: a memory prediction beyond the dataset is capped by it', async () => {
  const out = await runStudy(options({ candidates: [8, 16, 32], maxBatchSize: 4096, datasetSize: 600, memoryLimitBytes: 1e12 }), simulatedRunner());
  assert.equal(out.recommendation?.evidence.predictedMaxFit, 600);
});
