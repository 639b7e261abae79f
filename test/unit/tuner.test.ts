// The tuner's estimators against known answers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  estimateNoiseScale,
  fitMemory,
  goodput,
  goodputArgmax,
  linearFit,
  nextBisection,
  noiseSamplesFromSteps,
  planBudget,
  planConvergence,
  powerOfTwoCandidates,
  predictMaxFit,
  quantile,
  recommend,
  scaleLearningRate,
  defaultLrRule,
  seededRandom,
  summarizeThroughput,
  measuredThroughput,
  throughputSaturated,
  timeToTarget,
} from '../../src/core/tuner';
import type { StepMetrics } from '../../src/core/types';
import { gaussian, regressionGradientSteps } from './helpers/linearRegression';

test('noise scale: the two-batch estimator recovers B_noise of least-squares regression with Gaussian label noise', () => {
  // y = x.w* + eps, x ~ N(0, I_d), eps ~ N(0, s^2); per-sample gradient of 1/2 (x.w - y)^2 at w = w* + D
  // is g = x (x.D - eps): G = D and Sigma = (|D|^2 + s^2) I + D D^T, so
  // B_noise = tr(Sigma)/|G|^2 = (d (|D|^2 + s^2) + |D|^2) / |D|^2.
  const d = 10;
  const sigma = 1;
  const rand = seededRandom(7);
  const delta = Array.from({ length: d }, () => gaussian(rand));
  const norm = Math.sqrt(delta.reduce((a, b) => a + b * b, 0));
  for (let i = 0; i < d; i++) delta[i] /= norm; // |D|^2 = 1
  const trueBNoise = d * (1 + sigma * sigma) + 1; // 21
  const steps = regressionGradientSteps({ rand, delta, sigma, batchSize: 64, microBatches: 4, steps: 400 });
  const samples = noiseSamplesFromSteps(steps);
  assert.equal(samples.length, 400);
  const est = estimateNoiseScale(samples, { seed: 3, cap: 1e6 });
  assert.ok(est);
  assert.ok(est.low <= trueBNoise && trueBNoise <= est.high, `interval [${est.low}, ${est.high}] should contain ${trueBNoise}`);
  assert.ok(Math.abs(est.value / trueBNoise - 1) < 0.25, `point estimate ${est.value} within 25% of ${trueBNoise}`);
  assert.ok(est.high - est.low < trueBNoise, 'the interval is informative');
});

test('noise scale: more label noise gives a larger B_noise, and a history when windows are asked for', () => {
  const rand = seededRandom(11);
  const delta = [1, 0, 0, 0];
  const quiet = estimateNoiseScale(noiseSamplesFromSteps(regressionGradientSteps({ rand, delta, sigma: 0.5, batchSize: 32, microBatches: 4, steps: 300 })), {
    seed: 1,
  });
  const noisySteps = regressionGradientSteps({ rand, delta, sigma: 3, batchSize: 32, microBatches: 4, steps: 300 });
  const noisy = estimateNoiseScale(noiseSamplesFromSteps(noisySteps), { seed: 1, historySamples: noiseSamplesFromSteps(noisySteps), windows: 5 });
  assert.ok(quiet && noisy);
  // True values: 4*(1+0.25)+1 = 6 and 4*(1+9)+1 = 41.
  assert.ok(noisy.value > 3 * quiet.value, `${noisy.value} vs ${quiet.value}`);
  assert.equal(noisy.history?.length, 5);
});

test('noise scale: steps without micro-batch statistics are ignored; a lost gradient hits the cap', () => {
  const plain: StepMetrics = { step: 1, epoch: 0, samples: 32, loss: 1, batchSize: 32, learningRate: 0.1, stepTimeMs: 1, samplesPerSecond: 1000, time: 0.1 };
  assert.equal(noiseSamplesFromSteps([plain, { ...plain, gradSqNorm: 1 }]).length, 0);
  // |g_big|^2 == |g_small|^2 * B_small/B_big exactly: pure noise, |G|^2 = 0.
  const s = { ...plain, gradSqNorm: 0.25, microGradSqNorm: 1, microBatchSize: 8 };
  const est = estimateNoiseScale(noiseSamplesFromSteps([s, s, s]), { cap: 5000 });
  assert.equal(est?.value, 5000);
});

