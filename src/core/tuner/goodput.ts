// Goodput and time to target. Steps to a target loss follow S(B) ~ S_min (1 + B_noise/B)
// (McCandlish et al. 2018, eq. 2.11), so wall time T(B) = S(B) B / X(B) ~ S_min (B + B_noise) / X(B).
// Maximising X(B) / (B + B_noise) minimises T: the goodput of Pollux (Qiao et al., OSDI '21),
// throughput times statistical efficiency.

/** X(B) / (B + B_noise). */
export function goodput(samplesPerSecond: number, batchSize: number, noiseScale: number): number {
  return samplesPerSecond / (batchSize + noiseScale);
}

/** T(B) ~ S_min (B + B_noise) / X(B), seconds (McCandlish et al. 2018, eq. 2.11 times B/X). */
export function timeToTarget(minSteps: number, samplesPerSecond: number, batchSize: number, noiseScale: number): number {
  return (minSteps * (batchSize + noiseScale)) / samplesPerSecond;
}

/** S_min from a measured S(B) steps to the target at batch B: S_min = S(B) / (1 + B_noise/B). */
export function minStepsFrom(stepsAtBatch: number, batchSize: number, noiseScale: number): number {
  return stepsAtBatch / (1 + noiseScale / batchSize);
}

/** The candidate with the highest goodput among those that fit; undefined when none does. */
export function goodputArgmax<T extends { batchSize: number; samplesPerSecond: number; fits: boolean }>(
  candidates: readonly T[],
  noiseScale: number,
): T | undefined {
  let best: T | undefined;
  let bestG = -Infinity;
  for (const c of candidates) {
    if (!c.fits || !(c.samplesPerSecond > 0)) continue;
    const g = goodput(c.samplesPerSecond, c.batchSize, noiseScale);
    if (g > bestG) {
      bestG = g;
      best = c;
    }
  }
  return best;
}
