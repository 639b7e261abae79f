// The batch-size plan from a hand-made CBS(u) (issue 11): the interpolation, the warm-up's change
// points where the CBS passes the next size, its predicted steps and time against every fixed size
// (worked by hand below), the 10% rule, and the `step` schedule the built-in trainer runs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { batchSizePlan, computePlan, interpolateCbs, warmupSchedule, type PlanInput } from '../../src/core/tuner/plan';
import { validateSchedule } from '../../src/core/schedule';

const near = (a: number, b: number, rel: number, what = '') => assert.ok(Math.abs(a - b) <= rel * Math.abs(b), `${what} ${a} vs ${b}`);

// CBS(u) = 0.064 u between (1000, 64) and (4000, 256): the power law through both has slope 1.
const points = [
  { samples: 1000, value: 64 },
  { samples: 4000, value: 256 },
];

test('CBS(u): a power law between points, extended backwards (never below B), held after the last', () => {
  const cbs = interpolateCbs(points, 32);
  near(cbs(2000), 128, 1e-9);
  near(cbs(700), 44.8, 1e-9);
  assert.equal(cbs(250), 32, '16 extrapolated, but B = 32 is the floor');
  assert.equal(cbs(9000), 256);
  assert.equal(interpolateCbs([{ samples: 500, value: 96 }], 32)(10), 96, 'one point: flat');
});

// t(b) = 1 ms + 0.1 ms per sample: throughput rises with b.
const input: PlanInput = {
  points,
  referenceBatchSize: 32,
  horizonSamples: 8000,
  sizes: [32, 64, 128, 256],
  stepSeconds: (b) => 0.001 + 0.0001 * b,
  learningRate: (b) => 0.001 * Math.sqrt(b / 32),
};

test('warm-up: changes where the CBS passes 64, 128, 256; steps and time against every fixed size, by hand', () => {
  const p = computePlan(input);
  assert.ok(p);
  const st = p.warmup.stages;
  assert.deepEqual(
    st.map((s) => s.batchSize),
    [32, 64, 128, 256],
  );
  // The grid is 2 samples wide: the change points are at 1000, 2000 and 4000 samples to within it.
  near(st[1].fromSamples, 1000, 0.003, 'to 64');
  near(st[2].fromSamples, 2000, 0.003, 'to 128');
  near(st[3].fromSamples, 4000, 0.003, 'to 256');
  // Steps: 1000/32 + 1000/64 + 2000/128 + 4000/256 = 31.25 + 3 x 15.625 = 78.125; samples = the horizon.
  near(p.warmup.cost.steps, 78.125, 0.002, 'warm-up steps');
  near(p.warmup.cost.samples, 8000, 0.002, 'warm-up samples');
  // Time: 31.25 x 4.2 ms + 15.625 x (7.4 + 13.8 + 26.6) ms = 0.878125 s.
  near(p.warmup.cost.seconds, 0.878125, 0.003, 'warm-up seconds');
  // Fixed 64: 500/32 + ln(2)/0.064 + 7000/64 = 135.83 steps x 7.4 ms = 1.0052 s (the best fixed size).
  const f = (b: number) => p.fixed.find((x) => x.batchSize === b)?.cost;
  near(f(64)?.steps ?? 0, 15.625 + Math.log(2) / 0.064 + 109.375, 0.002, 'fixed 64 steps');
  near(f(256)?.steps ?? 0, 15.625 + Math.log(8) / 0.064 + 15.625, 0.002, 'fixed 256 steps');
  near(f(32)?.seconds ?? 0, 250 * 0.0042, 1e-9, 'fixed 32 time');
  assert.equal(p.bestFixed.batchSize, 64);
  near(p.bestFixed.cost.seconds, 1.0052, 0.003, 'best fixed time');
});

test('the plan: a warm-up when >= 1.1x faster than the best fixed size, with its step schedule and co-scaled lr', () => {
  const plan = batchSizePlan(input);
  assert.ok(plan);
  assert.equal(plan.kind, 'warmup');
  near(plan.speedupVsBestFixed ?? 0, 1.0052 / 0.878125, 0.005, 'speed-up');
  assert.deepEqual(
    plan.stages.map((s) => s.batchSize),
    [32, 64, 128, 256],
  );
  near(plan.stages[3].learningRate, 0.001 * Math.sqrt(8), 1e-9);
  assert.equal(plan.bestFixed.batchSize, 64);
  assert.equal(plan.predictedSteps, 78);
  assert.deepEqual(plan.schedule, { kind: 'step', at_steps: [31, 47, 63], factor: 2, max_batch_size: 256 });
  assert.deepEqual(validateSchedule(plan.schedule), [], 'the one schedule validator accepts it');
  assert.match(plan.description, /^32 until 1,000 samples, then 64 until 2,000, then 128 until 4,000, then 256 to the end/);
});

test('a flat CBS gives a fixed plan; a small growth is not worth a warm-up (< 1.1x) and says so', () => {
  const flat = batchSizePlan({
    ...input,
    points: [
      { samples: 1000, value: 128 },
      { samples: 4000, value: 128 },
    ],
  });
  assert.equal(flat?.kind, 'fixed');
  assert.deepEqual(flat?.stages, [{ fromSamples: 0, batchSize: 128, learningRate: 0.001 * 2 }]);
  assert.equal(flat?.schedule, undefined);
  assert.equal(flat?.speedupVsBestFixed, 1);
  // CBS 64 until late, then 128 for the last stretch only: the warm-up gains too little.
  const late = batchSizePlan({
    ...input,
    points: [
      { samples: 1000, value: 64 },
      { samples: 7000, value: 64 },
      { samples: 7600, value: 128 },
    ],
    stepSeconds: (b) => 0.0001 * b + 0.0002,
  });
  assert.equal(late?.kind, 'fixed');
  assert.match(late?.description ?? '', /a warm-up 64 → 128 was predicted only 1\.\d\dx faster \(below 1\.10x\): not proposed/);
});

test('the step schedule passes through a skipped size for one step (factor 2 throughout)', () => {
  const s = warmupSchedule([
    { fromSamples: 0, fromStep: 0, batchSize: 32 },
    { fromSamples: 3200, fromStep: 100, batchSize: 128 },
    { fromSamples: 9600, fromStep: 150, batchSize: 256 },
  ]);
  assert.deepEqual(s, { kind: 'step', at_steps: [100, 101, 150], factor: 2, max_batch_size: 256 });
  assert.equal(warmupSchedule([{ fromSamples: 0, fromStep: 0, batchSize: 64 }]), undefined);
});

test('no throughput at any size: no plan', () => {
  assert.equal(batchSizePlan({ ...input, stepSeconds: () => undefined }), undefined);
});
