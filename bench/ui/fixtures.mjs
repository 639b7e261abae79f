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

export function recommendationMessage() {
  const sizes = [8, 16, 32, 64, 128, 256, 512, 1024];
  const noise = 180;
  const X = (b) => 6000 * (b / (b + 24));
  const good = sizes.map((b) => X(b) / (b + noise));
  const best = Math.max(...good);
  const time = (b) => (400 * (b + noise)) / X(b);
  return {
    v: 1,
    type: 'recommendation',
    recommendation: {
      batchSize: 128,
      learningRate: 0.002,
      speedupVsCurrent: time(32) / time(128),
      predictedTimeToTarget: time(128),
      current: { batchSize: 32, learningRate: 0.001, predictedTimeToTarget: time(32) },
      noiseScale: {
        value: noise,
        low: 130,
        high: 260,
        history: [1000, 4000, 8000, 16000, 24000].map((s, i) => ({ samples: s, loss: 2 - i * 0.3, value: 60 + i * 40, low: 40 + i * 30, high: 90 + i * 55 })),
      },
      alternatives: {
        largestThatFits: { batchSize: 1024, learningRate: 0.0057, predictedTimeToTarget: time(1024), reason: 'Largest batch under the 4 GiB limit (Lightning/Accelerate style).' },
        maxThroughput: { batchSize: 512, learningRate: 0.004, predictedTimeToTarget: time(512), samplesPerSecond: X(512), reason: 'Highest measured samples/s.' },
        mostSampleEfficient: { batchSize: 8, learningRate: 0.0005, predictedTimeToTarget: time(8), reason: 'Fewest samples to the target loss.' },
      },
      candidates: sizes.map((b, i) => ({
        batchSize: b,
        status: b === 1024 ? 'predicted' : 'ok',
        samplesPerSecond: X(b),
        samplesPerSecondIqr: [X(b) * 0.96, X(b) * 1.03],
        peakMemoryBytes: 40 * MiB + b * 0.95 * MiB,
        fits: true,
        goodput: good[i] / best,
        predictedTimeToTarget: time(b),
        learningRate: 0.001 * Math.sqrt(b / 32),
      })),
      evidence: {
        lrRule: 'sqrt',
        memoryLimitBytes: 4096 * MiB,
        memoryFit: { a: 40 * MiB, b: 0.95 * MiB, r2: 0.99 },
        predictedMaxFit: 4000,
        targetLoss: 0.35,
        notes: ['Convergence trials at 64, 128 and 256 confirmed the order predicted by goodput (2 seeds each).'],
      },
      schedule: {
        description: 'start at 64, reach 512 by 60% of training',
        schedule: { kind: 'linear_ramp', from: 64, to: 512, over_samples: 30000 },
        predictedTimeToTarget: time(128) / 1.2,
        speedupVsBestFixed: 1.2,
      },
    },
  };
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
