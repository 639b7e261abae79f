// Gradient noise scale B_noise = tr(Sigma) / |G|^2 (McCandlish et al. 2018, "An Empirical Model of
// Large-Batch Training", arXiv:1812.06162, appendix A). With the squared norms of the mean gradient
// at two batch sizes B_small < B_big (here: a micro-batch and the whole batch of the same step),
//   |G|^2    ~ (B_big*|g_big|^2 - B_small*|g_small|^2) / (B_big - B_small)
//   tr(Sigma) ~ (|g_small|^2 - |g_big|^2) / (1/B_small - 1/B_big)
// are unbiased; their ratio is not, so numerator and denominator are averaged over steps first.
import type { NoiseScaleEstimate, StepMetrics } from '../types';
import { mean, quantile, seededRandom } from './stats';

/** One step's unbiased estimates of |G|^2 and tr(Sigma). */
export interface GradientNoiseSample {
  gradSq: number;
  trace: number;
  samples: number;
  loss: number;
}

/** |G|^2 estimate from one pair of batch sizes (McCandlish et al. 2018, eq. A.2). */
export function trueGradSqEstimate(bSmall: number, gSmallSq: number, bBig: number, gBigSq: number): number {
  return (bBig * gBigSq - bSmall * gSmallSq) / (bBig - bSmall);
}

/** tr(Sigma) estimate from one pair of batch sizes (McCandlish et al. 2018, eq. A.3). */
export function traceSigmaEstimate(bSmall: number, gSmallSq: number, bBig: number, gBigSq: number): number {
  return (gSmallSq - gBigSq) / (1 / bSmall - 1 / bBig);
}

/** The steps that carry both norms with a micro-batch smaller than the batch. */
export function noiseSamplesFromSteps(steps: readonly StepMetrics[]): GradientNoiseSample[] {
  const out: GradientNoiseSample[] = [];
  for (const s of steps) {
    const b = s.microBatchSize;
    if (b === undefined || s.gradSqNorm === undefined || s.microGradSqNorm === undefined) continue;
    if (!(b > 0 && b < s.batchSize) || !Number.isFinite(s.gradSqNorm) || !Number.isFinite(s.microGradSqNorm)) continue;
    out.push({
      gradSq: trueGradSqEstimate(b, s.microGradSqNorm, s.batchSize, s.gradSqNorm),
      trace: traceSigmaEstimate(b, s.microGradSqNorm, s.batchSize, s.gradSqNorm),
      samples: s.samples,
      loss: s.loss,
    });
  }
  return out;
}

/**
 * Ratio of means, clamped to [0, cap]: a non-positive mean |G|^2 means the true gradient is lost
 * in the noise, i.e. B_noise is larger than anything this data can resolve (the cap, e.g. the dataset size).
 */
export function ratioOfMeans(samples: readonly GradientNoiseSample[], cap = Infinity): number {
  const g = mean(samples.map((s) => s.gradSq));
  const t = mean(samples.map((s) => s.trace));
  if (!(t > 0)) return 0;
  if (!(g > 0)) return cap;
  return Math.min(cap, t / g);
}

/**
 * Percentile bootstrap (Efron 1979) of the ratio of means; seeded for reproducibility. With several
 * trials (`groups`), two-stage (Davison & Hinkley 1997, sec. 3.8): trials are resampled, then
 * steps within each chosen trial, so the interval carries the spread between trials and seeds,
 * not only between the steps of one trial.
 */
export function bootstrapInterval(
  samples: readonly GradientNoiseSample[] | ReadonlyArray<readonly GradientNoiseSample[]>,
  opts: { seed?: number; resamples?: number; level?: number; cap?: number } = {},
): [number, number] {
  const groups = (samples.length > 0 && Array.isArray(samples[0]) ? samples : [samples]) as ReadonlyArray<readonly GradientNoiseSample[]>;
  const used = groups.filter((g) => g.length > 0);
  if (used.length === 0) return [NaN, NaN];
  const rand = seededRandom(opts.seed ?? 1);
  const R = opts.resamples ?? 500;
  const level = opts.level ?? 0.9;
  const cap = opts.cap ?? Infinity;
  const stats: number[] = [];
  for (let r = 0; r < R; r++) {
    let g = 0;
    let t = 0;
    for (let k = 0; k < used.length; k++) {
      const grp = used.length > 1 ? used[Math.floor(rand() * used.length)] : used[0];
      for (let i = 0; i < grp.length; i++) {
        const s = grp[Math.floor(rand() * grp.length)];
        g += s.gradSq;
        t += s.trace;
      }
    }
    stats.push(!(t > 0) ? 0 : !(g > 0) ? cap : Math.min(cap, t / g));
  }
  return [quantile(stats, (1 - level) / 2), quantile(stats, 1 - (1 - level) / 2)];
}

/**
 * The estimate with its interval and its history as training goes on: the steps are taken in
 * order of samples seen and cut into `windows` windows (B_noise grows as the loss falls).
 */
export function estimateNoiseScale(
  samples: readonly GradientNoiseSample[],
  opts: {
    seed?: number;
    level?: number;
    cap?: number;
    historySamples?: readonly GradientNoiseSample[];
    windows?: number;
    trials?: ReadonlyArray<readonly GradientNoiseSample[]>;
  } = {},
): NoiseScaleEstimate | undefined {
  if (samples.length < 2) return undefined;
  const cap = opts.cap ?? Infinity;
  const value = ratioOfMeans(samples, cap);
  // Two or more trials: the interval resamples trials too (their spread is part of the doubt).
  const groups = opts.trials && opts.trials.filter((t) => t.length > 0).length >= 2 ? opts.trials : samples;
  const [low, high] = bootstrapInterval(groups, { seed: opts.seed, level: opts.level, cap });
  const est: NoiseScaleEstimate = { value, low: Math.min(low, value), high: Math.max(high, value), source: 'gradient-statistics' };
  const hist = [...(opts.historySamples ?? [])].sort((a, b) => a.samples - b.samples);
  const windows = Math.min(opts.windows ?? 6, Math.floor(hist.length / 8));
  if (windows >= 2) {
    est.history = [];
    const size = Math.floor(hist.length / windows);
    for (let w = 0; w < windows; w++) {
      const part = hist.slice(w * size, w === windows - 1 ? hist.length : (w + 1) * size);
      const [lo, hi] = bootstrapInterval(part, { seed: (opts.seed ?? 1) + w, resamples: 200, level: opts.level, cap });
      est.history.push({
        samples: part[part.length - 1].samples,
        loss: mean(part.map((p) => p.loss).filter(Number.isFinite)),
        value: ratioOfMeans(part, cap),
        low: lo,
        high: hi,
      });
    }
  }
  return est;
}
