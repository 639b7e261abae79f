// Throughput X(B): samples per second over the measured (post-warm-up) steps of a trial.
import type { StepMetrics } from '../types';
import { median, quantile } from './stats';

export interface ThroughputSummary {
  /** Median samples/s: robust to the odd slow step (GC, a neighbour's process). */
  samplesPerSecond: number;
  /** Interquartile range [q1, q3] of samples/s. */
  iqr: [number, number];
  /** Median step time, ms. */
  stepTimeMs: number;
  measuredSteps: number;
}

/** Steps excluded from throughput by default: the first steps compile kernels and warm caches. */
export const DEFAULT_WARMUP_STEPS = 2;

export function summarizeThroughput(steps: readonly StepMetrics[], warmupSteps: number): ThroughputSummary | undefined {
  let measured = steps.filter((s) => s.step > warmupSteps && Number.isFinite(s.samplesPerSecond) && s.samplesPerSecond > 0);
  // A trial too short to have post-warm-up steps still says something: use what there is.
  if (measured.length === 0) measured = steps.filter((s) => Number.isFinite(s.samplesPerSecond) && s.samplesPerSecond > 0).slice(-1);
  if (measured.length === 0) return undefined;
  const xs = measured.map((s) => s.samplesPerSecond);
  return {
    samplesPerSecond: median(xs),
    iqr: [quantile(xs, 0.25), quantile(xs, 0.75)],
    stepTimeMs: median(measured.map((s) => s.stepTimeMs)),
    measuredSteps: measured.length,
  };
}

/**
 * Throughput has saturated when each of the last `times` doublings of B gained less than
 * `minGain` (default 5%): larger batches only cost memory and statistical efficiency.
 */
export function throughputSaturated(points: ReadonlyArray<{ batchSize: number; samplesPerSecond: number }>, minGain = 0.05, times = 2): boolean {
  const p = [...points].sort((a, b) => a.batchSize - b.batchSize);
  if (p.length < times + 1) return false;
  for (let i = p.length - times; i < p.length; i++) {
    const gain = p[i].samplesPerSecond / p[i - 1].samplesPerSecond - 1;
    // Scale the 5%-per-doubling rule to the actual ratio between neighbours (bisection points are closer).
    const doublings = Math.log2(p[i].batchSize / p[i - 1].batchSize);
    if (gain >= minGain * Math.max(doublings, 1e-9) && gain >= 0) return false;
  }
  return true;
}

/** X(B) at a batch size between measured ones: linear interpolation in log2(B) (flat outside). */
export function interpolateThroughput(points: ReadonlyArray<{ batchSize: number; samplesPerSecond: number }>, batchSize: number): number | undefined {
  const p = [...points].filter((q) => q.samplesPerSecond > 0).sort((a, b) => a.batchSize - b.batchSize);
  if (p.length === 0) return undefined;
  if (batchSize <= p[0].batchSize) return p[0].samplesPerSecond;
  if (batchSize >= p[p.length - 1].batchSize) return p[p.length - 1].samplesPerSecond;
  for (let i = 1; i < p.length; i++) {
    if (batchSize <= p[i].batchSize) {
      const t = (Math.log2(batchSize) - Math.log2(p[i - 1].batchSize)) / (Math.log2(p[i].batchSize) - Math.log2(p[i - 1].batchSize));
      return p[i - 1].samplesPerSecond + t * (p[i].samplesPerSecond - p[i - 1].samplesPerSecond);
    }
  }
  return undefined;
}

/**
 * Steps of a time-bounded profile trial that measure throughput: after a warm-up of at least
 * `warmupSteps` and 30% of the steps (the wasm backend keeps compiling for tens of steps),
 * keeping at least two when there are.
 */
function measuredSteps(steps: readonly StepMetrics[], warmupSteps: number): StepMetrics[] {
  const valid = steps.filter((s) => Number.isFinite(s.stepTimeMs) && s.stepTimeMs > 0);
  const skip = Math.min(Math.max(warmupSteps, Math.floor(0.3 * valid.length)), Math.max(0, valid.length - 2));
  return valid.slice(skip);
}

/**
 * Throughput of a time-bounded profile trial: median of per-step samples/s (robust to pauses a
 * shared machine inserts, which are not the batch size's doing) over the measured steps.
 */
export function measuredThroughput(steps: readonly StepMetrics[], warmupSteps: number): ThroughputSummary | undefined {
  const measured = measuredSteps(steps, warmupSteps);
  if (measured.length === 0) return undefined;
  const rates = measured.map((s) => s.batchSize / (s.stepTimeMs / 1000));
  return {
    samplesPerSecond: median(rates),
    iqr: [quantile(rates, 0.25), quantile(rates, 0.75)],
    stepTimeMs: median(measured.map((s) => s.stepTimeMs)),
    measuredSteps: measured.length,
  };
}

/** One short window of consecutive measured steps: the observation the step-time model is fitted to. */
export interface StepTimeWindow {
  batchSize: number;
  /** Mean seconds per step over the window (total time / steps: what training pays, pauses included). */
  stepSeconds: number;
  steps: number;
  /** The trial it came from: windows of one trial share its machine state and are resampled together. */
  group: string;
  /** Profile round (1: ascending, 2: descending). */
  round?: number;
}

/** Most windows a trial is cut into; each keeps at least `MIN_WINDOW_STEPS` steps. */
export const MAX_WINDOWS_PER_TRIAL = 6;
export const MIN_WINDOW_STEPS = 2;

/**
 * The measured steps of one trial cut into up to MAX_WINDOWS_PER_TRIAL windows of equal step
 * counts. Several short windows per size, rather than one median, let the fit see (and bound) the
 * spread a shared machine adds (RECIPES.md section 7).
 */
export function stepTimeWindows(steps: readonly StepMetrics[], warmupSteps: number, group: string, round?: number): StepTimeWindow[] {
  const measured = measuredSteps(steps, warmupSteps);
  if (measured.length === 0) return [];
  const k = Math.max(1, Math.min(MAX_WINDOWS_PER_TRIAL, Math.floor(measured.length / MIN_WINDOW_STEPS)));
  const out: StepTimeWindow[] = [];
  for (let w = 0; w < k; w++) {
    const part = measured.slice(Math.floor((w * measured.length) / k), Math.floor(((w + 1) * measured.length) / k));
    if (part.length === 0) continue;
    const seconds = part.reduce((a, s) => a + s.stepTimeMs, 0) / 1000;
    out.push({ batchSize: part[0].batchSize, stepSeconds: seconds / part.length, steps: part.length, group, ...(round !== undefined ? { round } : {}) });
  }
  return out;
}
