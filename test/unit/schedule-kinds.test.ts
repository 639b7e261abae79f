// Every schedule kind produces exactly the batch sizes it promises, step by step.
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { createScheduleController, type ScheduleBase } from '../../src/core/schedule';
import type { BatchScheduleSpec, StepMetrics } from '../../src/core/types';

const base: ScheduleBase = { batchSize: 32, learningRate: 0.01, lrScaling: 'none', datasetSize: 10_000 };

/** Drives a controller as the trainer loop does; returns the batch size of every step. */
function run(spec: BatchScheduleSpec | undefined, steps: number, b: ScheduleBase = base): number[] {
  const c = createScheduleController(spec, b);
  const sizes: number[] = [];
  let samples = 0;
  let last: StepMetrics | undefined;
  for (let step = 0; step < steps; step++) {
    const { batchSize, learningRate } = c.next({ step, samples, epoch: Math.floor(samples / b.datasetSize), last });
    sizes.push(batchSize);
    samples += batchSize;
    last = { step: step + 1, epoch: 0, samples, loss: 1, batchSize, learningRate, stepTimeMs: 1, samplesPerSecond: 1, time: step };
  }
  return sizes;
}

test('no schedule and constant keep the base batch size and learning rate', () => {
  assert.deepEqual(run(undefined, 5), [32, 32, 32, 32, 32]);
  assert.deepEqual(run({ kind: 'constant' }, 5), [32, 32, 32, 32, 32]);
  const c = createScheduleController({ kind: 'constant' }, { ...base, lrScaling: 'linear' });
  assert.deepEqual(c.next({ step: 9, samples: 288, epoch: 0 }), { batchSize: 32, learningRate: 0.01 });
});

test('constant is clamped to the memory ceiling', () => {
  assert.deepEqual(run({ kind: 'constant' }, 3, { ...base, maxBatchSize: 20 }), [20, 20, 20]);
});

test('step with at_steps multiplies at each milestone (MultiStepLR convention)', () => {
  const sizes = run({ kind: 'step', at_steps: [3, 5], factor: 2 }, 8);
  assert.deepEqual(sizes, [32, 32, 32, 64, 64, 128, 128, 128]);
});

test('step with every_steps, a factor of 3 and the max_batch_size cap', () => {
  const sizes = run({ kind: 'step', every_steps: 2, factor: 3, max_batch_size: 500 }, 9);
  assert.deepEqual(sizes, [32, 32, 96, 96, 288, 288, 500, 500, 500]);
});

test('step caps at the memory ceiling when it is below max_batch_size', () => {
  const sizes = run({ kind: 'step', every_steps: 1, max_batch_size: 1000 }, 5, { ...base, maxBatchSize: 100 });
  assert.deepEqual(sizes, [32, 64, 100, 100, 100]);
});

test('step with at_epochs counts epochs from samples seen', () => {
  // datasetSize 100, batch 25 -> epoch 1 starts at step 4 (100 samples); then batch 50 -> epoch 2 at 200 samples (step 6).
  const sizes = run({ kind: 'step', at_epochs: [1, 2] }, 9, { ...base, batchSize: 25, datasetSize: 100 });
  assert.deepEqual(sizes, [25, 25, 25, 25, 50, 50, 100, 100, 100]);
});

test('linear_ramp: exact from, multiples of 8 in between, exact to at over_samples', () => {
  const spec: BatchScheduleSpec = { kind: 'linear_ramp', from: 20, to: 100, over_samples: 400 };
  const sizes = run(spec, 12);
  // samples before each step: 0, 20, 44, 76, 108, 148, 196, 252, 324, 412 (>= 400), ...
  // line 20 + 80*s/400:       20, 24, 28.8, 35.2, 41.6, 49.6, 59.2, 70.4, 84.8 -> nearest multiple of 8
  assert.deepEqual(sizes, [20, 24, 32, 32, 40, 48, 56, 72, 88, 100, 100, 100]);
  for (let i = 1; i < sizes.length; i++) assert.ok(sizes[i] >= sizes[i - 1], 'a ramp never decreases');
});

test('linear_ramp with round_to 1 follows the line exactly', () => {
  const sizes = run({ kind: 'linear_ramp', from: 10, to: 30, over_samples: 100, round_to: 1 }, 6);
  // samples: 0 ->10; 10 -> 12; 22 -> 14.4=14; 36 -> 17.2=17; 53 -> 20.6=21; 74 -> 24.8=25
  assert.deepEqual(sizes, [10, 12, 14, 17, 21, 25]);
});

test('linear_ramp is capped by the memory ceiling and the dataset size', () => {
  const sizes = run({ kind: 'linear_ramp', from: 16, to: 256, over_samples: 64 }, 6, { ...base, maxBatchSize: 128 });
  assert.equal(sizes.at(-1), 128);
  assert.ok(sizes.every((b) => b <= 128));
  assert.deepEqual(run({ kind: 'linear_ramp', from: 16, to: 256, over_samples: 16 }, 3, { ...base, datasetSize: 200 }), [16, 200, 200]);
});

test('step learning rate co-scales linearly and by square root', () => {
  const lin = createScheduleController({ kind: 'step', every_steps: 1 }, { ...base, lrScaling: 'linear' });
  assert.deepEqual(lin.next({ step: 2, samples: 0, epoch: 0 }), { batchSize: 128, learningRate: 0.04 });
  const sq = createScheduleController({ kind: 'step', every_steps: 1 }, { ...base, lrScaling: 'sqrt' });
  const r = sq.next({ step: 2, samples: 0, epoch: 0 });
  assert.equal(r.batchSize, 128);
  assert.ok(Math.abs(r.learningRate - 0.02) < 1e-12);
});

test('controllers are deterministic: same inputs, same sizes', () => {
  const spec: BatchScheduleSpec = { kind: 'linear_ramp', from: 8, to: 512, over_samples: 5000 };
  assert.deepEqual(run(spec, 60), run(spec, 60));
});
