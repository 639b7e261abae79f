// The adaptive controller follows a synthetic gradient-noise signal: metrics whose squared
// gradient norms are exactly E|g_B|^2 = |G|^2 + tr(Sigma)/B (McCandlish et al. 2018, eq. A.1)
// for a known, growing B_noise = tr(Sigma)/|G|^2.
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { createScheduleController, scheduleNeedsGradientStatistics, validateSchedule, type ScheduleBase } from '../../src/core/schedule';
import { adaptiveStepTime, goodputBatchSize } from '../../src/core/schedule/adaptive';
import { goodputOptimalBatchSize } from '../../src/core/tuner/stepTimeModel';
import { GradientNoiseTracker } from '../../src/core/schedule/gradientNoise';
import { traceSigmaEstimate, trueGradSqEstimate } from '../../src/core/tuner/noiseScale';
import type { BatchScheduleSpec, StepMetrics } from '../../src/core/types';

const base: ScheduleBase = { batchSize: 32, learningRate: 0.01, lrScaling: 'none', datasetSize: 60_000 };
const MICRO_BATCHES = 4;

/** Exact expected squared norms for a step at batch size B with micro-batches of B/4. */
function exactMetrics(step: number, batchSize: number, gradSq: number, traceSigma: number): StepMetrics {
  const micro = batchSize / MICRO_BATCHES;
  return {
    step,
    epoch: 0,
    samples: step * batchSize,
    loss: 1,
    batchSize,
    learningRate: 0.01,
    stepTimeMs: 1,
    samplesPerSecond: 1,
    time: step,
    gradSqNorm: gradSq + traceSigma / batchSize,
    microGradSqNorm: gradSq + traceSigma / micro,
    microBatchSize: micro,
  };
}

/** Runs `steps` steps with B_noise(step) given (|G|^2 = 1, tr(Sigma) = B_noise); returns the sizes. */
function drive(
  spec: BatchScheduleSpec,
  noiseAt: (step: number) => number,
  steps: number,
  b: ScheduleBase = base,
  metrics: (step: number, batchSize: number, bNoise: number) => StepMetrics = (s, bs, n) => exactMetrics(s, bs, 1, n),
): number[] {
  const c = createScheduleController(spec, b);
  const sizes: number[] = [];
  let last: StepMetrics | undefined;
  let samples = 0;
  for (let step = 0; step < steps; step++) {
    const { batchSize } = c.next({ step, samples, epoch: 0, last });
    sizes.push(batchSize);
    samples += batchSize;
    last = metrics(step + 1, batchSize, noiseAt(step));
  }
  return sizes;
}

test('the two-batch-size estimators recover |G|^2 and tr(Sigma) exactly from expected norms', () => {
  const g = 0.7,
    tr = 35;
  assert.ok(Math.abs(trueGradSqEstimate(8, g + tr / 8, 64, g + tr / 64) - g) < 1e-12);
  assert.ok(Math.abs(traceSigmaEstimate(8, g + tr / 8, 64, g + tr / 64) - tr) < 1e-9);
  const t = new GradientNoiseTracker(0.9);
  for (let i = 1; i <= 5; i++) t.update(exactMetrics(i, 64, g, tr));
  assert.ok(Math.abs((t.estimate()?.noiseScale ?? 0) - tr / g) < 1e-9, 'bias-corrected EMA of a constant signal is that signal');
});

test('smoothing 0: at every decision the size is the last B_noise rounded to a power of two, clamped, never shrinking', () => {
  const K = 10;
  const noiseAt = (step: number) => 20 * Math.pow(1.03, step); // 20 -> ~380 over 100 steps
  const spec: BatchScheduleSpec = { kind: 'adaptive', every_steps: K, min_batch_size: 16, max_batch_size: 256, smoothing: 0 };
  const sizes = drive(spec, noiseAt, 120);
  const pow2 = (x: number) => Math.pow(2, Math.round(Math.log2(x)));
  let expected = 32;
  for (let step = 0; step < 120; step++) {
    if (step > 0 && step % K === 0) expected = Math.max(expected, Math.min(256, Math.max(16, pow2(noiseAt(step - 1)))));
    assert.equal(sizes[step], expected, `step ${step}`);
  }
  assert.deepEqual([...new Set(sizes)], [32, 64, 128, 256], 'grows through the powers of two and stops at max_batch_size');
  for (let i = 0; i < sizes.length; i++) assert.ok(i % K === 0 || sizes[i] === sizes[i - 1] || i === 0, 'changes only at decision steps');
});

