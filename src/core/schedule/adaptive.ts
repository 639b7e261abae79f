// `adaptive`: every K steps set the batch size to the measured gradient noise scale B_noise,
// the batch size at which a step's gradient noise equals its signal: below it a larger batch
// cuts steps almost proportionally, above it it mostly wastes samples (McCandlish et al. 2018,
// sec. 2.2, eq. 2.11). B_noise grows as the loss falls, so the batch grows with it.
import type { BatchScheduleSpec } from '../types';
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
}

/** [min_batch_size, min(max_batch_size, memory ceiling, dataset)] and the allowed sizes inside it. */
export function adaptiveBounds(spec: AdaptiveSpec, ceiling: number): AdaptiveBounds {
  const max = Math.max(1, Math.min(ceiling, spec.max_batch_size ?? Infinity));
  const min = Math.min(max, Math.max(1, spec.min_batch_size ?? 1));
  const pool = spec.allowed && spec.allowed.length > 0 ? spec.allowed : powersOfTwoBetween(min, Number.isFinite(max) ? max : 2 ** 30);
  const allowed = [...new Set(pool)].filter((b) => b >= min && b <= max).sort((a, b) => a - b);
  return { min, max, allowed };
}

/**
 * One decision: B_noise rounded to the nearest allowed size (in log space), clamped to the
 * bounds, and never below the current size unless shrinking is allowed. An unusable estimate
 * (none yet, or |G|^2 <= 0 after smoothing) keeps the current size: acting on noise would make
 * the batch jump around.
 */
export function adaptiveDecision(noiseScale: number | undefined, current: number, bounds: AdaptiveBounds, allowShrink: boolean): number {
  if (noiseScale === undefined || !Number.isFinite(noiseScale) || noiseScale <= 0) return current;
  const target =
    bounds.allowed.length > 0
      ? nearestAllowedSize(clampSize(noiseScale, bounds.min, bounds.max), bounds.allowed)
      : Math.round(clampSize(noiseScale, bounds.min, bounds.max));
  return allowShrink ? target : Math.max(current, target);
}

/** The first batch size: the config's, within the bounds (not rounded: the person chose it). */
export function adaptiveInitialSize(baseBatchSize: number, bounds: AdaptiveBounds): number {
  return clampSize(baseBatchSize, bounds.min, bounds.max);
}
