// The tuner's models against known answers: the robust step-time fit, the S(B) fit of B_noise
// from loss curves, the near-optimal band computed by hand, the verdict rule, loss curves and
// divergence, memory caps, and the two-stage bootstrap of the gradient noise scale.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  bootstrapInterval,
  bootstrapStepTimeModel,
  cappedMaxFit,
  divergence,
  estimateNoiseScale,
  firstReach,
  fitNoiseScaleToSteps,
  fitStepTimeModel,
  goodputOptimalBatchSize,
  huberRegression,
  memoryCheckSize,
  modelThroughput,
  nearOptimalBand,
  noiseScaleDraws,
  noiseScaleFromLossCurves,
  reconcile,
  seededRandom,
  smoothLoss,
  stepTimeWindows,
  throughputFromWindows,
  throughputInterval,
  type GradientNoiseSample,
  type LossPoint,
  type StepTimeWindow,
} from '../../src/core/tuner';
import type { StepMetrics } from '../../src/core/types';
import { gaussian } from './helpers/linearRegression';

/** Windows of step times t(B) = a + c B (+ d B^2) with relative noise, two trials (rounds) per size. */
function windows(sizes: number[], t: (b: number) => number, noise: number, seed = 1, perTrial = 4): StepTimeWindow[] {
  const rand = seededRandom(seed);
  return sizes.flatMap((b) =>
    [1, 2].flatMap((round) =>
      Array.from({ length: perTrial }, () => ({ batchSize: b, stepSeconds: t(b) * (1 + noise * gaussian(rand)), steps: 5, group: `p-${b}-${round}`, round })),
    ),
  );
}

test('step-time model: Huber IRLS recovers a known overhead and per-sample cost, undisturbed by outlier windows', () => {
  const a = 0.004;
  const c = 0.00025;
  const ws = windows([8, 16, 32, 64, 128, 256, 512], (b) => a + c * b, 0.03);
  // A neighbour's burst of work: three windows 3x slower.
  ws[3].stepSeconds *= 3;
  ws[20].stepSeconds *= 3;
  ws[41].stepSeconds *= 3;
  const m = fitStepTimeModel(ws);
  assert.ok(m);
  assert.equal(m.terms, 'linear');
  assert.ok(Math.abs(m.overheadSeconds / a - 1) < 0.1, `overhead ${m.overheadSeconds}`);
  assert.ok(Math.abs(m.perSampleSeconds / c - 1) < 0.05, `per-sample ${m.perSampleSeconds}`);
  // X(B) = B/t(B) saturates at 1/c = 4000 samples/s.
  assert.ok(Math.abs(modelThroughput(m, 1e6) / 4000 - 1) < 0.05);
  // The bootstrap interval of X(B) holds the true value.
  const draws = bootstrapStepTimeModel(ws, m, { seed: 2 });
  for (const b of [16, 128, 512]) {
    const ci = throughputInterval(draws, b);
    const truth = b / (a + c * b);
    assert.ok(ci && ci[0] <= truth && truth <= ci[1], `X(${b}) = ${truth} in ${ci}`);
  }
});

test('step-time model: the quadratic term is kept only when the data ask for it (robust Schwarz criterion)', () => {
  const sizes = [8, 16, 32, 64, 128, 256, 512, 1024];
  const linear = fitStepTimeModel(windows(sizes, (b) => 0.002 + 0.0001 * b, 0.03, 3));
  assert.equal(linear?.terms, 'linear');
  // Per-sample cost that doubles by B = 1024 (caches spill): t = 0.002 + 1e-4 B + 1e-7 B^2.
  const quad = fitStepTimeModel(windows(sizes, (b) => 0.002 + 0.0001 * b + 1e-7 * b * b, 0.03, 4));
  assert.equal(quad?.terms, 'quadratic');
  assert.ok(quad && Math.abs(quad.quadraticSeconds / 1e-7 - 1) < 0.2, `d = ${quad?.quadraticSeconds}`);
  assert.ok((quad?.criterion.quadratic ?? Infinity) < (quad?.criterion.linear ?? 0) - 2);
  // Fewer than three sizes: no model.
  assert.equal(fitStepTimeModel(windows([16, 32], (b) => 0.01 + 0.001 * b, 0.01)), undefined);
});

