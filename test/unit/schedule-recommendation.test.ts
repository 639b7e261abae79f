// recommendSchedule on hand-made noise histories: growth -> a schedule with its predicted time; flat -> none.
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { MIN_SCHEDULE_SPEEDUP, phasesFromHistory, recommendSchedule, simulatePolicy } from '../../src/core/tuner/scheduleRecommendation';
import { timeToTarget } from '../../src/core/tuner/goodput';
import { interpolateThroughput } from '../../src/core/tuner/throughput';
import { linearRampBatchSize } from '../../src/core/schedule/linearRamp';
import type { CandidateEvidence } from '../../src/core/types';

// Throughput that saturates: X(B) = 20000 B / (B + 128) samples/s (per-step overhead amortised).
const X = (b: number) => (20000 * b) / (b + 128);
const candidates: CandidateEvidence[] = [16, 32, 64, 128, 256, 512, 1024, 2048].map((b) => ({
  batchSize: b,
  status: 'ok',
  fits: true,
  samplesPerSecond: X(b),
}));
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

// B_noise growing 256x (8 -> 2048) over training: the per-phase goodput optimum climbs from 32 to 512.
const steep = [8, 32, 128, 512, 2048].map((value, i) => ({ samples: (i + 1) * 50_000, loss: 1 / (i + 1), value }));

test('B_noise growing 256x gives a linear ramp predicted >= 10% faster than the best fixed size, with its predicted time', () => {
  const phases = phasesFromHistory(steep, 256);
  const fixedTimes = candidates.map((c) => ({ b: c.batchSize, t: simulatePolicy(phases, () => c.batchSize, X).seconds }));
  const bestFixed = fixedTimes.reduce((a, c) => (c.t < a.t ? c : a));
  const rec = recommendSchedule({ noiseHistory: steep, candidates, bestFixed: { batchSize: bestFixed.b, predictedTimeToTarget: 100 }, measuredBatchSize: 256 });
  assert.ok(rec, 'a schedule is recommended');
  assert.equal(rec.schedule.kind, 'linear_ramp');
  if (rec.schedule.kind !== 'linear_ramp') return;
  // Goodput argmax X(B)/(B + B_noise) at B_noise = 8 is sqrt(128*8) = 32; at 2048 it is sqrt(128*2048) = 512.
  assert.equal(rec.schedule.from, 32);
  assert.equal(rec.schedule.to, 512);
  const ramp = rec.schedule;
  // Between measured sizes the recommendation knows X(B) only by interpolation (log2 B) when it has no step-time model.
  const Xi = (b: number) => interpolateThroughput(candidates as Array<{ batchSize: number; samplesPerSecond: number }>, b) as number;
  const tRamp = simulatePolicy(phases, (s) => linearRampBatchSize(ramp, s, Infinity), Xi).seconds;
  assert.ok(Math.abs((rec.speedupVsBestFixed ?? 0) - bestFixed.t / tRamp) < 1e-9, 'speed-up = T(best fixed) / T(the ramp as the controller runs it)');
  assert.ok((rec.speedupVsBestFixed ?? 0) >= MIN_SCHEDULE_SPEEDUP, `speed-up ${rec.speedupVsBestFixed}`);
  assert.ok(Math.abs((rec.predictedTimeToTarget ?? 0) - 100 / rec.speedupVsBestFixed!) < 1e-9);
  assert.match(rec.description, /^start at 32, reach 512 by \d+% of training/);
});

test('B_noise growing 16x or 4x: the best ramp is predicted under 10% faster than the best fixed size, so none is proposed', () => {
  assert.equal(recommendSchedule({ noiseHistory: growing, candidates, bestFixed: { batchSize: 128 }, measuredBatchSize: 64 }), undefined);
  const hist = [30, 50, 80, 120].map((value, i) => ({ samples: (i + 1) * 10_000, loss: 1 / (i + 1), value }));
  assert.equal(recommendSchedule({ noiseHistory: hist, candidates, bestFixed: { batchSize: 64 }, measuredBatchSize: 64 }), undefined);
});

test('the memory ceiling caps the ramp', () => {
  const rec = recommendSchedule({ noiseHistory: steep, candidates, bestFixed: { batchSize: 128 }, maxBatchSize: 256, measuredBatchSize: 256 });
  assert.ok(rec && rec.schedule.kind === 'linear_ramp' && rec.schedule.to <= 256);
});

test('flat or mildly growing B_noise: no schedule', () => {
  const flat = growing.map((h) => ({ ...h, value: 100 }));
  assert.equal(recommendSchedule({ noiseHistory: flat, candidates, bestFixed: { batchSize: 128 } }), undefined);
  const mild = growing.map((h, i) => ({ ...h, value: 100 * (1 + 0.3 * i) })); // 1.9x
  assert.equal(recommendSchedule({ noiseHistory: mild, candidates, bestFixed: { batchSize: 128 } }), undefined);
  assert.equal(recommendSchedule({ noiseHistory: growing.slice(0, 1), candidates, bestFixed: { batchSize: 128 } }), undefined);
});

test('growth without a throughput curve: nothing can be predicted, so nothing is proposed', () => {
  const hist = [
    { samples: 1000, loss: 1, value: 30 },
    { samples: 2000, loss: 0.5, value: 130 },
  ];
  assert.equal(recommendSchedule({ noiseHistory: hist, candidates: candidates.slice(0, 1), bestFixed: { batchSize: 32 } }), undefined);
});

test('growth but no throughput gain from larger batches: no schedule (the smallest batch wins every phase)', () => {
  const flatX: CandidateEvidence[] = candidates.map((c) => ({ ...c, samplesPerSecond: 5000 }));
  assert.equal(recommendSchedule({ noiseHistory: growing, candidates: flatX, bestFixed: { batchSize: 16 } }), undefined);
});
