// Phase 2, noise scale: B_noise from the micro-batch and full-batch gradient norms the profile
// trials reported (McCandlish et al. 2018, appendix A), pooled over their steps, with a seeded
// bootstrap interval, and its history from the longest trial as its loss falls.
import type { NoiseScaleEstimate } from '../types';
import { estimateNoiseScale, noiseSamplesFromSteps } from '../tuner/noiseScale';
import type { CompletedTrial } from './context';

export function estimateStudyNoiseScale(trials: readonly CompletedTrial[], opts: { seed: number; datasetSize: number }): NoiseScaleEstimate | undefined {
  const perTrial = trials.map((t) => noiseSamplesFromSteps(t.result.steps));
  const pooled = perTrial.flat();
  // The longest run of steps shows B_noise growing as training progresses.
  const longest = perTrial.reduce<typeof pooled>((a, b) => (b.length > a.length ? b : a), []);
  // B_noise cannot usefully exceed the dataset: a batch that large is full-batch gradient descent.
  return estimateNoiseScale(pooled, { seed: opts.seed, cap: opts.datasetSize, historySamples: longest, windows: 6 });
}