test('memory fit: least squares recovers a + b*B and predicts the largest batch under a limit', () => {
  const rand = seededRandom(5);
  const a = 50e6;
  const b = 2e5;
  const pts = [8, 16, 32, 64, 128, 256].map((B) => ({ batchSize: B, peakMemoryBytes: a + b * B + (rand() - 0.5) * 2e5 }));
  const fit = fitMemory(pts);
  assert.ok(fit);
  assert.ok(Math.abs(fit.a / a - 1) < 0.01, `a=${fit.a}`);
  assert.ok(Math.abs(fit.b / b - 1) < 0.01, `b=${fit.b}`);
  assert.ok(fit.r2 > 0.999);
  // 200 MB limit, 10% margin: (180e6 - 50e6)/2e5 = 650.
  const max = predictMaxFit(fit, 200e6, 0.1);
  assert.ok(Math.abs(max - 650) <= 3, `max=${max}`);
  assert.equal(predictMaxFit({ a: 300e6, b: 1, r2: 1 }, 200e6), 0);
  assert.equal(predictMaxFit({ a: 1e6, b: 0, r2: 1 }, 200e6), Infinity);
  assert.deepEqual(linearFit([1, 1], [2, 3]), undefined);
});

test('goodput: the argmax of X(B)/(B + B_noise) on hand-made curves', () => {
  // X(B) = 1000 B/(B + 32): throughput saturates; with B_noise = 32 goodput = 1000 B/(B+32)^2, maximal at B = 32.
  const cands = [8, 16, 32, 64, 128, 256].map((B) => ({ batchSize: B, samplesPerSecond: (1000 * B) / (B + 32), fits: true }));
  assert.equal(goodputArgmax(cands, 32)?.batchSize, 32);
  // A larger noise scale moves the pick to larger batches (optimum sqrt(32*512) = 128); memory still limits it.
  assert.equal(goodputArgmax(cands, 512)?.batchSize, 128);
  assert.equal(
    goodputArgmax(
      cands.map((c) => ({ ...c, fits: c.batchSize <= 16 })),
      512,
    )?.batchSize,
    16,
  );
  assert.equal(goodputArgmax([], 1), undefined);
  // T(B) ~ S_min (B + B_noise)/X(B).
  assert.equal(timeToTarget(100, 1000, 32, 32), 6.4);
  assert.ok(goodput(1000, 32, 32) > goodput(1000, 64, 32));
});

test('throughput: median and IQR after warm-up, saturation after two flat doublings', () => {
  const steps = [1, 2, 3, 4, 5, 6, 7].map((i) => ({ step: i, samplesPerSecond: i <= 2 ? 10 : 100 + i, stepTimeMs: 5 })) as StepMetrics[];
  const t = summarizeThroughput(steps, 2);
  assert.equal(t?.samplesPerSecond, 105);
  assert.deepEqual(t?.iqr, [quantile([103, 104, 105, 106, 107], 0.25), quantile([103, 104, 105, 106, 107], 0.75)]);
  assert.equal(
    throughputSaturated([
      { batchSize: 8, samplesPerSecond: 100 },
      { batchSize: 16, samplesPerSecond: 180 },
      { batchSize: 32, samplesPerSecond: 185 },
    ]),
    false,
  );
  assert.equal(
    throughputSaturated([
      { batchSize: 16, samplesPerSecond: 180 },
      { batchSize: 32, samplesPerSecond: 185 },
      { batchSize: 64, samplesPerSecond: 186 },
    ]),
    true,
  );
});

