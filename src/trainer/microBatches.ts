// How many micro-batches one optimizer step is split into. One split serves two purposes:
//  - gradient accumulation (TrialSpec.accumulationSteps = k): memory follows the micro-batch
//    B/k, so the split may be finer than k but never coarser;
//  - the gradient-noise statistics (TrialSpec.microBatches, or a schedule that steers by them):
//    any split into >= 2 equal parts gives them, so the split may be coarser than asked.
// Accumulation wins when both are set: its micro-batches give the statistics for free.
// Micro-batches are always equal-sized: the mean of equal micro-batch mean gradients is exactly
// the full-batch mean gradient (and the noise estimators assume one micro-batch size).
import type { TrialSpec } from '../core/types';

/** Micro-batches per step when the schedule needs noise statistics and the spec names none. */
export const DEFAULT_SCHEDULE_MICRO_BATCHES = 4;

export interface MicroBatchPolicy {
  /** Gradient-accumulation steps (>= 2 to accumulate). */
  accumulation: number;
  /** Micro-batches wanted for the noise statistics (>= 2 to measure). */
  statistics: number;
}

/** Largest divisor of b that is <= k (>= 1). */
export function microBatchCount(b: number, k: number): number {
  for (let d = Math.min(k, b); d > 1; d--) if (b % d === 0) return d;
  return 1;
}

/** Smallest divisor of b that is >= k (<= b): the micro-batch b/d never exceeds b/k. */
export function accumulationCount(b: number, k: number): number {
  for (let d = Math.max(1, k); d < b; d++) if (b % d === 0) return d;
  return b;
}

export function microBatchPolicy(spec: TrialSpec, scheduleNeedsStatistics: boolean): MicroBatchPolicy {
  return {
    accumulation: spec.accumulationSteps ?? 1,
    statistics: spec.microBatches ?? (scheduleNeedsStatistics ? DEFAULT_SCHEDULE_MICRO_BATCHES : 0),
  };
}

/** Micro-batches for one step of b samples (b changes when a schedule or the host moves it). */
export function microBatchesFor(b: number, p: MicroBatchPolicy): number {
  if (p.accumulation >= 2) return accumulationCount(b, p.accumulation);
  return p.statistics >= 2 ? microBatchCount(b, p.statistics) : 1;
}
