// Peak memory vs batch size: activations grow linearly in B on top of a fixed part (weights,
// optimizer state, workspace), so peak(B) ~ a + b*B fitted by least squares predicts the largest
// batch under a limit before trying it (the same linear model DeepSpeed's autotuner uses for
// activation memory; confirmed by a real trial, and a real OOM still wins).
import { linearFit } from './stats';

export interface MemoryFit {
  a: number;
  b: number;
  r2: number;
}

export function fitMemory(points: ReadonlyArray<{ batchSize: number; peakMemoryBytes: number }>): MemoryFit | undefined {
  const ok = points.filter((p) => Number.isFinite(p.peakMemoryBytes) && p.peakMemoryBytes > 0);
  const fit = linearFit(
    ok.map((p) => p.batchSize),
    ok.map((p) => p.peakMemoryBytes),
  );
  if (!fit) return undefined;
  return fit;
}

export function predictPeakMemory(fit: MemoryFit, batchSize: number): number {
  return fit.a + fit.b * batchSize;
}

/**
 * Largest batch size predicted to stay under `limitBytes * (1 - safetyMargin)`.
 * Infinity when memory does not grow with B (b <= 0); 0 when even the fixed part is over.
 */
export function predictMaxFit(fit: MemoryFit, limitBytes: number, safetyMargin = 0.1): number {
  const usable = limitBytes * (1 - safetyMargin);
  if (fit.b <= 0) return fit.a <= usable ? Infinity : 0;
  return Math.max(0, Math.floor((usable - fit.a) / fit.b));
}

/**
 * predictMaxFit capped by what a prediction can mean: no batch holds more samples than one epoch
 * of the dataset, and none beyond the search range's largest size is ever used.
 */
export function cappedMaxFit(fit: MemoryFit, limitBytes: number, safetyMargin: number, caps: { datasetSize: number; maxBatchSize: number }): number {
  return Math.min(predictMaxFit(fit, limitBytes, safetyMargin), caps.datasetSize, caps.maxBatchSize);
}

/** A prediction reaching this multiple of the largest profiled batch is checked by a real trial. */
export const MEMORY_CHECK_FACTOR = 2;

/** The batch size to check, or undefined when the prediction stays near the measured sizes. */
export function memoryCheckSize(predictedMaxFit: number | undefined, largestProfiled: number): number | undefined {
  if (predictedMaxFit === undefined || !Number.isFinite(predictedMaxFit)) return undefined;
  return predictedMaxFit >= MEMORY_CHECK_FACTOR * largestProfiled ? Math.floor(predictedMaxFit) : undefined;
}

/** (measured - predicted) / measured: the memory fit's error at the checked size. */
export function memoryPredictionError(fit: MemoryFit, batchSize: number, measuredPeakBytes: number): number {
  return (measuredPeakBytes - predictPeakMemory(fit, batchSize)) / measuredPeakBytes;
}
