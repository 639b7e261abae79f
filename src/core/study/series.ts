// Down-sampled step/eval series kept with each trial in the study file: enough for charts
// (loss vs samples / wall-clock, memory) while the file stays small.
import type { EvalMetrics, StepMetrics } from '../types';
import type { TrialSeries } from './types';

export const MAX_SERIES_POINTS = 200;

/** Every k-th point (always keeping the last), k chosen so at most `max` points remain. */
export function downsample<T>(points: readonly T[], max = MAX_SERIES_POINTS): T[] {
  if (points.length <= max) return [...points];
  const k = Math.ceil(points.length / max);
  const out: T[] = [];
  for (let i = 0; i < points.length; i += k) out.push(points[i]);
  if (out[out.length - 1] !== points[points.length - 1]) out.push(points[points.length - 1]);
  return out;
}

export function trialSeries(steps: readonly StepMetrics[], evals: readonly EvalMetrics[], max = MAX_SERIES_POINTS): TrialSeries {
  return {
    steps: downsample(steps, max).map((s) => {
      const p: TrialSeries['steps'][number] = { step: s.step, samples: s.samples, time: s.time, loss: s.loss, samplesPerSecond: s.samplesPerSecond };
      if (s.peakMemoryBytes !== undefined) p.peakMemoryBytes = s.peakMemoryBytes;
      return p;
    }),
    evals: downsample(evals, max),
  };
}
