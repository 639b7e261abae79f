// One rule reconciles what the model predicts with what the convergence trials measured, and one
// rule says what the pick rests on. Both are stated here and copied into every recommendation.
import type { Basis, RecommendationBasis } from '../types';
import { BAND_TOLERANCE } from './band';

export const VERDICT_RULE =
  'measured time to target outranks the model: among the batch sizes whose every convergence run reached the target loss, the fastest measured wins ' +
  "(the steps the runs took, timed by the profiled step-time model: steps do not depend on the machine's load, a shared machine's clock does), " +
  `unless the model's pick was itself measured within ${Math.round(BAND_TOLERANCE * 100)}% of it (or within the runs' spread); ` +
  'without such measurements the model (goodput of the fitted throughput and noise scale) decides. A batch size whose run diverged (NaN/Inf or an exploding loss) is never picked.';

/** What the convergence trials measured at one batch size, summarised over its seeds. */
export interface MeasuredTime {
  batchSize: number;
  /** Mean training seconds to the target, only when every seed reached it. */
  timeToTarget?: number;
  /** Max - min over the seeds' times (0 for one seed). */
  spread: number;
  diverged: boolean;
}

export interface Verdict {
  pick: number;
  by: 'model' | 'measurement';
  /** The fastest measured batch size, when any reached the target. */
  measuredPick?: number;
  note?: string;
}

export function reconcile(modelPick: number, measured: readonly MeasuredTime[], tolerance = BAND_TOLERANCE): Verdict {
  const reached = measured.filter((m) => !m.diverged && m.timeToTarget !== undefined) as Array<MeasuredTime & { timeToTarget: number }>;
  if (reached.length === 0) return { pick: modelPick, by: 'model' };
  const best = reached.reduce((a, m) => (m.timeToTarget < a.timeToTarget ? m : a));
  const out = { measuredPick: best.batchSize };
  if (best.batchSize === modelPick)
    return {
      pick: modelPick,
      by: 'model',
      ...out,
      note: `the convergence runs confirm the model's pick ${modelPick}: it reached the target fastest (${fmt(best.timeToTarget)} s)`,
    };
  const mine = measured.find((m) => m.batchSize === modelPick);
  if (!mine)
    return {
      pick: modelPick,
      by: 'model',
      ...out,
      note: `the model's pick ${modelPick} had no convergence run; of those measured, ${best.batchSize} reached the target fastest (${fmt(best.timeToTarget)} s)`,
    };
  const t = mine.timeToTarget;
  const slack = Math.max(tolerance, (mine.spread + best.spread) / (2 * best.timeToTarget));
  if (!mine.diverged && t !== undefined && t <= best.timeToTarget * (1 + slack))
    return {
      pick: modelPick,
      by: 'model',
      ...out,
      note: `the model's pick ${modelPick} reached the target in ${fmt(t)} s, within ${Math.round(slack * 100)}% of the fastest measured (${best.batchSize}: ${fmt(best.timeToTarget)} s): it stands`,
    };
  const why = mine.diverged ? 'diverged' : t === undefined ? 'did not reach the target in every run' : `took ${fmt(t)} s`;
  return {
    pick: best.batchSize,
    by: 'measurement',
    ...out,
    note: `the model picked ${modelPick}, which ${why}; ${best.batchSize} reached the target in ${fmt(best.timeToTarget)} s: the measurement wins`,
  };
}

/**
 * What the pick rests on. throughput: fitted (the step-time model), measured (points only, no
 * model), assumed (nothing measured). noiseScale: measured (gradient statistics), fitted (loss
 * curves), assumed. convergence: measured (the pick's runs reached the target), fitted (a
 * reference run's steps to the target scaled by S(B)), assumed (no run reached a target).
 */
export function basisOf(o: {
  throughputModel: boolean;
  throughputPoints: number;
  noiseScale?: 'gradient-statistics' | 'loss-curves';
  pickReachedTarget: boolean;
  referenceReachedTarget: boolean;
}): RecommendationBasis {
  const throughput: Basis = o.throughputModel ? 'fitted' : o.throughputPoints > 0 ? 'measured' : 'assumed';
  const noiseScale: Basis = o.noiseScale === 'gradient-statistics' ? 'measured' : o.noiseScale === 'loss-curves' ? 'fitted' : 'assumed';
  const convergence: Basis = o.pickReachedTarget ? 'measured' : o.referenceReachedTarget ? 'fitted' : 'assumed';
  return { throughput, noiseScale, convergence };
}

/** True when nothing the speed-up depends on is assumed. */
export function speedupIsSupported(b: RecommendationBasis): boolean {
  return b.throughput !== 'assumed' && b.noiseScale !== 'assumed' && b.convergence !== 'assumed';
}

function fmt(x: number): string {
  return x.toPrecision(3);
}