test('huber regression: an exact line is recovered exactly; weighted least squares needs distinct rows', () => {
  const rows = [1, 2, 3, 4].map((x) => [1, x]);
  const fit = huberRegression(rows, [3, 5, 7, 9], [1, 1, 1, 1]);
  assert.ok(fit && Math.abs(fit.coef[0] - 1) < 1e-12 && Math.abs(fit.coef[1] - 2) < 1e-12);
  assert.equal(
    huberRegression(
      [
        [1, 1],
        [1, 1],
      ],
      [1, 2],
      [1, 1],
    ),
    undefined,
  );
});

test('throughput windows: measured steps (after warm-up) cut into windows of mean step time', () => {
  const steps = Array.from({ length: 40 }, (_, i) => ({ step: i + 1, batchSize: 64, stepTimeMs: i < 12 ? 100 : 20 })) as StepMetrics[];
  const ws = stepTimeWindows(steps, 5, 'profile-64', 1);
  assert.equal(ws.length, 6);
  assert.equal(
    ws.reduce((a, w) => a + w.steps, 0),
    28,
    '30% warm-up skipped',
  );
  assert.ok(ws.every((w) => Math.abs(w.stepSeconds - 0.02) < 1e-12 && w.group === 'profile-64' && w.round === 1));
  const t = throughputFromWindows(windows([8, 32, 128, 512], (b) => 0.01 + 0.0001 * b, 0.02));
  assert.ok(t && t.evidence.shape === 'rising' && t.evidence.residuals.length === 4);
  assert.ok(Math.abs((t.evidence.roundDrift ?? 0) - 1) < 0.05, 'no drift between rounds');
});

test('goodput optimum of the linear model: B* = sqrt(overhead * B_noise / per-sample cost), as brute force finds', () => {
  const p = { overheadSeconds: 0.01, perSampleSeconds: 0.0001, quadraticSeconds: 0 };
  assert.ok(Math.abs(goodputOptimalBatchSize(p, 100) - 100) < 1e-9);
  let best = 1;
  for (let b = 1; b <= 10000; b++) if (modelThroughput(p, b) / (b + 400) > modelThroughput(p, best) / (best + 400)) best = b;
  assert.equal(best, Math.round(goodputOptimalBatchSize(p, 400)));
  assert.equal(goodputOptimalBatchSize({ ...p, perSampleSeconds: 0 }, 100), Infinity);
});

test('near-optimal band computed by hand: t(B) = 0.01 + 1e-4 B, B_noise = 100 gives 64..160', () => {
  // T(B)/S_min = (B + 100)(0.01 + 1e-4 B)/B: 0.04 at 100 (best), 0.0420 at 64 (+5%), 0.0450 at 50 and 200 (+12.5%),
  // 0.0406 at 128 (+1.5%), 0.04225 at 160 (+5.6%).
  const p = { overheadSeconds: 0.01, perSampleSeconds: 0.0001, quadraticSeconds: 0 };
  const point = { throughput: (b: number) => modelThroughput(p, b), noiseScale: 100 };
  const band = nearOptimalBand([32, 50, 64, 100, 128, 160, 200, 256], point, []);
  assert.deepEqual(band?.sizes, [64, 100, 128, 160]);
  assert.equal(band?.low, 64);
  assert.equal(band?.high, 160);
  // Uncertainty widens it: with B_noise drawn over its 90% interval [50, 200], 50 and 200 become plausible.
  const draws = noiseScaleDraws({ value: 100, low: 50, high: 200 }, 400, 3).map((n) => ({ ...point, noiseScale: n }));
  const wide = nearOptimalBand([32, 50, 64, 100, 128, 160, 200, 256], point, draws);
  assert.ok(wide && wide.low <= 50 && wide.high >= 200, `${wide?.low}-${wide?.high}`);
});

