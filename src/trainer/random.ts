// Seeded randomness for the trainer: the same seed gives the same data, shuffles and weights.

import { seededRandom, type SeededRandom } from '../core/tuner/stats';

export type { SeededRandom };

/** The trainer's PRNG: the shared mulberry32 generator, its seed mixed so that seed 0 is not degenerate. */
export function createRng(seed: number): SeededRandom {
  return seededRandom((Math.floor(seed) >>> 0) ^ 0x9e3779b9);
}

/** The generator a checkpoint saved (`rng.state()`), continuing exactly where it stopped. */
export function rngFromState(state: number): SeededRandom {
  return seededRandom(state);
}

/** Standard normal draw by the Box-Muller transform. */
export function normal(rng: () => number): number {
  const u = 1 - rng();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng());
}

/** Fisher-Yates shuffle of 0..n-1. */
export function permutation(n: number, rng: () => number): Int32Array {
  const p = new Int32Array(n);
  for (let i = 0; i < n; i++) p[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    const t = p[i];
    p[i] = p[j];
    p[j] = t;
  }
  return p;
}
