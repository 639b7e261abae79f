// The recommendation in three numbers (micro x accumulation x world) and the cost of accumulation,
// each against a case worked out by hand.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  accumulatedStepSeconds,
  accumulatedThroughput,
  linearMicroStep,
  microStepSecondsFrom,
  recommendParallelism,
  splitGlobalBatch,
  type Parallelism,
} from '../../src/core/tuner';

const p = (microBatchSize: number, accumulationSteps: number, worldSize: number, globalBatchSize: number): Parallelism => ({
  microBatchSize,
  accumulationSteps,
  worldSize,
  globalBatchSize,
});

test('the global batch fits: the largest power-of-two micro-batch, no more accumulation than needed', () => {
  // 256 over 2 workers = 128 each; 64 fits, so 2 passes of 64.
  assert.deepEqual(recommendParallelism({ maxMicroBatch: 64, globalBatch: 256, worldSize: 2 }), { parallelism: p(64, 2, 2, 256), adjustments: [] });
  // A ceiling above the share per worker: one pass of the share.
  assert.deepEqual(recommendParallelism({ maxMicroBatch: 500, globalBatch: 256, worldSize: 4 }).parallelism, p(64, 1, 4, 256));
  // 96 = 32 x 3: 64 does not divide 96, 32 does.
  assert.deepEqual(recommendParallelism({ maxMicroBatch: 64, globalBatch: 96, worldSize: 1 }), { parallelism: p(32, 3, 1, 96), adjustments: [] });
});

test('a global batch larger than memory allows is reached by accumulation, not ruled out', () => {
  // 11.7 samples fit one worker: micro 8 (a power of two); 1024 / (8 x 4) = 32 passes.
  assert.deepEqual(recommendParallelism({ maxMicroBatch: 11.7, globalBatch: 1024, worldSize: 4 }), { parallelism: p(8, 32, 4, 1024), adjustments: [] });
  // Allowed sizes other than powers of two: 12 fits and divides 1020 / 5 = 204 = 12 x 17.
  assert.deepEqual(
    recommendParallelism({ maxMicroBatch: 12, globalBatch: 1020, worldSize: 5, allowedMicroBatches: [6, 10, 12, 24] }).parallelism,
    p(12, 17, 5, 1020),
  );
});

test('the critical batch size caps the global batch; a batch no micro-batch splits moves to the nearest split', () => {
  const capped = recommendParallelism({ maxMicroBatch: 32, globalBatch: 2048, criticalBatchSize: 512, worldSize: 4 });
  assert.deepEqual(capped.parallelism, p(32, 4, 4, 512));
  assert.match(capped.adjustments[0], /lowered from 2048 to the critical batch size 512/);
  // Below the cap nothing changes.
  assert.deepEqual(recommendParallelism({ maxMicroBatch: 32, globalBatch: 256, criticalBatchSize: 512, worldSize: 4 }).parallelism, p(32, 2, 4, 256));

  // 100 over 3 workers is not whole: 96 = 32 x 1 x 3 is within 1/8 (4%) and uses the largest micro-batch that gets there.
  const moved = recommendParallelism({ maxMicroBatch: 64, globalBatch: 100, worldSize: 3 });
  assert.deepEqual(moved.parallelism, p(32, 1, 3, 96));
  assert.deepEqual(moved.adjustments, ['global batch 100 moved to 96 = 32 x 1 x 3 workers, the nearest split with the largest micro-batch that fits']);
  // 100 on one worker: 96 = 32 x 3, not 100 = 4 x 25 (25 passes of 4 samples) ...
  assert.deepEqual(recommendParallelism({ maxMicroBatch: 64, globalBatch: 100, worldSize: 1 }).parallelism, p(32, 3, 1, 96));
  // ... unless the batch must not move: then the largest micro-batch that divides it.
  assert.deepEqual(recommendParallelism({ maxMicroBatch: 64, globalBatch: 100, worldSize: 1, tolerance: 0 }).parallelism, p(4, 25, 1, 100));
  // Fewer samples than workers: one sample each.
  assert.deepEqual(recommendParallelism({ maxMicroBatch: 64, globalBatch: 3, worldSize: 4 }).parallelism, p(1, 1, 4, 4));
});

test('splitGlobalBatch: within the tolerance the largest micro-batch wins; else the nearest', () => {
  assert.deepEqual(splitGlobalBatch(120, 1, [64, 32, 16, 8, 4, 2, 1], 1 / 8), { micro: 64, k: 2, off: 8 / 120 });
  assert.deepEqual(splitGlobalBatch(120, 1, [64, 32, 16, 8, 4, 2, 1], 0), { micro: 8, k: 15, off: 0 });
  // Nothing within 1%: the nearest, the larger micro-batch on a tie (32 x 3 = 96 = 16 x 6).
  assert.deepEqual(splitGlobalBatch(100, 1, [32, 16], 0.01), { micro: 32, k: 3, off: 0.04 });
});

test('bad input says what is wrong', () => {
  assert.throws(() => recommendParallelism({ maxMicroBatch: 0.5, globalBatch: 64, worldSize: 1 }), /not even a micro-batch of 1 fits/);
  assert.throws(() => recommendParallelism({ maxMicroBatch: 64, globalBatch: 64, worldSize: 0 }), /worldSize must be a whole number >= 1 \(got 0\)/);
  assert.throws(
    () => recommendParallelism({ maxMicroBatch: 8, globalBatch: 64, worldSize: 1, allowedMicroBatches: [16, 32] }),
    /no allowed micro-batch size fits one worker's memory \(largest that fits: 8\)/,
  );
});

test('k accumulation steps cost k micro-steps plus one optimizer step', () => {
  // t_micro(b) = 10 ms + 1 ms x b; t_opt = 5 ms. Global 256 on 2 workers as 4 passes of 32:
  // 4 x (10 + 32) + 5 = 173 ms per step, 256 / 0.173 = 1479.77 samples/s.
  const tMicro = linearMicroStep(0.01, 0.001);
  const acc = p(32, 4, 2, 256);
  assert.ok(Math.abs(accumulatedStepSeconds(acc, tMicro, 0.005) - 0.173) < 1e-12);
  assert.ok(Math.abs(accumulatedThroughput(acc, tMicro, 0.005) - 256 / 0.173) < 1e-9);
  // The same global batch in 1 pass of 128 (if it fit): 10 + 128 + 5 = 143 ms. Accumulation costs
  // (k - 1) x the fixed per-pass overhead: 173 - 143 = 3 x 10 ms.
  const whole = p(128, 1, 2, 256);
  assert.ok(Math.abs(accumulatedStepSeconds(acc, tMicro, 0.005) - accumulatedStepSeconds(whole, tMicro, 0.005) - 0.03) < 1e-12);
  // A step measured without accumulation is one micro-step plus the optimizer step.
  assert.ok(Math.abs(microStepSecondsFrom(0.143, 0.005) - 0.138) < 1e-12);
  assert.equal(microStepSecondsFrom(0.004, 0.005), 0);
});