test('candidates, bisection and learning-rate rules', () => {
  assert.deepEqual(powerOfTwoCandidates(8, 100), [8, 16, 32, 64, 100]);
  assert.deepEqual(powerOfTwoCandidates(8, 64), [8, 16, 32, 64]);
  assert.equal(nextBisection(256, 512, 4), 384);
  assert.equal(nextBisection(288, 304, 4), undefined);
  assert.equal(scaleLearningRate(0.1, 32, 128, 'linear'), 0.4);
  assert.equal(scaleLearningRate(0.001, 32, 128, 'sqrt'), 0.002);
  assert.equal(scaleLearningRate(0.1, 32, 128, 'none'), 0.1);
  assert.equal(defaultLrRule('adam'), 'sqrt');
  assert.equal(defaultLrRule('AdamW'), 'sqrt');
  assert.equal(defaultLrRule('sgd'), 'linear');
  assert.equal(defaultLrRule('momentum'), 'linear');
});

test('budget plan: says how the time is spent, in two interleaved profile rounds, and accounts for start-up', () => {
  const p = planBudget({
    budgetSeconds: 120,
    startupSeconds: 1.5,
    candidates: [8, 16, 32, 64, 128, 256, 512, 1024],
    parallel: 1,
    lrRule: 'sqrt',
    warmupSteps: 3,
    microBatches: 4,
  });
  const total = p.profile.seconds + p.noise.seconds + p.convergence.seconds + p.reserve.seconds;
  assert.ok(Math.abs(total - 120) < 1e-9);
  assert.ok(p.convergence.candidates >= 2 && p.convergence.seeds >= 1);
  assert.ok(p.profile.secondsPerTrial > 1);
  assert.match(p.summary, /profile ~\d+%.*2 interleaved rounds.*convergence ~\d+%/);
  assert.equal(p.profile.trials, 16);
  assert.equal(p.noise.trials, 2, 'two noise seeds fit in 120 s');
  assert.equal(planConvergence(5, 2, 3).candidates, 0);
  assert.equal(planConvergence(60, 1.5, 3).seeds, 2);
  const tiny = planBudget({ budgetSeconds: 10, startupSeconds: 1.5, candidates: [8, 16], parallel: 1, lrRule: 'sqrt', warmupSteps: 3, microBatches: 4 });
  assert.equal(tiny.convergence.candidates, 0);
  assert.ok(tiny.warnings.length > 0);
});

