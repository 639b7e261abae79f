// Per-sample gradients of least-squares regression with Gaussian label noise, turned into the
// step metrics the trainer reports (|g_B|^2 of the batch mean, mean |g_b|^2 over micro-batches).
// The closed form of G and Sigma at a given parameter makes B_noise known exactly.
import type { StepMetrics } from '../../../src/core/types';

/** Standard normal by Box-Muller. */
export function gaussian(rand: () => number): number {
  const u = Math.max(rand(), 1e-12);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rand());
}

const sqNorm = (v: number[]) => v.reduce((a, b) => a + b * b, 0);

export function regressionGradientSteps(o: {
  rand: () => number;
  delta: number[];
  sigma: number;
  batchSize: number;
  microBatches: number;
  steps: number;
}): StepMetrics[] {
  const d = o.delta.length;
  const b = o.batchSize / o.microBatches;
  const out: StepMetrics[] = [];
  for (let step = 1; step <= o.steps; step++) {
    const total = new Array<number>(d).fill(0);
    let microSq = 0;
    for (let m = 0; m < o.microBatches; m++) {
      const micro = new Array<number>(d).fill(0);
      for (let i = 0; i < b; i++) {
        const x = Array.from({ length: d }, () => gaussian(o.rand));
        const residual = x.reduce((a, xi, j) => a + xi * o.delta[j], 0) - o.sigma * gaussian(o.rand);
        for (let j = 0; j < d; j++) micro[j] += (x[j] * residual) / b;
      }
      microSq += sqNorm(micro) / o.microBatches;
      for (let j = 0; j < d; j++) total[j] += micro[j] / o.microBatches;
    }
    out.push({
      step,
      epoch: 0,
      samples: step * o.batchSize,
      loss: 1,
      batchSize: o.batchSize,
      learningRate: 0.01,
      stepTimeMs: 1,
      samplesPerSecond: 1000,
      time: step / 1000,
      gradSqNorm: sqNorm(total),
      microGradSqNorm: microSq,
      microBatchSize: b,
    });
  }
  return out;
}
