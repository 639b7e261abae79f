// The recommendation in three numbers (issue 13) against cases worked out by hand: sizes beyond
// memory reached by accumulation instead of being ruled out (their throughput the accumulation
// model's bound, X(B) = X(B/k)), and the study step that splits the pick into micro-batch x
// accumulation x workers from the profile's memory ceiling, capped by the critical batch size.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  accumulationSteps,
  largestThatFits,
  modelThroughput,
  recommend,
  throughputFromWindows,
  throughputWithAccumulation,
  type ProfiledCandidate,
  type RecommendInput,
} from '../../src/core/tuner';
import { parallelismFor } from '../../src/core/study/parallelismStep';
import type { ProfileOutcome } from '../../src/core/study/profilePhase';
import type { Recommendation } from '../../src/core/types';

/** t(B) = 0.02 + 0.001 B seconds per step, measured (noise-free) at 8..64; 128 and 256 predicted over the memory limit. */
const t = (b: number) => 0.02 + 0.001 * b;
const fits = [8, 16, 32, 64];
function input(current: number, accumulation: boolean, noise = 40): RecommendInput {
  const windows = fits.flatMap((b) => [1, 2, 3].map((i) => ({ batchSize: b, stepSeconds: t(b), steps: 5, group: `p-${b}-${i}`, round: 1 })));
  const throughput = throughputFromWindows(windows, 1);
  assert.ok(throughput);
  const candidates: ProfiledCandidate[] = [
    ...fits.map((b) => ({ batchSize: b, status: 'ok' as const, fits: true, samplesPerSecond: b / t(b), learningRate: 0.001, peakMemoryBytes: 1e6 * b })),
    { batchSize: 128, status: 'predicted', fits: false, learningRate: 0.001 },
    { batchSize: 256, status: 'predicted', fits: false, learningRate: 0.001 },
  ];
  return {
    current: { batchSize: current, learningRate: 0.001 },
    candidates,
    throughput,
    noiseScale: { value: noise, low: noise * 0.8, high: noise * 1.25, source: 'gradient-statistics' },
    convergence: [],
    lrRule: 'sqrt',
    accumulation,
    predictedMaxFit: 64,
    seed: 3,
  };
}

test('accumulation steps and the bound on throughput: B beyond memory = k passes of B/k that fit, X(B) = X(B/k)', () => {
  assert.equal(
    largestThatFits([
      { batchSize: 64, fits: true },
      { batchSize: 96, fits: false, predictedToFit: true },
      { batchSize: 128, fits: false },
    ]),
    96,
  );
  assert.deepEqual(
    [...accumulationSteps([32, 128, 192, 1000, 97], 64)],
    [
      [128, 2],
      [192, 3],
      [1000, 20],
      [97, 97],
    ],
  );
  const X = (b: number) => b / t(b);
  const withAcc = throughputWithAccumulation(X, new Map([[256, 4]]));
  // 4 passes of 64 take 4 x 0.084 s = 0.336 s per 256 samples: 761.9 samples/s = X(64).
  assert.ok(Math.abs((withAcc(256) as number) - 256 / 0.336) < 1e-9);
  assert.equal(withAcc(32), X(32));
});

test('recommend: sizes beyond memory are reached by accumulation (evidence, band) instead of ruled out; a current size beyond memory gets its speed-up', () => {
  const off = recommend(input(64, false));
  assert.ok(off);
  const c256off = off.candidates.find((c) => c.batchSize === 256)!;
  assert.equal(c256off.goodput, undefined, 'without accumulation, beyond memory is ruled out');
  const on = recommend(input(64, true));
  assert.ok(on);
  const c256 = on.candidates.find((c) => c.batchSize === 256)!;
  const x64 = modelThroughput(input(64, true).throughput!.model, 64);
  assert.ok(Math.abs(c256.fittedSamplesPerSecond! / x64 - 1) < 1e-9, 'X(256) is the bound X(64)');
  // T(B) ~ (B + 40) / X(B): with X flat past 64, 256 costs (256 + 40) / (64 + 40) = 2.85x the time of 64.
  const c64 = on.candidates.find((c) => c.batchSize === 64)!;
  assert.ok(
    Math.abs(c256.relativeTimeToTarget! / c64.relativeTimeToTarget! / ((256 + 40) / (64 + 40)) - 1) < 1e-6,
    `${c256.relativeTimeToTarget} vs ${c64.relativeTimeToTarget}`,
  );
  assert.ok(on.evidence.notes.some((n) => /beyond memory are reached by gradient accumulation \(128 = 2 x 64, 256 = 4 x 64\)/.test(n)));
  assert.ok(on.batchSize <= 64, 'a flat X never makes accumulating faster: the pick fits');
  // The config already trains at 256 by accumulating 4 x 64: the speed-up against it uses what
  // accumulating costs, (296 / X(64)) / (72 / X(32)) = 3.32x, not the model's single pass of 256 (2.73x).
  const x = (b: number) => modelThroughput(input(256, true).throughput!.model, b);
  const expected = 296 / x(64) / (72 / x(32));
  assert.ok(Math.abs(recommend(input(256, true))!.evidence.predictedSpeedupVsCurrent! / expected - 1) < 1e-9);
  assert.ok(recommend(input(256, false))!.evidence.predictedSpeedupVsCurrent! < expected);
});