test("recommend: the model's pick, reconciled with measured times to target, speed-up only when nothing is assumed", () => {
  const X = (B: number) => (20000 * B) / (B + 64);
  const candidates = [8, 16, 32, 64, 128, 256].map((B) => ({
    batchSize: B,
    status: 'ok' as const,
    samplesPerSecond: X(B),
    fits: B <= 128,
    peakMemoryBytes: 1e6 * B,
    learningRate: 0.001 * Math.sqrt(B / 32),
  }));
  const base = {
    current: { batchSize: 32, learningRate: 0.001 },
    candidates,
    lrRule: 'sqrt' as const,
    noiseScale: { value: 64, low: 50, high: 80, source: 'gradient-statistics' as const },
  };
  const model = recommend({ ...base, convergence: [] });
  assert.ok(model);
  assert.equal(model.batchSize, 64); // X(B)/(B+64) = 20000 B/(B+64)^2: maximal at 64
  // No convergence trial: time to target rests on S(B) alone, so no speed-up is claimed; the prediction stays in the evidence.
  assert.deepEqual(model.basis, { throughput: 'measured', noiseScale: 'measured', convergence: 'assumed' });
  assert.equal(model.speedupVsCurrent, undefined);
  assert.ok(Math.abs((model.evidence.predictedSpeedupVsCurrent ?? 0) - (64 * 96 * 96) / (32 * 128 * 128)) < 1e-9);
  assert.ok(model.undetermined.some((u) => /time to the target loss/.test(u)));
  assert.equal(model.alternatives.largestThatFits?.batchSize, 128);
  assert.equal(model.alternatives.maxThroughput?.batchSize, 128);
  assert.equal(model.alternatives.mostSampleEfficient?.batchSize, 8);
  assert.equal(model.candidates.find((c) => c.batchSize === 256)?.fits, false);
  assert.ok(model.band.low <= 64 && model.band.high >= 64);

  const agree = recommend({
    ...base,
    convergence: [
      { batchSize: 32, learningRate: 0.001, finalLosses: [0.5, 0.52], timesToTarget: [10, 9], diverged: [undefined, undefined] },
      { batchSize: 64, learningRate: 0.0014, finalLosses: [0.49, 0.5], timesToTarget: [7, 8], diverged: [undefined, undefined] },
      { batchSize: 128, learningRate: 0.002, finalLosses: [0.495, 0.505], timesToTarget: [8, 8], diverged: [undefined, undefined] },
    ],
    targetLoss: 0.51,
    referenceStepsToTarget: 150,
  });
  assert.equal(agree?.batchSize, 64);
  assert.equal(agree?.evidence.verdict?.by, 'model');
  assert.ok(agree?.predictedTimeToTarget !== undefined && agree.current.predictedTimeToTarget !== undefined);
  assert.ok(Math.abs((agree.evidence.measuredSpeedupVsCurrent ?? 0) - 9.5 / 7.5) < 1e-9);
  // The measurement outranks the model's 1.125x: the headline is the measured speed-up.
  assert.equal(agree.speedupBasis, 'measured');
  assert.ok(Math.abs((agree.speedupVsCurrent ?? 0) - 9.5 / 7.5) < 1e-9);

  const corrected = recommend({
    ...base,
    convergence: [
      { batchSize: 32, learningRate: 0.001, finalLosses: [0.3, 0.31], timesToTarget: [10, 10], diverged: [undefined, undefined] },
      { batchSize: 64, learningRate: 0.0014, finalLosses: [0.5, 0.51], timesToTarget: [undefined, undefined], diverged: [undefined, undefined] },
    ],
    referenceStepsToTarget: 100,
  });
  assert.equal(corrected?.batchSize, 32);
  assert.equal(corrected?.evidence.goodputPick, 64);
  assert.equal(corrected?.evidence.verdict?.by, 'measurement');
  assert.equal(corrected?.speedupVsCurrent, 1);
  assert.ok(corrected?.band.sizes.includes(32), 'the band holds the measured pick');
  assert.ok(corrected?.evidence.notes.some((n) => /measurement wins/.test(n)));

  const diverged = recommend({
    ...base,
    convergence: [
      { batchSize: 32, learningRate: 0.001, finalLosses: [0.5], timesToTarget: [10], diverged: [undefined] },
      { batchSize: 64, learningRate: 0.0014, finalLosses: [NaN], timesToTarget: [undefined], diverged: ['the loss became NaN at step 12'] },
    ],
  });
  assert.equal(diverged?.batchSize, 32, 'a diverged candidate is never picked');
  assert.equal(diverged?.candidates.find((c) => c.batchSize === 64)?.diverged, 'the loss became NaN at step 12');
  assert.equal(recommend({ ...base, candidates: candidates.map((c) => ({ ...c, fits: false })), convergence: [] }), undefined);
});

test('measured throughput: median samples/s after a warm-up of at least 30% of the steps', () => {
  // 10 slow compile steps, then 90 steps of 10 ms at B=32 (3200 samples/s) with one 100 ms GC pause.
  const steps = Array.from({ length: 100 }, (_, i) => ({ step: i + 1, batchSize: 32, stepTimeMs: i < 10 ? 500 : i === 50 ? 100 : 10 })) as StepMetrics[];
  const t = measuredThroughput(steps, 3);
  assert.ok(t);
  assert.equal(t.measuredSteps, 70);
  // The compile steps and the GC pause do not move it: 32 samples / 10 ms.
  assert.equal(t.samplesPerSecond, 3200);
  assert.equal(t.stepTimeMs, 10);
});

