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
  const fit = linearFit(ok.map((p) => p.batchSize), ok.map((p) => p.peakMemoryBytes));
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
