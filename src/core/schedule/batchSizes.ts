// Rounding and clamping of batch sizes: the small pure helpers every schedule kind shares.

/** Powers of two in [lo, hi] (the default sizes an adaptive schedule may pick). */
export function powersOfTwoBetween(lo: number, hi: number): number[] {
  const out: number[] = [];
  for (let p = 1; p <= hi; p *= 2) if (p >= lo) out.push(p);
  return out;
}

/**
 * The allowed size nearest to `target` in log space (a factor of 1.4 above 256 is as far as a
 * factor of 1.4 below it: batch-size effects are multiplicative). Ties go to the smaller size.
 * `allowed` must be non-empty.
 */
export function nearestAllowedSize(target: number, allowed: readonly number[]): number {
  let best = allowed[0];
  let bestDist = Infinity;
  const t = Math.log(Math.max(target, 1e-12));
  for (const a of allowed) {
    const d = Math.abs(Math.log(a) - t);
    if (d < bestDist - 1e-12 || (Math.abs(d - bestDist) <= 1e-12 && a < best)) {
      best = a;
      bestDist = d;
    }
  }
  return best;
}

/** Nearest multiple of `multiple` (>= 1), then clamped to [lo, hi]. */
export function roundToMultiple(value: number, multiple: number, lo: number, hi: number): number {
  const m = Math.max(1, Math.floor(multiple));
  return clampSize(Math.round(value / m) * m, lo, hi);
}

export function clampSize(value: number, lo: number, hi: number): number {
  // The upper bound (memory, dataset) wins over a minimum that cannot be met.
  return Math.min(hi, Math.max(lo, value));
}

/** The largest batch any schedule may use: the spec's cap, the memory ceiling and the dataset (a full batch). */
export function batchSizeCeiling(...caps: Array<number | undefined>): number {
  let c = Infinity;
  for (const x of caps) if (x !== undefined && Number.isFinite(x) && x >= 1) c = Math.min(c, Math.floor(x));
  return c;
}