test('B_noise from loss curves: steps to common levels following S(B) = S_min (1 + B_noise/B) recover a known B_noise', () => {
  // Loss falls with progress p = steps / (1 + B_noise/B): L = 2 / (1 + p/40); B_noise = 150.
  const bNoise = 150;
  const curve = (b: number, noise: number, seed: number): LossPoint[] => {
    const rand = seededRandom(seed);
    const n = Math.round(4000 / Math.sqrt(b)); // equal wall time: fewer steps at large B
    return Array.from({ length: n }, (_, i) => {
      const s = i + 1;
      return { step: s, samples: s * b, time: s / n, loss: (2 / (1 + s / (1 + bNoise / b) / 40)) * (1 + noise * gaussian(rand)) };
    });
  };
  const exact = noiseScaleFromLossCurves([16, 64, 256, 1024].map((b) => ({ batchSize: b, curve: curve(b, 0, 1) })));
  assert.ok('estimate' in exact, JSON.stringify(exact));
  assert.ok(Math.abs(exact.estimate.value / bNoise - 1) < 0.02, `exact curves: ${exact.estimate.value}`);
  assert.equal(exact.estimate.source, 'loss-curves');
  // Noisy training losses, two seeds per size, smoothed: still recovered, and the interval holds it.
  const noisy = noiseScaleFromLossCurves(
    [16, 64, 256, 1024].flatMap((b) => [1, 2].map((s) => ({ batchSize: b, curve: smoothLoss(curve(b, 0.05, b + s)) }))),
    { seed: 5 },
  );
  assert.ok('estimate' in noisy, JSON.stringify(noisy));
  assert.ok(Math.abs(noisy.estimate.value / bNoise - 1) < 0.3, `noisy curves: ${noisy.estimate.value}`);
  assert.ok(noisy.estimate.low <= bNoise && bNoise <= noisy.estimate.high, `[${noisy.estimate.low}, ${noisy.estimate.high}]`);
  // One level by hand: S = 100 (1 + 50/B) at B = 10, 50, 250 -> 600, 200, 120 steps.
  const one = fitNoiseScaleToSteps([{ level: 1, points: [10, 50, 250].map((b, run) => ({ batchSize: b, steps: 100 * (1 + 50 / b), run })) }]);
  assert.ok(one && Math.abs(one.noiseScale - 50) < 0.01);
});

test('B_noise from loss curves: steps falling as 1/B (perfect scaling) give no finite estimate; two sizes are not enough', () => {
  const run = (b: number): LossPoint[] =>
    Array.from({ length: 50 }, (_, i) => ({ step: i + 1, samples: (i + 1) * b, time: i, loss: 1 / (1 + ((i + 1) * b) / 2000) }));
  const perfect = noiseScaleFromLossCurves([8, 32, 128].map((b) => ({ batchSize: b, curve: run(b) })));
  assert.ok('undetermined' in perfect && /no finite estimate/.test(perfect.undetermined), JSON.stringify(perfect));
  const two = noiseScaleFromLossCurves([8, 32].map((b) => ({ batchSize: b, curve: run(b) })));
  assert.ok('undetermined' in two && /8, 32\); .*needs 3/.test(two.undetermined), JSON.stringify(two));
});

test('verdict: measured time to target outranks the model, unless the model pick is within 10% of the fastest', () => {
  const m = (batchSize: number, timeToTarget: number | undefined, diverged = false) => ({
    batchSize,
    spread: 0,
    diverged,
    ...(timeToTarget !== undefined ? { timeToTarget } : {}),
  });
  assert.deepEqual(reconcile(64, []), { pick: 64, by: 'model' });
  assert.equal(reconcile(64, [m(32, 10), m(64, 8)]).by, 'model');
  const within = reconcile(64, [m(32, 10), m(64, 8.5), m(128, 8)]);
  assert.equal(within.pick, 64, 'within 10% of the fastest: the model stands');
  const slower = reconcile(64, [m(32, 10), m(64, 12), m(128, 8)]);
  assert.deepEqual([slower.pick, slower.by], [128, 'measurement']);
  assert.equal(reconcile(64, [m(32, 10), m(64, undefined)]).pick, 32, 'the model pick never reached the target');
  assert.equal(reconcile(64, [m(32, 10), m(64, undefined, true)]).pick, 32, 'the model pick diverged');
  assert.equal(reconcile(64, [m(32, 10), m(128, 9)]).pick, 64, 'the model pick was not measured: it stands');
});

