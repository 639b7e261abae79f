// `adaptive`: every K steps re-decide the batch size from the measured gradient noise scale
// B_noise, which grows as the loss falls (McCandlish et al. 2018, sec. 2.2, eq. 2.11).
// With the profiled throughput (the spec's `throughput`: the tuner's step-time model t(B)), the
// decision is goodput-aware: argmax over the allowed sizes of X(B)/(B + B_noise), X(B) = B/t(B)
// (Pollux's goodput, Qiao et al., OSDI '21), i.e. the size that reaches the target loss soonest in
// wall time. Without it, B = B_noise: the size at which a step's gradient noise equals its signal.
import type { BatchScheduleSpec } from '../types';
import { modelThroughput, type StepTimeParams } from '../tuner/stepTimeModel';
import { clampSize, nearestAllowedSize, powersOfTwoBetween } from './batchSizes';

type AdaptiveSpec = Extract<BatchScheduleSpec, { kind: 'adaptive' }>;

export const DEFAULT_ADAPTIVE_EVERY_STEPS = 25;

/** EMA weight of the past with a span of K steps (alpha = 2/(K+1), the usual "span" convention). */
export function defaultSmoothing(everySteps: number): number {
  return 1 - 2 / (Math.max(1, everySteps) + 1);
}

export interface AdaptiveBounds {
  min: number;
  max: number;
  /** The sizes a decision may land on, ascending, all within [min, max] (may be empty). */
  allowed: number[];
  /** The profiled step-time model (spec.throughput): decisions then maximise goodput. */
  throughput?: StepTimeParams;
}

/** The spec's `throughput` as step-time parameters, when it is usable (finite, non-negative, some cost per sample). */
export function adaptiveStepTime(spec: AdaptiveSpec): StepTimeParams | undefined {
  const t = spec.throughput;
  if (!t) return undefined;
  const p = { overheadSeconds: t.overhead_seconds, perSampleSeconds: t.per_sample_seconds, quadraticSeconds: t.per_sample_squared_seconds ?? 0 };
  const ok =
    [p.overheadSeconds, p.perSampleSeconds, p.quadraticSeconds].every((x) => Number.isFinite(x) && x >= 0) && p.perSampleSeconds + p.quadraticSeconds > 0;
  return ok ? p : undefined;
}

/** [min_batch_size, min(max_batch_size, memory ceiling, dataset)] and the allowed sizes inside it. */
export function adaptiveBounds(spec: AdaptiveSpec, ceiling: number): AdaptiveBounds {
  const max = Math.max(1, Math.min(ceiling, spec.max_batch_size ?? Infinity));
  const min = Math.min(max, Math.max(1, spec.min_batch_size ?? 1));
  const pool = spec.allowed && spec.allowed.length > 0 ? spec.allowed : powersOfTwoBetween(min, Number.isFinite(max) ? max : 2 ** 30);
  const allowed = [...new Set(pool)].filter((b) => b >= min && b <= max).sort((a, b) => a - b);
  const throughput = adaptiveStepTime(spec);
  return { min, max, allowed, ...(throughput ? { throughput } : {}) };
}

/** argmax over `sizes` of X(B)/(B + B_noise), X(B) = B/t(B): the goodput (Qiao et al. 2021). */
export function goodputBatchSize(p: StepTimeParams, noiseScale: number, sizes: readonly number[]): number | undefined {
  let best: number | undefined;
  let bestG = -Infinity;
  for (const b of sizes) {
    const g = modelThroughput(p, b) / (b + noiseScale);
    if (g > bestG) {
      bestG = g;
      best = b;
    }
  }
  return best;
}

/** Sizes a goodput decision searches when no list is allowed: powers of two and the bounds themselves. */
function searchSizes(bounds: AdaptiveBounds): number[] {
  if (bounds.allowed.length > 0) return bounds.allowed;
  const hi = Number.isFinite(bounds.max) ? bounds.max : 2 ** 30;
  return [...new Set([bounds.min, ...powersOfTwoBetween(bounds.min, hi), hi])];
}

/**
 * One decision: with a throughput model, the allowed size of highest goodput; without, B_noise
 * rounded to the nearest allowed size (in log space). Clamped to the bounds, and never below the
 * current size unless shrinking is allowed. An unusable estimate (none yet, or |G|^2 <= 0 after
 * smoothing) keeps the current size: acting on noise would make the batch jump around.
 */
export function adaptiveDecision(noiseScale: number | undefined, current: number, bounds: AdaptiveBounds, allowShrink: boolean): number {
  if (noiseScale === undefined || !Number.isFinite(noiseScale) || noiseScale <= 0) return current;
  let target: number;
  if (bounds.throughput) target = goodputBatchSize(bounds.throughput, noiseScale, searchSizes(bounds)) ?? current;
  else
    target =
      bounds.allowed.length > 0
        ? nearestAllowedSize(clampSize(noiseScale, bounds.min, bounds.max), bounds.allowed)
        : Math.round(clampSize(noiseScale, bounds.min, bounds.max));
  return allowShrink ? target : Math.max(current, target);
}

/** The first batch size: the config's, within the bounds (not rounded: the person chose it). */
export function adaptiveInitialSize(baseBatchSize: number, bounds: AdaptiveBounds): number {
  return clampSize(baseBatchSize, bounds.min, bounds.max);
}
