// The near-optimal band: every batch size whose predicted time to the target is within 10% of the
// best, given what is uncertain. Time to target T(B) = S_min (B + B_noise) / X(B) (McCandlish et
// al. 2018, eq. 2.11 times B/X); S_min cancels in ratios, so the band needs only X(B) and B_noise.
// Uncertainty enters as joint draws (a bootstrap draw of the throughput model with a draw of
// B_noise): a size is in the band unless the draws exclude it, i.e. it is within the tolerance of
// that draw's best in at least `plausibility` of the draws.
import type { NoiseScaleEstimate } from '../types';
import { seededRandom } from './stats';

/** Within this fraction of the best predicted time: near-optimal (the 10%). */
export const BAND_TOLERANCE = 0.1;
/** A size stays in the band while at least this share of the draws put it within the tolerance. */
export const BAND_PLAUSIBILITY = 0.1;

export interface TimeDraw {
  /** Samples per second at a batch size. */
  throughput: (batchSize: number) => number;
  noiseScale: number;
}

/** T(B) / S_min = (B + B_noise) / X(B), seconds per unit of S_min. */
export function relativeTime(draw: TimeDraw, batchSize: number): number {
  const x = draw.throughput(batchSize);
  return x > 0 ? (batchSize + draw.noiseScale) / x : Infinity;
}

export interface Band {
  low: number;
  high: number;
  /** The sizes in the band, ascending. */
  sizes: number[];
  /** Per size: the share of draws in which it was within the tolerance of that draw's best. */
  share: Map<number, number>;
}

/** The band over `sizes` (the point estimate's own near-optimal sizes are always in it). */
export function nearOptimalBand(
  sizes: readonly number[],
  point: TimeDraw,
  draws: readonly TimeDraw[],
  tolerance = BAND_TOLERANCE,
  plausibility = BAND_PLAUSIBILITY,
): Band | undefined {
  const bs = [...new Set(sizes)].sort((a, b) => a - b);
  if (bs.length === 0) return undefined;
  const within = (d: TimeDraw) => {
    const t = bs.map((b) => relativeTime(d, b));
    const best = Math.min(...t);
    return t.map((x) => Number.isFinite(x) && x <= (1 + tolerance) * best);
  };
  const base = within(point);
  const counts = bs.map(() => 0);
  for (const d of draws) within(d).forEach((ok, i) => (counts[i] += ok ? 1 : 0));
  const share = new Map(bs.map((b, i) => [b, draws.length > 0 ? counts[i] / draws.length : base[i] ? 1 : 0]));
  const members = bs.filter((b, i) => base[i] || (draws.length > 0 && counts[i] / draws.length >= plausibility));
  if (members.length === 0) return undefined;
  return { low: members[0], high: members[members.length - 1], sizes: members, share };
}

/** Standard normal from two uniforms (Box & Muller 1958). */
function gaussian(rand: () => number): number {
  const u = Math.max(rand(), 1e-12);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rand());
}

/** z of the 95th percentile: a 90% interval spans +-1.645 sd. */
const Z90 = 1.6448536;

/**
 * Draws of B_noise matching its 90% interval: log-normal on each side of the point estimate (a
 * "split" log-normal, so an asymmetric interval keeps its shape). Seeded.
 */
export function noiseScaleDraws(est: Pick<NoiseScaleEstimate, 'value' | 'low' | 'high'>, n: number, seed = 1): number[] {
  const rand = seededRandom(seed);
  const v = Math.max(est.value, 1e-9);
  const lo = Math.log(v / Math.max(Math.min(est.low, v), v / 1e3)) / Z90;
  const hi = Math.log(Math.max(est.high, v) / v) / Z90;
  return Array.from({ length: n }, () => {
    const z = gaussian(rand);
    return v * Math.exp(z * (z < 0 ? lo : hi));
  });
}

/** Draws of an unknown B_noise: log-uniform over [low, high] (nothing favours one scale). */
export function logUniformDraws(low: number, high: number, n: number, seed = 1): number[] {
  const rand = seededRandom(seed);
  return Array.from({ length: n }, () => Math.exp(Math.log(low) + rand() * (Math.log(high) - Math.log(low))));
}