test('recommend: largest that fits includes sizes skipped after throughput saturated (what Lightning would climb to)', () => {
  const cands = [
    ...[16, 32, 64].map((B) => ({ batchSize: B, status: 'ok' as const, samplesPerSecond: 1000 * Math.min(B, 64), fits: true, learningRate: 0.1 })),
    { batchSize: 128, status: 'skipped' as const, fits: false, predictedToFit: true, learningRate: 0.1 },
    { batchSize: 256, status: 'predicted' as const, fits: false, learningRate: 0.1 },
  ];
  // The step-time model t(B) = 0 + B/64000: saturated at 64,000 samples/s, the model's X(128).
  const throughput = {
    model: {
      overheadSeconds: 0,
      perSampleSeconds: 1 / 64000,
      quadraticSeconds: 0,
      terms: 'linear' as const,
      residualScale: 0,
      observations: 3,
      batchSizes: 3,
      criterion: { linear: 0 },
    },
    draws: [],
    evidence: {} as never,
  };
  const rec = recommend({
    current: { batchSize: 32, learningRate: 0.1 },
    candidates: cands,
    convergence: [],
    lrRule: 'none',
    noiseScale: { value: 50, low: 40, high: 60 },
    throughput,
  });
  assert.equal(rec?.alternatives.largestThatFits?.batchSize, 128);
  assert.ok(Math.abs((rec?.alternatives.largestThatFits?.samplesPerSecond ?? 0) - 64000) < 1e-6, 'the model extrapolates past saturation');
  assert.match(rec?.alternatives.largestThatFits?.reason ?? '', /extrapolation/);
});

test('recommend: measured steps to target, timed by the step-time model, decide; a drifting wall clock does not', () => {
  // t(B) = 0.002 + 1e-4 B. 64 took 300 steps (300 x 0.0084 = 2.52 s), 128 took 200 (200 x 0.0148 = 2.96 s);
  // a neighbour's load made 64's wall clock read 4 s, so the raw times would favour 128.
  const model = {
    overheadSeconds: 0.002,
    perSampleSeconds: 1e-4,
    quadraticSeconds: 0,
    terms: 'linear' as const,
    residualScale: 0.01,
    observations: 12,
    batchSizes: 3,
    criterion: { linear: 0 },
  };
  const t = (b: number) => 0.002 + 1e-4 * b;
  const candidates = [32, 64, 128].map((b) => ({ batchSize: b, status: 'ok' as const, fits: true, samplesPerSecond: b / t(b), learningRate: 0.01 }));
  const rec = recommend({
    current: { batchSize: 32, learningRate: 0.01 },
    candidates,
    lrRule: 'none',
    throughput: { model, draws: [], evidence: {} as never },
    noiseScale: { value: 500, low: 400, high: 600, source: 'gradient-statistics' },
    convergence: [
      { batchSize: 32, learningRate: 0.01, finalLosses: [0.5], timesToTarget: [3.6], stepsToTarget: [900], diverged: [undefined] },
      { batchSize: 64, learningRate: 0.01, finalLosses: [0.5], timesToTarget: [4.0], stepsToTarget: [300], diverged: [undefined] },
      { batchSize: 128, learningRate: 0.01, finalLosses: [0.5], timesToTarget: [3.0], stepsToTarget: [200], diverged: [undefined] },
    ],
    referenceStepsToTarget: 900,
  });
  assert.equal(rec?.evidence.verdict?.measuredPick, 64);
  assert.equal(rec?.candidates.find((c) => c.batchSize === 64)?.measuredStepsToTarget, 300);
  assert.equal(rec?.candidates.find((c) => c.batchSize === 64)?.measuredTimeToTarget, 4, 'the raw wall time stays in the evidence');
  // Measured speed-up of the pick over 32: (900 x 0.0052) / (steps x t) of the pick.
  const pick = rec?.batchSize;
  const steps = pick === 64 ? 300 : 200;
  assert.ok(Math.abs((rec?.evidence.measuredSpeedupVsCurrent ?? 0) - (900 * t(32)) / (steps * t(pick))) < 1e-9);
});