test('loss curves: a missing loss is not divergence; NaN/Infinity or an exploding loss is', () => {
  const step = (i: number, loss: number): StepMetrics => ({
    step: i,
    epoch: 0,
    samples: i * 32,
    loss,
    batchSize: 32,
    learningRate: 0.1,
    stepTimeMs: 10,
    samplesPerSecond: 3200,
    time: i / 100,
  });
  const falling = Array.from({ length: 30 }, (_, i) => step(i + 1, 2 / (1 + i / 10)));
  assert.equal(divergence(falling, []).diverged, false, 'no validation loss reported: not divergence');
  assert.equal(divergence([], []).diverged, false, 'no loss at all: missing, not divergence');
  assert.equal(divergence([...falling, step(31, NaN)], []).diverged, true);
  assert.equal(divergence(falling, [{ step: 30, samples: 960, time: 0.3, valLoss: Infinity }]).diverged, true);
  const exploding = Array.from({ length: 30 }, (_, i) => step(i + 1, 2 * Math.exp(i / 8)));
  assert.match(divergence(exploding, []).reason ?? '', /rose from/);
  // Smoothing: a centred average keeps a linear trend in place (no lag).
  const line = Array.from({ length: 21 }, (_, i) => ({ step: i, samples: i, time: i, loss: 10 - i * 0.25 }));
  const sm = smoothLoss(line, 3);
  assert.ok(Math.abs(sm[10].loss - line[10].loss) < 1e-12);
  assert.equal(firstReach(line, 7.5, 'step'), 10);
  assert.equal(firstReach(line, -1, 'step'), undefined);
});

test('memory: predictions capped by the dataset and the search range; a far prediction is checked', () => {
  const fit = { a: 1e6, b: 1e3, r2: 1 };
  // (0.9 * 1e9 - 1e6) / 1e3 ~ 899,000: an 8,000-sample dataset and a 1024 search range cap it.
  assert.equal(cappedMaxFit(fit, 1e9, 0.1, { datasetSize: 8000, maxBatchSize: 1024 }), 1024);
  assert.equal(cappedMaxFit(fit, 1e9, 0.1, { datasetSize: 500, maxBatchSize: 1024 }), 500);
  assert.equal(memoryCheckSize(1024, 256), 1024);
  assert.equal(memoryCheckSize(400, 256), undefined);
  assert.equal(memoryCheckSize(undefined, 256), undefined);
});

test('gradient noise scale: with two trials the interval carries the spread between them, not only their steps', () => {
  const trial = (trace: number, seed: number): GradientNoiseSample[] => {
    const rand = seededRandom(seed);
    return Array.from({ length: 200 }, (_, i) => ({ gradSq: 1 + 0.1 * gaussian(rand), trace: trace * (1 + 0.1 * gaussian(rand)), samples: i * 64, loss: 1 }));
  };
  const a = trial(40, 1);
  const b = trial(80, 2);
  const stepsOnly = bootstrapInterval([...a, ...b], { seed: 1 });
  const twoStage = bootstrapInterval([a, b], { seed: 1 });
  assert.ok(twoStage[1] - twoStage[0] > 3 * (stepsOnly[1] - stepsOnly[0]), `two-stage ${twoStage} vs steps ${stepsOnly}`);
  const est = estimateNoiseScale([...a, ...b], { trials: [a, b], seed: 1 });
  assert.equal(est?.source, 'gradient-statistics');
  assert.ok(est && est.low < 50 && est.high > 70, `[${est?.low}, ${est?.high}]`);
});