function profile(p: Partial<ProfileOutcome>): ProfileOutcome {
  return { candidates: [], fitting: [], ...p };
}
const ran = (sizes: number[]) => sizes.map((b) => ({ batchSize: b, status: 'ok' as const, fits: true, learningRate: 0.001 }));
function rec(batchSize: number, extra: Partial<Recommendation> = {}): Recommendation {
  return { batchSize, basis: { throughput: 'fitted', noiseScale: 'measured', convergence: 'assumed' }, ...extra } as Recommendation;
}

test('three numbers: micro-batch from the memory ceiling per worker, global from goodput, accumulation between; capped by the critical batch size', () => {
  // The memory fit allows 100 (global, with the margin) = 50 per worker of 2: 256 = 32 x 4 x 2.
  const p = parallelismFor(rec(256), profile({ candidates: ran([16, 32, 64]), predictedMaxFit: 100 }), 2, true);
  assert.deepEqual([p?.microBatchSize, p?.accumulationSteps, p?.worldSize, p?.globalBatchSize], [32, 4, 2, 256]);
  assert.match(
    p!.reason!,
    /global batch 256: the recommended size; micro-batch 32 per worker x 2 workers, the largest that splits it within memory \(up to 50 per worker fit, by the memory fit\); 4 accumulation steps bridge the two/,
  );
  // The whole share fits: no accumulation.
  assert.deepEqual(parallelismFor(rec(64), profile({ candidates: ran([16, 32, 64]), predictedMaxFit: 100 }), 2, true)?.accumulationSteps, 1);
  // No memory fit: the largest that ran below the OOM ceiling; 96 = 48 x 2, a divisor, not 32 x 3.
  const q = parallelismFor(rec(96), profile({ candidates: ran([16, 32, 64]), oomCeiling: 128 }), 1, true);
  assert.deepEqual([q?.microBatchSize, q?.accumulationSteps, q?.globalBatchSize], [48, 2, 96]);
  assert.match(q!.reason!, /the largest batch that ran, 64, below the out-of-memory ceiling 128/);
  // The critical batch size measured along training caps the global batch.
  const cbs = [
    { samples: 1000, value: 512 },
    { samples: 9000, value: 128 },
  ].map((x) => ({
    ...x,
    loss: 1,
    low: x.value,
    high: x.value,
    tolerance: 0.01,
    method: '',
    branches: [],
    checkpointSource: 'study' as const,
    basis: 'measured' as const,
  }));
  const c = parallelismFor(rec(1024, { criticalBatchSize: [cbs[1], cbs[0]] }), profile({ candidates: ran([16, 32, 64]), predictedMaxFit: 64 }), 2, true);
  assert.deepEqual([c?.microBatchSize, c?.accumulationSteps, c?.globalBatchSize], [32, 2, 128], 'the latest point (9000 samples) caps 1024 at 128');
  assert.match(c!.reason!, /lowered from 1024 to the critical batch size 128/);
  // A config without an accumulation key: the split is the share per worker, said so.
  const n = parallelismFor(rec(256), profile({ candidates: ran([16, 32]), predictedMaxFit: 100 }), 2, false);
  assert.deepEqual([n?.microBatchSize, n?.accumulationSteps], [128, 1]);
  assert.match(n!.reason!, /no accumulation: the config has no accumulation key to write/);
});