test('default smoothing: piecewise-constant B_noise is reached within each level; a drop does not shrink the batch', () => {
  const levels = [40, 100, 300, 3000, 50]; // -> 32, 128, 256, 512 (clamped), stays 512
  const spec: BatchScheduleSpec = { kind: 'adaptive', every_steps: 10, min_batch_size: 16, max_batch_size: 512 };
  const sizes = drive(spec, (s) => levels[Math.floor(s / 50)], 250);
  assert.deepEqual(
    [49, 99, 149, 199, 249].map((s) => sizes[s]),
    [32, 128, 256, 512, 512],
  );
  for (let i = 1; i < sizes.length; i++) assert.ok(sizes[i] >= sizes[i - 1], `never shrinks (step ${i})`);
});

test('allow_shrink follows B_noise down; an allowed list replaces the powers of two', () => {
  const levels = [300, 40];
  const spec: BatchScheduleSpec = { kind: 'adaptive', every_steps: 10, allow_shrink: true, allowed: [24, 48, 96, 192, 384], smoothing: 0 };
  const sizes = drive(spec, (s) => levels[Math.floor(s / 30)], 60);
  assert.equal(sizes[25], 384, '300 is nearest to 384 in log space');
  assert.equal(sizes[59], 48, 'shrinks to 48 when B_noise falls to 40');
});

test('the memory ceiling in ScheduleBase wins over max_batch_size', () => {
  const spec: BatchScheduleSpec = { kind: 'adaptive', every_steps: 5, max_batch_size: 1024, smoothing: 0 };
  const sizes = drive(spec, () => 5000, 30, { ...base, maxBatchSize: 200 });
  assert.equal(sizes.at(-1), 128, 'the largest power of two under the 200 ceiling');
});

test('without gradient statistics the adaptive controller holds its size', () => {
  const spec: BatchScheduleSpec = { kind: 'adaptive', every_steps: 5 };
  const sizes = drive(
    spec,
    () => 500,
    30,
    base,
    (s, bs) => ({ ...exactMetrics(s, bs, 1, 500), gradSqNorm: undefined, microGradSqNorm: undefined }),
  );
  assert.ok(sizes.every((b) => b === 32));
  assert.equal(scheduleNeedsGradientStatistics(spec, 'none'), true);
  assert.equal(scheduleNeedsGradientStatistics({ kind: 'linear_ramp', from: 8, to: 64, over_samples: 100 }, 'linear'), false);
});

/** Standard normal (Box-Muller) from a seeded LCG: deterministic noise. */
function gaussian(seed: number): () => number {
  let s = seed >>> 0;
  const u = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) + 0.5) / 2 ** 32;
  return () => Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u());
}

