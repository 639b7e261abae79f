// `linear_ramp`: grow the batch linearly in samples seen, from `from` to `to` over `over_samples`,
// as large language models warm up their batch size (GPT-3, Brown et al. 2020, appendix B:
// "gradually increase the batch size linearly from a small value (32k tokens) to the full value
// over the first 4-12 billion tokens").
//
// Rounding: sizes strictly between the ends are rounded to the nearest multiple of `round_to`
// (default 8: what accelerators tile well) and kept within [from, to]; the first step uses
// exactly `from` and every step from `over_samples` on uses exactly `to`, even when they are not
// multiples of `round_to`. The sequence never decreases.
import type { BatchScheduleSpec } from '../types';
import { roundToMultiple } from './batchSizes';

type RampSpec = Extract<BatchScheduleSpec, { kind: 'linear_ramp' }>;

export const DEFAULT_RAMP_ROUNDING = 8;

/** The unrounded ramp: from + (to - from) * min(1, samples / over_samples). */
export function linearRampValue(from: number, to: number, overSamples: number, samples: number): number {
  if (overSamples <= 0 || samples >= overSamples) return to;
  return from + ((to - from) * Math.max(0, samples)) / overSamples;
}

export function linearRampBatchSize(spec: RampSpec, samplesSeen: number, ceiling: number): number {
  const { from, to, over_samples } = spec;
  let b: number;
  if (samplesSeen <= 0) b = from;
  else if (samplesSeen >= over_samples) b = to;
  else {
    const lo = Math.min(from, to);
    const hi = Math.max(from, to);
    b = roundToMultiple(linearRampValue(from, to, over_samples, samplesSeen), spec.round_to ?? DEFAULT_RAMP_ROUNDING, lo, hi);
  }
  return Math.max(1, Math.min(ceiling, b));
}
