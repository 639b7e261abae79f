// Synthetic host messages for the headless harness: a study on MNIST with trials at several
// batch sizes, loss curves whose per-sample progress falls off above the noise scale, memory
// growing with the batch, a recommendation with its evidence. Shapes follow
// src/core/webviewProtocol.ts; numbers are made up (this is UI test data, not a measurement).

export const DATASET = 8000;
const MiB = 1048576;

export function initMessage(overrides = {}) {
  return {
    v: 1,
    type: 'init',
    init: {
      configPath: '/work/examples/mnist-mlp.yaml',
      configLabel: 'examples/mnist-mlp.yaml',
      currentBatchSize: 32,
      currentLearningRate: 0.001,
      datasetSize: DATASET,
      totalMemoryBytes: 16 * 1024 * MiB,
      settings: { batchSize: 32, minBatchSize: 8, maxBatchSize: 1024, memoryLimitBytes: 4096 * MiB, budgetSeconds: 120, lrRule: 'sqrt' },
      trusted: true,
      running: false,
      trials: [],
      ...overrides,
    },
  };
}

/** A deterministic pseudo-random stream, so screenshots are reproducible. */
function rng(seed) {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/** `count` steps of a trial at batch size B, starting after step `from`. */
export function steps(batchSize, from, count, { seed = batchSize, noiseScale = 180, throughput, schedule } = {}) {
  const r = rng(seed * 7919 + from);
  const X = throughput ?? 6000 * (batchSize / (batchSize + 24));
  const out = [];
  for (let i = from + 1; i <= from + count; i++) {
    const b = schedule ? schedule(i) : batchSize;
    const samples = b * i;
    // Progress per sample shrinks as B passes the noise scale (McCandlish et al. 2018).
    const effective = samples / (1 + b / noiseScale);
    const loss = 0.08 + 2.2 * Math.exp(-effective / 900) + 0.04 * (r() - 0.5) * Math.sqrt(64 / b);
    out.push({
      step: i,
      epoch: Math.floor(samples / DATASET),
      samples,
      loss,
      batchSize: b,
      learningRate: 0.001 * Math.sqrt(b / 32),
      stepTimeMs: (1000 * b) / X,
      samplesPerSecond: X * (0.95 + 0.1 * r()),
      time: (samples / X) * 1.02,
      memoryBytes: 40 * MiB + b * 0.9 * MiB * (0.9 + 0.2 * r()),
      gradSqNorm: 0.02 + 1 / b,
      microGradSqNorm: 0.02 + 4 / b,
      microBatchSize: Math.max(1, b / 4),
    });
  }
  return out;
}

export function metricsMessage(batches, sentAt = Date.now()) {
  return { v: 1, type: 'metrics', batches, sentAt };
}

export function trialMessage(id, batchSize, phase, extra = {}) {
  const X = 6000 * (batchSize / (batchSize + 24));
  return {
    v: 1,
    type: 'trial',
    trial: {
      id,
      status: 'ok',
      batchSize,
      learningRate: 0.001 * Math.sqrt(batchSize / 32),
      seed: 1,
      backend: 'wasm',
      samplesPerSecond: X,
      samplesPerSecondIqr: [X * 0.96, X * 1.03],
      peakMemoryBytes: 40 * MiB + batchSize * 0.95 * MiB,
      wallSeconds: 6 + batchSize / 200,
      phase,
      finalLoss: 0.1 + 20 / (batchSize + 100),
      ...extra,
    },
  };
}

export function recommendationMessage(overrides = {}) {
  const sizes = [8, 16, 32, 64, 128, 256, 512, 1024];
  const noise = 180;
  const X = (b) => 6000 * (b / (b + 24));
  const good = sizes.map((b) => X(b) / (b + noise));
  const best = Math.max(...good);
  const time = (b) => (400 * (b + noise)) / X(b);
  const bestTime = Math.min(...sizes.map(time));
  const cbs = [
    { samples: 4000, loss: 1.6, value: 64, low: 32, high: 128 },
    { samples: 16000, loss: 0.7, value: 128, low: 64, high: 256 },
    { samples: 48000, loss: 0.3, value: 256, low: 128, high: 512 },
  ];
  return {
    v: 1,
    type: 'recommendation',
    recommendation: {
      batchSize: 128,
      learningRate: 0.002,
      speedupVsCurrent: time(32) / time(128),
      speedupBasis: 'measured',
      predictedTimeToTarget: time(128),
      current: { batchSize: 32, learningRate: 0.001, predictedTimeToTarget: time(32) },
      band: { low: 64, high: 256, tolerance: 0.1, sizes: [64, 128, 256], basis: 'fitted' },
      basis: { throughput: 'fitted', noiseScale: 'measured', convergence: 'measured' },
      undetermined: [],
      noiseScale: {
        value: noise,
        low: 130,
        high: 260,
        source: 'gradient-statistics',
        history: [1000, 4000, 8000, 16000, 24000].map((s, i) => ({ samples: s, loss: 2 - i * 0.3, value: 60 + i * 40, low: 40 + i * 30, high: 90 + i * 55 })),
      },
      alternatives: {
        largestThatFits: {
          batchSize: 1024,
          learningRate: 0.0057,
          predictedTimeToTarget: time(1024),
          reason: 'Largest batch under the 4 GiB limit (Lightning/Accelerate style).',
        },
        maxThroughput: {
          batchSize: 512,
          learningRate: 0.004,
          predictedTimeToTarget: time(512),
          samplesPerSecond: X(512),
          reason: 'Highest measured samples/s.',
        },
        mostSampleEfficient: { batchSize: 8, learningRate: 0.0005, predictedTimeToTarget: time(8), reason: 'Fewest samples to the target loss.' },
      },
      candidates: sizes.map((b, i) => ({
        batchSize: b,
        status: b === 1024 ? 'predicted' : 'ok',
        ...(b === 1024
          ? {}
          : {
              samplesPerSecond: X(b) * (1 + 0.04 * Math.sin(b)),
              samplesPerSecondIqr: [X(b) * 0.94, X(b) * 1.05],
              peakMemoryBytes: 40 * MiB + b * 0.95 * MiB,
              throughputWindows: 12,
            }),
        fittedSamplesPerSecond: X(b),
        fittedSamplesPerSecondInterval: [X(b) * (0.97 - b / 40000), X(b) * (1.03 + b / 40000)],
        fits: true,
        goodput: good[i] / best,
        predictedTimeToTarget: time(b),
        relativeTimeToTarget: time(b) / bestTime,
        inBand: b >= 64 && b <= 256,
        learningRate: 0.001 * Math.sqrt(b / 32),
      })),
      evidence: {
        lrRule: 'sqrt',
        memoryLimitBytes: 4096 * MiB,
        memoryFit: { a: 40 * MiB, b: 0.95 * MiB, r2: 0.99 },
        predictedMaxFit: 4000,
        memoryCheck: {
          batchSize: 1024,
          predictedPeakBytes: 40 * MiB + 1024 * 0.95 * MiB,
          status: 'ok',
          measuredPeakBytes: 40 * MiB + 1024 * 0.97 * MiB,
          relativeError: 0.019,
        },
        throughputModel: {
          overheadSeconds: 0.004,
          perSampleSeconds: 1 / 6000,
          quadraticSeconds: 0,
          terms: 'linear',
          rule: 'B² term not kept: it did not lower the robust Schwarz criterion by 2',
          residualScale: 0.031,
          observations: 84,
          shape: 'rising',
          residuals: [],
          roundDrift: 1.02,
        },
        startupSeconds: 2.4,
        targetLoss: 0.35,
        lossSource: 'validation',
        verdict: { rule: 'measured time to target outranks the model when the runs reached the target', by: 'measurement', measuredPick: 128 },
        notes: ['Convergence trials at 64, 128 and 256 confirmed the order predicted by goodput (2 seeds each).'],
      },
      parallelism: { microBatchSize: 32, accumulationSteps: 2, worldSize: 2, globalBatchSize: 128, reason: 'micro-batch 32 fits with a 10% margin' },
      criticalBatchSize: cbs.map((c) => ({
        ...c,
        tolerance: 0.01,
        method: 'EMA-smoothed training loss over the last 20% of each branch, relative to k = 1',
        branches: [1, 2, 4, 8].map((k) => ({ batchSize: 32 * k, relativeLoss: 1 + (32 * k > c.value ? 0.03 : 0.004), seeds: 2 })),
        noiseScale: { value: c.value * 0.4, low: c.value * 0.3, high: c.value * 0.55 },
        checkpointSource: 'study',
        basis: 'measured',
      })),
      plan: {
        kind: 'warmup',
        stages: [
          { fromSamples: 0, batchSize: 64, learningRate: 0.0014 },
          { fromSamples: 16000, batchSize: 128, learningRate: 0.002 },
          { fromSamples: 48000, batchSize: 256, learningRate: 0.0028 },
        ],
        schedule: { kind: 'step', at_steps: [250, 375], factor: 2, max_batch_size: 256 },
        horizonSamples: 80000,
        predictedSteps: 450,
        predictedSeconds: 31,
        bestFixed: { batchSize: 128, predictedSteps: 625, predictedSeconds: 41 },
        speedupVsBestFixed: 41 / 31,
        basis: 'fitted',
        description: '64 until 16k samples, then 128, then 256 from 48k',
      },
      ...overrides,
    },
  };
}

/** The recommendation of a study whose noise scale could not be measured or fitted: no speed-up, what was assumed. */
export function assumedRecommendationMessage() {
  const m = recommendationMessage();
  const r = m.recommendation;
  delete r.speedupVsCurrent;
  delete r.speedupBasis;
  delete r.noiseScale;
  delete r.plan;
  delete r.criticalBatchSize;
  r.basis = { throughput: 'fitted', noiseScale: 'assumed', convergence: 'fitted' };
  r.band = { ...r.band, basis: 'assumed' };
  r.evidence.assumedNoiseScale = 32;
  r.undetermined = ['The noise scale: the script reports neither gradient statistics nor a loss at three batch sizes.'];
  return m;
}

/** A whole finished study, in the order the host would send it. */
export function studyMessages() {
  const sizes = [16, 32, 64, 128, 256, 512];
  const msgs = [initMessage(), { v: 1, type: 'running', running: true }, { v: 1, type: 'phase', phase: 'profile', message: 'trial 3 of 8', progress: 0.4 }];
  for (const b of sizes) {
    const n = Math.round(24000 / b);
    const id = `profile-${b}`;
    msgs.push(metricsMessage([{ trialId: id, batchSize: b, steps: steps(b, 0, n), evals: [] }]));
    msgs.push(trialMessage(id, b, 'profile'));
  }
  const ramp = (i) => Math.min(512, 64 + Math.floor((i * 64) / 20) * 16);
  msgs.push(metricsMessage([{ trialId: 'schedule-ramp', batchSize: 64, steps: steps(64, 0, 200, { schedule: ramp }), evals: [] }]));
  msgs.push(trialMessage('schedule-ramp', 64, 'convergence'));
  msgs.push(recommendationMessage());
  msgs.push({ v: 1, type: 'phase', phase: 'done', message: 'recommendation ready', progress: 1 });
  msgs.push({ v: 1, type: 'running', running: false });
  return msgs;
}
