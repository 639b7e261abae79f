// Learning-rate co-scaling rules, including AdaScale's gain (Johnson et al. 2020) and its limits.
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { adaScaleFactor, adaScaleGain, createScheduleController, scaledLearningRate } from '../../src/core/schedule';
import type { StepMetrics } from '../../src/core/types';

const close = (a: number, b: number, tol = 1e-9) => assert.ok(Math.abs(a - b) <= tol * Math.max(1, Math.abs(b)), `${a} != ${b}`);
const base = { batchSize: 64, learningRate: 0.1 };

test('linear, sqrt and none', () => {
  close(scaledLearningRate('linear', 256, base), 0.4);
  close(scaledLearningRate('sqrt', 256, base), 0.2);
  close(scaledLearningRate('none', 256, base), 0.1);
  close(scaledLearningRate('linear', 16, base), 0.025);
});

test('AdaScale gain: r -> 1 as sigma^2 -> 0, r -> S as mu^2 -> 0, and 1 <= r <= S between', () => {
  const S = 8;
  close(adaScaleGain(S, 0, 1), 1);
  close(adaScaleGain(S, 1e-12, 1), 1, 1e-9);
  close(adaScaleGain(S, 1, 0), S);
  close(adaScaleGain(S, 1, 1e-12), S, 1e-9);
  for (const [s2, m2] of [
    [1, 1],
    [10, 0.1],
    [0.1, 10],
  ]) {
    const r = adaScaleGain(S, s2, m2);
    assert.ok(r > 1 && r < S, `r=${r}`);
  }
  close(adaScaleGain(1, 3, 2), 1, 1e-12); // S = 1: no change
  close(adaScaleGain(4, 1, 1), 2 / 1.25); // (1+1)/(1/4+1)
});

test('AdaScale in per-sample terms equals (B/B0)(B0 + B_noise)/(B + B_noise)', () => {
  // sigma^2 = tr(Sigma)/B0 for one base-size batch; mu^2 = |G|^2.
  const B0 = 64,
    B = 512,
    trace = 300,
    g2 = 2; // B_noise = 150
  close(adaScaleFactor(B, B0, trace, g2), ((B / B0) * (B0 + 150)) / (B + 150));
});

test('the controller applies AdaScale from the measured statistics once it has them', () => {
  const c = createScheduleController({ kind: 'step', at_steps: [2] }, { ...base, lrScaling: 'adascale', datasetSize: 10_000 });
  // Before any statistics: the gain's lower bound, r = 1.
  assert.deepEqual(c.next({ step: 2, samples: 128, epoch: 0 }), { batchSize: 128, learningRate: 0.1 });
  const g2 = 1,
    trace = 64; // B_noise = 64
  const m: StepMetrics = {
    step: 3,
    epoch: 0,
    samples: 256,
    loss: 1,
    batchSize: 128,
    learningRate: 0.1,
    stepTimeMs: 1,
    samplesPerSecond: 1,
    time: 1,
    gradSqNorm: g2 + trace / 128,
    microGradSqNorm: g2 + trace / 32,
    microBatchSize: 32,
  };
  const r = c.next({ step: 3, samples: 256, epoch: 0, last: m });
  close(r.learningRate, (0.1 * 2 * (64 + 64)) / (128 + 64)); // = 0.1333...
  close(c.noiseEstimate?.()?.noiseScale ?? NaN, 64);
});
