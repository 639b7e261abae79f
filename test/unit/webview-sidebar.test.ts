import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { TrialSummary } from '../../src/core/types';
import { bestSoFar, emptySummary, reduceSummary } from '../../webview/sidebar/studySummary';

const trial = (id: string, batchSize: number, sps: number, loss: number, status: TrialSummary['status'] = 'ok'): TrialSummary => ({
  id,
  status,
  batchSize,
  learningRate: 0.01,
  seed: 1,
  samplesPerSecond: sps,
  wallSeconds: 1,
  phase: 'profile',
  finalLoss: loss,
});

test('the sidebar summary follows a study through its messages', () => {
  const s = emptySummary();
  reduceSummary(s, {
    v: 1,
    type: 'init',
    init: {
      configLabel: 'a.yaml',
      datasetSize: 100,
      totalMemoryBytes: 1,
      settings: { batchSize: 1, minBatchSize: 1, maxBatchSize: 1, memoryLimitBytes: 1, budgetSeconds: 1, lrRule: 'none' },
      trusted: false,
      running: false,
      trials: [],
    },
  });
  assert.equal(s.configLabel, 'a.yaml');
  assert.equal(s.trusted, false);
  reduceSummary(s, { v: 1, type: 'running', running: true });
  reduceSummary(s, { v: 1, type: 'phase', phase: 'profile', message: 'trial 1 of 4', progress: 0.25 });
  reduceSummary(s, {
    v: 1,
    type: 'metrics',
    sentAt: 0,
    batches: [
      {
        trialId: 'p-64',
        batchSize: 64,
        evals: [],
        steps: [{ step: 7, epoch: 0, samples: 448, loss: 0.9, batchSize: 64, learningRate: 0.01, stepTimeMs: 10, samplesPerSecond: 6400, time: 0.07 }],
      },
    ],
  });
  assert.deepEqual(s.current, { trialId: 'p-64', batchSize: 64, step: 7, loss: 0.9, samplesPerSecond: 6400 });
  reduceSummary(s, { v: 1, type: 'trial', trial: trial('p-64', 64, 6400, 0.9) });
  assert.equal(s.current, undefined, 'a finished trial is no longer running');
  assert.equal(s.trials.size, 1);
  reduceSummary(s, { v: 1, type: 'error', message: 'boom' });
  assert.equal(s.error, 'boom');
  reduceSummary(s, { v: 1, type: 'running', running: false });
  assert.equal(s.running, false);
  assert.equal(s.phase, 'profile');
  assert.equal(s.progress, 0.25);
});

test('bestSoFar: fastest and lowest loss among successful trials only', () => {
  const { fastest, lowestLoss } = bestSoFar([
    trial('a', 32, 3000, 0.5),
    trial('b', 512, 9000, 0.8),
    trial('c', 4096, 20000, 0.1, 'oom'),
    trial('d', 64, 4000, 0.3),
  ]);
  assert.equal(fastest?.id, 'b');
  assert.equal(lowestLoss?.id, 'd');
  assert.deepEqual(bestSoFar([]), { fastest: undefined, lowestLoss: undefined });
});
