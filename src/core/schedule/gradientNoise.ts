// Gradient noise scale from the two squared gradient norms one training step already gives
// (the whole batch and its micro-batches). McCandlish et al. 2018, "An Empirical Model of
// Large-Batch Training", appendix A.1: with B_small < B_big and E|g_B|^2 = |G|^2 + tr(Sigma)/B,
//   |G|^2    ~ (B_big*|g_big|^2 - B_small*|g_small|^2) / (B_big - B_small)
//   tr(Sigma) ~ (|g_small|^2 - |g_big|^2) / (1/B_small - 1/B_big)
// Both are unbiased but very noisy per step, so each is smoothed by an EMA before dividing
// (the same appendix), and B_noise = tr(Sigma)/|G|^2 (the "simple" noise scale, eq. 2.9).
//
// The two-batch estimators are the tuner's (src/core/tuner/noiseScale.ts), which estimates B_noise
// with intervals over whole trials; this file is the per-step, O(1) EMA the controller needs.
import type { StepMetrics } from '../types';
import { traceSigmaEstimate, trueGradSqEstimate } from '../tuner/noiseScale';

/** The pair of per-step estimates from one step's metrics, or undefined when it has no usable statistics. */
export function gradientNoiseSample(m: StepMetrics): { gradSqNorm: number; traceSigma: number } | undefined {
  const { gradSqNorm, microGradSqNorm, microBatchSize, batchSize } = m;
  if (gradSqNorm === undefined || microGradSqNorm === undefined || microBatchSize === undefined) return undefined;
  if (!(microBatchSize >= 1 && batchSize > microBatchSize)) return undefined;
  if (!Number.isFinite(gradSqNorm) || !Number.isFinite(microGradSqNorm)) return undefined;
  return {
    gradSqNorm: trueGradSqEstimate(microBatchSize, microGradSqNorm, batchSize, gradSqNorm),
    traceSigma: traceSigmaEstimate(microBatchSize, microGradSqNorm, batchSize, gradSqNorm),
  };
}

export interface GradientNoiseEstimate {
  /** EMA of the |G|^2 estimates. */
  gradSqNorm: number;
  /** EMA of the tr(Sigma) estimates. */
  traceSigma: number;
  /** tr(Sigma)/|G|^2; undefined while the smoothed |G|^2 is not positive (noise dominates the estimate). */
  noiseScale: number | undefined;
  samples: number;
}

export interface GradientNoiseTrackerState {
  g: number;
  s: number;
  n: number;
  weight: number;
}

/**
 * Bias-corrected EMA of numerator and denominator (as Adam corrects its moments, Kingma & Ba 2015,
 * so the first estimates are not pulled towards zero). `beta` is the weight of the past.
 */
export class GradientNoiseTracker {
  private g = 0;
  private s = 0;
  private n = 0;
  private weight = 0;

  constructor(private readonly beta = 0.9) {
    if (!(beta >= 0 && beta < 1)) throw new RangeError(`EMA beta must be in [0, 1) (got ${beta})`);
  }

  /** Feeds one step; returns false when the step carried no usable gradient statistics. */
  update(m: StepMetrics): boolean {
    const e = gradientNoiseSample(m);
    if (!e || !Number.isFinite(e.gradSqNorm) || !Number.isFinite(e.traceSigma)) return false;
    this.g = this.beta * this.g + (1 - this.beta) * e.gradSqNorm;
    this.s = this.beta * this.s + (1 - this.beta) * e.traceSigma;
    this.weight = this.beta * this.weight + (1 - this.beta);
    this.n++;
    return true;
  }

  /** The EMA's state as plain numbers (trainer checkpoints, issue 11). */
  state(): GradientNoiseTrackerState {
    return { g: this.g, s: this.s, n: this.n, weight: this.weight };
  }

  /** Continues from a state() taken earlier (same beta). */
  restore(st: GradientNoiseTrackerState): void {
    ({ g: this.g, s: this.s, n: this.n, weight: this.weight } = st);
  }

  estimate(): GradientNoiseEstimate | undefined {
    if (this.n === 0) return undefined;
    const gradSqNorm = this.g / this.weight;
    const traceSigma = this.s / this.weight;
    const noiseScale = gradSqNorm > 0 && traceSigma > 0 ? traceSigma / gradSqNorm : undefined;
    return { gradSqNorm, traceSigma, noiseScale, samples: this.n };
  }
}
