// Slider mappings. A batch size spans 1 (SGD) to the dataset size (full batch): four or five
// decades, so the slider moves on a log2 scale in half-octave steps whose values are the sizes
// people actually use (powers of two and 1.5x powers of two). Pure: unit-tested in node.

/** Slider position (log2 units, step 0.5) of a batch size. */
export function batchToPosition(batchSize: number): number {
  return Math.log2(Math.max(1, batchSize));
}

/** The slider's upper end for a dataset of `maxBatch` samples: the half-octave at or above log2(max). */
export function maxPosition(maxBatch: number): number {
  return Math.ceil(Math.log2(Math.max(1, maxBatch)) * 2) / 2;
}

/**
 * Batch size at slider position `p`: 2^k on whole octaves, 1.5*2^k half-way (log2 1.5 ~ 0.585),
 * clamped to [1, maxBatch]; the last position is exactly full batch.
 */
export function positionToBatch(p: number, maxBatch: number): number {
  const max = Math.max(1, Math.floor(maxBatch));
  if (p >= Math.log2(max) - 1e-9) return max;
  if (p <= 0) return 1;
  const k = Math.floor(p);
  const frac = p - k;
  const value = frac < 0.25 ? 2 ** k : frac >= 0.75 ? 2 ** (k + 1) : Math.round(1.5 * 2 ** k);
  return Math.min(max, Math.max(1, value));
}

export type BatchRegime = 'sgd' | 'mini-batch' | 'full-batch';

/** What a batch size means for the optimizer: one sample (SGD), all of them, or in between. */
export function batchRegime(batchSize: number, datasetSize: number): BatchRegime {
  if (batchSize <= 1) return 'sgd';
  if (batchSize >= datasetSize) return 'full-batch';
  return 'mini-batch';
}

/** Powers of two between 1 and max to label under a log2 slider, at most `maxTicks` of them. */
export function log2Ticks(max: number, maxTicks = 8): number[] {
  const top = Math.floor(Math.log2(Math.max(1, max)));
  const stride = Math.max(1, Math.ceil((top + 1) / maxTicks));
  const ticks: number[] = [];
  for (let k = 0; k <= top; k += stride) ticks.push(2 ** k);
  return ticks;
}

/** Fraction (0..1) along a log2 slider of [1, 2^maxPos] where `value` sits: for placing labels. */
export function positionFraction(value: number, maxPos: number): number {
  if (maxPos <= 0) return 0;
  return Math.min(1, Math.max(0, batchToPosition(value) / maxPos));
}

/** Memory limit slider: log2 of bytes in quarter-octave steps from 64 MiB to the machine's RAM. */
export const MIN_MEMORY_BYTES = 64 * 1024 * 1024;

export function memoryToPosition(bytes: number): number {
  return Math.log2(Math.max(MIN_MEMORY_BYTES, bytes) / MIN_MEMORY_BYTES);
}

export function positionToMemory(p: number, totalBytes: number): number {
  const max = Math.max(MIN_MEMORY_BYTES, totalBytes);
  if (p >= Math.log2(max / MIN_MEMORY_BYTES) - 1e-9) return max;
  // Round to whole MiB so the value reads cleanly and round-trips through settings.
  const bytes = MIN_MEMORY_BYTES * 2 ** Math.max(0, p);
  return Math.min(max, Math.round(bytes / 1048576) * 1048576);
}

/** Time-budget slider stops (seconds): roughly log-spaced, the values people type. */
export const BUDGET_STOPS: readonly number[] = [10, 15, 20, 30, 45, 60, 90, 120, 180, 300, 450, 600, 900, 1200, 1800, 2700, 3600, 5400, 7200, 10800, 14400];

/** Index of the stop nearest (in log terms) to `seconds`. */
export function budgetToIndex(seconds: number): number {
  let best = 0;
  for (let i = 1; i < BUDGET_STOPS.length; i++) {
    if (Math.abs(Math.log(BUDGET_STOPS[i] / seconds)) < Math.abs(Math.log(BUDGET_STOPS[best] / seconds))) best = i;
  }
  return best;
}

export function indexToBudget(i: number): number {
  return BUDGET_STOPS[Math.min(BUDGET_STOPS.length - 1, Math.max(0, Math.round(i)))];
}
