// How the learning rate co-scales when a schedule moves the batch size away from the base
// (B0, lr0) the person tuned: linear/sqrt/none from the tuner, plus AdaScale from measured statistics.
import type { LrRule } from '../types';
import { scaleLearningRate } from '../tuner/lrScaling';

/**
 * AdaScale's gain ratio (Johnson et al. 2020, "AdaScale SGD: A User-Friendly Algorithm for
 * Distributed Training", ICML, eq. 3 / Def. 2.1): for scale S,
 *   r = (sigma^2 + mu^2) / (sigma^2/S + mu^2),
 * where sigma^2 = E|g - grad L|^2 is the variance of ONE base-size batch gradient and
 * mu^2 = |grad L|^2. For batch size B0 with per-sample covariance Sigma, sigma^2 = tr(Sigma)/B0,
 * and S = B/B0. The gain lies in [1, S]: r -> 1 when sigma^2 -> 0 (no noise to average away,
 * a larger batch buys nothing), r -> S when mu^2 -> 0 (pure noise, linear scaling is right).
 */
export function adaScaleGain(scale: number, sigmaSq: number, muSq: number): number {
  if (!(scale > 0)) throw new RangeError(`AdaScale scale S must be > 0 (got ${scale})`);
  const num = sigmaSq + muSq;
  const den = sigmaSq / scale + muSq;
  if (!(den > 0) || !Number.isFinite(num / den)) return scale >= 1 ? 1 : scale; // no information: take the safe end
  return num / den;
}

/**
 * AdaScale's gain written with the per-sample quantities the trainer measures:
 * sigma^2 = tr(Sigma)/B0, mu^2 = |G|^2; equivalently r = (B/B0)*(B0 + B_noise)/(B + B_noise).
 */
export function adaScaleFactor(batchSize: number, baseBatchSize: number, traceSigma: number, gradSqNorm: number): number {
  const sigmaSq = Math.max(0, traceSigma) / baseBatchSize;
  const muSq = Math.max(0, gradSqNorm);
  return adaScaleGain(batchSize / baseBatchSize, sigmaSq, muSq);
}

export interface GradientStatistics {
  traceSigma: number;
  gradSqNorm: number;
}

/**
 * The learning rate for batch size B given the base pair (B0, lr0) and the rule. AdaScale needs
 * the gradient statistics; until they exist it keeps lr0 (r = 1, the gain's lower bound: never
 * larger steps than evidence supports).
 */
export function scaledLearningRate(
  rule: LrRule | 'adascale',
  batchSize: number,
  base: { batchSize: number; learningRate: number },
  stats?: GradientStatistics,
): number {
  if (batchSize === base.batchSize) return base.learningRate;
  switch (rule) {
    case 'linear':
    case 'sqrt':
    case 'none':
      // linear lr*B/B0 (Goyal et al. 2017), sqrt lr*sqrt(B/B0) (Krizhevsky 2014): the tuner's rules.
      return scaleLearningRate(base.learningRate, base.batchSize, batchSize, rule);
    case 'adascale':
      return stats ? base.learningRate * adaScaleFactor(batchSize, base.batchSize, stats.traceSigma, stats.gradSqNorm) : base.learningRate;
  }
}
