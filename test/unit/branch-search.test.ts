// The bisection that finds the CBS at each checkpoint (issue 11), against hand-made branch losses
// with a known answer: which sizes it tries, in which order, and what it concludes. The runner
// here returns those losses as evaluations (it stands for the trainer, whose real branches
// branch-study.test.ts runs).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { TrainingConfig, TrialRunner, TrialSpec } from '../../src/core/types';
import { StudyContext } from '../../src/core/study/context';
import { resolveSettings } from '../../src/core/study/settings';
import { searchCriticalBatch } from '../../src/core/study/branchSearch';
import { measurePoint } from '../../src/core/study/branchMeasure';

const config: TrainingConfig = {
  model: { type: 'linear' },
  data: { source: 'synthetic', task: 'regression' },
  optimizer: { name: 'adam', learning_rate: 0.001 },
  batch_size: 32,
};
const options = {
  configPath: '/tmp/x/train.yaml',
  config,
  currentBatchSize: 32,
  currentLearningRate: 0.001,
  optimizer: 'adam',
  datasetSize: 100_000,
  budgetSeconds: 600,
  seed: 1,
};

/** Branch losses relative to k = 1: 64 and 128 within 2%, 256 and above not (CBS = 128). */
const relative: Record<number, number> = { 32: 1, 64: 1.005, 128: 1.015, 256: 1.03, 512: 1.1 };

function runnerOf(tried: TrialSpec[]): TrialRunner {
  return async (spec) => {
    tried.push(spec);
    const start = 3200;
    const steps = Math.round((spec.maxSteps ?? 0) - 100);
    const loss = 0.5 * relative[spec.batchSize] * (1 + (spec.seed - 1) * 0.001);
    const evals = [0.5, 0.75, 1].map((f) => ({ step: 100 + Math.round(f * steps), samples: start + f * steps * spec.batchSize, time: f, valLoss: loss }));
    const last = {
      step: 100 + steps,
      epoch: 0,
      samples: start + steps * spec.batchSize,
      loss,
      batchSize: spec.batchSize,
      learningRate: spec.learningRate,
      stepTimeMs: 1,
      samplesPerSecond: 1,
      time: 1,
    };
    return { id: spec.id, status: 'ok', batchSize: spec.batchSize, learningRate: spec.learningRate, seed: spec.seed, steps: [last], evals, wallSeconds: 0 };
  };
}

test('bisection: k = 1, then the middle of the open interval; CBS = 128 from 3 sizes of 5, two seeds each', async () => {
  const tried: TrialSpec[] = [];
  const ctx = new StudyContext(options, resolveSettings(options), runnerOf(tried), undefined, undefined, undefined);
  const cp = { path: '/tmp/ck', step: 100, samples: 3200, loss: 0.6, source: 'study' as const };
  const bp = { samples: 3200, branchSamples: 4096, sizes: [32, 64, 128, 256, 512] };
  const spec = (_c: unknown, _b: unknown, b: number, seed: number): TrialSpec => ({
    id: `branch-${b}-s${seed}`,
    configPath: '/tmp/x/train.yaml',
    config,
    batchSize: b,
    learningRate: 0.001,
    seed,
    maxSteps: 100 + 4096 / b,
  });
  const { searches, cut } = await searchCriticalBatch(ctx, [{ cp, bp }], [1, 2], spec, Infinity);
  assert.equal(cut, false);
  assert.deepEqual(
    tried.map((t) => `${t.batchSize}/${t.seed}`),
    ['32/1', '32/2', '256/1', '256/2', '128/1', '128/2'],
    '256 fails, then 128 passes: resolved',
  );
  assert.deepEqual([searches[0].lo, searches[0].hi], [2, 3]);
  const m = measurePoint(cp, searches[0].results, { reference: 32, branchSamples: 4096, seeds: [1, 2], seed: 1, datasetSize: 100_000 });
  assert.equal(m.point?.value, 128);
  assert.deepEqual(
    m.point?.branches.map((b) => b.batchSize),
    [32, 128, 256],
  );
  assert.match(m.point?.method ?? '', /sizes tried by bisection \(32, 128, 256\)/);
});

test('bisection: a budget that runs out leaves the search open and says so', async () => {
  const tried: TrialSpec[] = [];
  const ctx = new StudyContext(options, resolveSettings(options), runnerOf(tried), undefined, undefined, undefined);
  const cp = { path: '/tmp/ck', step: 100, samples: 3200, loss: 0.6, source: 'study' as const };
  const bp = { samples: 3200, branchSamples: 4096, sizes: [32, 64, 128, 256, 512] };
  const spec = (_c: unknown, _b: unknown, b: number, seed: number): TrialSpec => ({
    id: `branch-${b}-s${seed}`,
    configPath: '/tmp/x/train.yaml',
    config,
    batchSize: b,
    learningRate: 0.001,
    seed,
    maxSteps: 100 + 4096 / b,
  });
  const { cut } = await searchCriticalBatch(ctx, [{ cp, bp }], [1], spec, -1);
  assert.equal(cut, true);
  assert.equal(tried.length, 0);
});
