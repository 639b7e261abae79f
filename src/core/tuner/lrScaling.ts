// Learning rate for another batch size, scaled from the config's (batch, lr).
import type { LrRule } from '../types';

/** Every learning-rate scaling rule, in the order menus show them. The one list of them. */
export const LR_RULES: readonly LrRule[] = ['linear', 'sqrt', 'none'];

export function isLrRule(x: unknown): x is LrRule {
  return typeof x === 'string' && (LR_RULES as readonly string[]).includes(x);
}

/**
 * linear: lr * B/B0 (Goyal et al. 2017, "Accurate, Large Minibatch SGD"), for SGD/momentum;
 * sqrt: lr * sqrt(B/B0) (Krizhevsky 2014; Malladi et al. 2022 for Adam's square-root rule);
 * none: unchanged.
 */
export function scaleLearningRate(baseLr: number, baseBatch: number, batchSize: number, rule: LrRule): number {
  const r = batchSize / baseBatch;
  switch (rule) {
    case 'linear':
      return baseLr * r;
    case 'sqrt':
      return baseLr * Math.sqrt(r);
    case 'none':
      return baseLr;
  }
}

/** Square root for adaptive optimizers (Adam family), linear for plain/momentum SGD. */
export function defaultLrRule(optimizer: string): LrRule {
  const o = optimizer.toLowerCase();
  if (/sgd|momentum|nesterov/.test(o) && !/adam/.test(o)) return 'linear';
  return 'sqrt';
}
