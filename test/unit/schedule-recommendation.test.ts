// recommendSchedule on hand-made noise histories: growth -> a schedule with its predicted time; flat -> none.
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { phasesFromHistory, recommendSchedule, simulatePolicy } from '../../src/core/tuner/scheduleRecommendation';
import { timeToTarget } from '../../src/core/tuner/goodput';
import { interpolateThroughput } from '../../src/core/tuner/throughput';
import { linearRampBatchSize } from '../../src/core/schedule/linearRamp';
import type { CandidateEvidence } from '../../src/core/types';

// Throughput that saturates: X(B) = 20000 B / (B + 128) samples/s (per-step overhead amortised).
const X = (b: number) => (20000 * b) / (b + 128);
const candidates: CandidateEvidence[] = [16, 32, 64, 128, 256, 512, 1024].map((b) => ({ batchSize: b, status: 'ok', fits: true, samplesPerSecond: X(b) }));
const growing = [
  { samples: 20_000, loss: 1.2, value: 24 },
  { samples: 40_000, loss: 0.6, value: 60 },
  { samples: 60_000, loss: 0.4, value: 150 },
  { samples: 80_000, loss: 0.3, value: 384 },
];

test('one phase, fixed batch: the simulated time is S_min (B + B_noise) / X(B)', () => {
  const phases = phasesFromHistory([{ samples: 64_000, value: 100 }], 64);
  const eMin = 64_000 / (1 + 64 / 100);
  const t = simulatePolicy(phases, () => 256, X).seconds;
  assert.ok(Math.abs(t - timeToTarget(eMin / 100, X(256), 256, 100)) < 1e-6 * t);
});

test('B_noise growing 16x gives a linear ramp that beats the best fixed size, with its predicted time', () => {
  // The best fixed size under the same model, found by brute force over the candidates.
  const phases = phasesFromHistory(growing, 64);
  const fixedTimes = candidates.map((c) => ({ b: c.batchSize, t: simulatePolicy(phases, () => c.batchSize, X).seconds }));
  const bestFixed = fixedTimes.reduce((a, c) => (c.t < a.t ? c : a));
  const rec = recommendSchedule({ noiseHistory: growing, candidates, bestFixed: { batchSize: bestFixed.b, predictedTimeToTarget: 100 }, measuredBatchSize: 64 });
  assert.ok(rec, 'a schedule is recommended');
  assert.equal(rec.schedule.kind, 'linear_ramp');
  if (rec.schedule.kind !== 'linear_ramp') return;
  // Goodput argmax X(B)/(B + B_noise) at B_noise = 24 is sqrt(128*24) ~ 55 -> 64; at 384 it is ~222 -> 256.
  assert.equal(rec.schedule.from, 64);
  assert.equal(rec.schedule.to, 256);
  assert.ok(rec.speedupVsBestFixed !== undefined && rec.speedupVsBestFixed > 1.02, `speed-up ${rec.speedupVsBestFixed}`);
  assert.ok(Math.abs((rec.predictedTimeToTarget ?? 0) - 100 / rec.speedupVsBestFixed) < 1e-9);
  assert.match(rec.description, /^start at 64, reach 256 by \d+% of training/);
});

test('the memory ceiling caps the ramp', () => {
  const rec = recommendSchedule({ noiseHistory: growing, candidates, bestFixed: { batchSize: 64 }, maxBatchSize: 128 });
  assert.ok(rec && rec.schedule.kind === 'linear_ramp' && rec.schedule.to === 128);
});

test('flat or mildly growing B_noise: no schedule', () => {
  const flat = growing.map((h) => ({ ...h, value: 100 }));
  assert.equal(recommendSchedule({ noiseHistory: flat, candidates, bestFixed: { batchSize: 128 } }), undefined);
  const mild = growing.map((h, i) => ({ ...h, value: 100 * (1 + 0.3 * i) })); // 1.9x
  assert.equal(recommendSchedule({ noiseHistory: mild, candidates, bestFixed: { batchSize: 128 } }), undefined);
  assert.equal(recommendSchedule({ noiseHistory: growing.slice(0, 1), candidates, bestFixed: { batchSize: 128 } }), undefined);
});

test('growth 4x without a throughput curve: an adaptive schedule between the rounded noise scales', () => {
  const hist = [{ samples: 1000, loss: 1, value: 30 }, { samples: 2000, loss: 0.5, value: 130 }];
  const rec = recommendSchedule({ noiseHistory: hist, candidates: candidates.slice(0, 1), bestFixed: { batchSize: 32 } });
  assert.deepEqual(rec?.schedule, { kind: 'adaptive', every_steps: 25, min_batch_size: 32, max_batch_size: 128 });
  assert.equal(rec?.predictedTimeToTarget, undefined);
});

test('B_noise growing 4x (30 -> 120): ramp from the goodput optimum 64 to 128, faster than fixed 64 and fixed 128', () => {
  const hist = [30, 50, 80, 120].map((value, i) => ({ samples: (i + 1) * 10_000, loss: 1 / (i + 1), value }));
  const phases = phasesFromHistory(hist, 64);
  for (const fixed of [64, 128]) {
    const rec = recommendSchedule({ noiseHistory: hist, candidates, bestFixed: { batchSize: fixed }, measuredBatchSize: 64 });
    assert.ok(rec && rec.schedule.kind === 'linear_ramp');
    if (rec.schedule.kind !== 'linear_ramp') return;
    assert.deepEqual([rec.schedule.from, rec.schedule.to], [64, 128]);
    const tFixed = simulatePolicy(phases, () => fixed, X).seconds;
    const ramp = rec.schedule;
    // Between measured sizes the recommendation knows X(B) only by interpolation (log2 B, as the tuner does).
    const Xi = (b: number) => interpolateThroughput(candidates as Array<{ batchSize: number; samplesPerSecond: number }>, b) as number;
    const tRamp = simulatePolicy(phases, (s) => linearRampBatchSize(ramp, s, Infinity), Xi).seconds;
    assert.ok(Math.abs((rec.speedupVsBestFixed ?? 0) - tFixed / tRamp) < 1e-9, 'speed-up = T(fixed) / T(the ramp as the controller runs it)');
    assert.ok((rec.speedupVsBestFixed ?? 0) > 1, `faster than fixed ${fixed}: ${rec.speedupVsBestFixed}`);
  }
});

test('growth but no throughput gain from larger batches: no schedule (the smallest batch wins every phase)', () => {
  const flatX: CandidateEvidence[] = candidates.map((c) => ({ ...c, samplesPerSecond: 5000 }));
  assert.equal(recommendSchedule({ noiseHistory: growing, candidates: flatX, bestFixed: { batchSize: 16 } }), undefined);
});
