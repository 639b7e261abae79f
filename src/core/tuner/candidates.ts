// Which batch sizes to profile, and the next one to try after an out-of-memory failure.

/** Powers of two in [min, max], plus the ends themselves when they are not powers of two. */
export function powerOfTwoCandidates(min: number, max: number): number[] {
  const out = new Set<number>();
  if (min <= max) out.add(min);
  for (let b = 1; b <= max; b *= 2) if (b >= min) out.add(b);
  if (min <= max) out.add(max);
  return [...out].sort((a, b) => a - b);
}

/**
 * The next batch size of a bisection between the last success and the first failure (as
 * PyTorch Lightning's BatchSizeFinder `binsearch` mode), rounded to a multiple of `multiple`
 * (the micro-batch count). Undefined once the gap is within `relTolerance` of the success.
 */
export function nextBisection(lastOk: number, firstFail: number, multiple = 1, relTolerance = 1 / 16): number | undefined {
  if (firstFail - lastOk <= Math.max(multiple, lastOk * relTolerance)) return undefined;
  const mid = Math.round((lastOk + firstFail) / 2 / multiple) * multiple;
  if (mid <= lastOk || mid >= firstFail) return undefined;
  return mid;
}