test('sampled (noisy) gradients: the batch size tracks B_noise within a factor of two', () => {
  // Per-sample gradients G + xi in d dimensions, xi ~ N(0, sigma^2 I): tr(Sigma) = d*sigma^2.
  // Micro-batch means are G + N(0, sigma^2/b I); the batch mean is their average.
  const d = 200,
    gradSq = 1;
  const G = new Array(d).fill(Math.sqrt(gradSq / d));
  const rnd = gaussian(7);
  const levels = [60, 240, 900];
  const sampled = (step: number, batchSize: number, bNoise: number): StepMetrics => {
    const sigma = Math.sqrt((bNoise * gradSq) / d);
    const b = batchSize / MICRO_BATCHES;
    const sum = new Array(d).fill(0);
    let microSq = 0;
    for (let m = 0; m < MICRO_BATCHES; m++) {
      let sq = 0;
      for (let i = 0; i < d; i++) {
        const v = G[i] + (sigma / Math.sqrt(b)) * rnd();
        sum[i] += v / MICRO_BATCHES;
        sq += v * v;
      }
      microSq += sq / MICRO_BATCHES;
    }
    const bigSq = sum.reduce((a, v) => a + v * v, 0);
    return { ...exactMetrics(step, batchSize, 0, 0), gradSqNorm: bigSq, microGradSqNorm: microSq, microBatchSize: b };
  };
  const spec: BatchScheduleSpec = { kind: 'adaptive', every_steps: 20, min_batch_size: 16, max_batch_size: 1024 };
  const sizes = drive(spec, (s) => levels[Math.floor(s / 100)], 300, base, sampled);
  for (const [i, level] of levels.entries()) {
    const b = sizes[i * 100 + 99];
    assert.ok(b >= level / 2 && b <= level * 2, `level ${level}: batch ${b}`);
  }
});

test('goodput-aware: with the profiled throughput the size maximises X(B)/(B + B_noise), not B = B_noise', () => {
  // t(B) = 0.01 + 1e-4 B: the goodput optimum is sqrt(0.01 B_noise / 1e-4) = 10 sqrt(B_noise) (stepTimeModel.ts):
  // B_noise 64 -> 80 (nearest power of two by goodput: 64), 400 -> 200 (256), 1600 -> 400 (512).
  const throughput = { overhead_seconds: 0.01, per_sample_seconds: 1e-4 };
  const spec: BatchScheduleSpec = { kind: 'adaptive', every_steps: 10, min_batch_size: 16, max_batch_size: 2048, smoothing: 0, throughput };
  const levels = [64, 400, 1600];
  const sizes = drive(spec, (s) => levels[Math.floor(s / 50)], 150);
  const p = { overheadSeconds: 0.01, perSampleSeconds: 1e-4, quadraticSeconds: 0 };
  const pow2 = [16, 32, 64, 128, 256, 512, 1024, 2048];
  const expected = levels.map((n) => goodputBatchSize(p, n, pow2));
  assert.deepEqual(expected, [64, 256, 512]);
  assert.deepEqual(
    [49, 99, 149].map((s) => sizes[s]),
    expected,
  );
  // Without it, the same noise scales give B = B_noise rounded: 64, 512, 2048.
  const { throughput: _t, ...plain } = spec;
  assert.deepEqual(
    [49, 99, 149].map((s) => drive(plain, (x) => levels[Math.floor(x / 50)], 150)[s]),
    [64, 512, 2048],
  );
  // Brute force agrees with the closed form B* = sqrt(a B_noise / c).
  assert.ok(Math.abs(goodputOptimalBatchSize(p, 400) - 200) < 1e-9);
});

test('goodput-aware: a throughput field is validated, and an unusable one falls back to B = B_noise', () => {
  assert.deepEqual(validateSchedule({ kind: 'adaptive', throughput: { overhead_seconds: 0.01, per_sample_seconds: 1e-4 } }), []);
  const bad = validateSchedule({ kind: 'adaptive', throughput: { overhead_seconds: -1, per_sample_seconds: 'x', extra: 1 } });
  assert.deepEqual(bad.map((p) => p.path.join('.')).sort(), ['throughput.extra', 'throughput.overhead_seconds', 'throughput.per_sample_seconds']);
  assert.equal(
    adaptiveStepTime({ kind: 'adaptive', throughput: { overhead_seconds: 0.01, per_sample_seconds: 0 } }),
    undefined,
    'no cost per sample: not a usable model',
  );
  assert.deepEqual(
    validateSchedule({ kind: 'linear_ramp', from: 8, to: 64, over_samples: 100, throughput: {} }).map((p) => p.path[0]),
    ['throughput'],
  );
});
