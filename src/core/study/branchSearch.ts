// The search for the critical batch size at every checkpoint (issue 11): first the k = 1 branch
// at each checkpoint and seed, then bisection over the point's sizes B, 2B, 4B, ... (k = 1 passes
// by definition; a size above the largest is taken to fail): each probe runs its size for every
// seed and passes when the seeds' mean loss relative to k = 1 is within the tolerance (the one
// rule, ../tuner/criticalBatch.ts). The points are searched in lockstep, one probe each per round,
// so a budget that runs short leaves every point coarser rather than some points unmeasured.
// Assumes the loss excess grows with the batch (it does on average: Merrill et al. 2025, fig. 2).
import type { TrialResult, TrialSpec } from '../types';
import type { BranchPoint } from '../tuner/branchPlan';
import { criticalBatchSize } from '../tuner/criticalBatch';
import { commonLossSource } from '../tuner/lossCurves';
import { branchLoss, type CheckpointPoint } from './branchMeasure';
import type { StudyContext } from './context';

export interface PointSearch {
  cp: CheckpointPoint;
  bp: BranchPoint;
  /** Index into bp.sizes of the largest size known to pass (0: k = 1). */
  lo: number;
  /** Index of the smallest size known to fail (bp.sizes.length: none yet). */
  hi: number;
  results: TrialResult[];
}

/** Does size `b` pass at this point: the seeds' mean loss relative to k = 1 within the tolerance? */
export function probePasses(s: PointSearch, b: number, reference: number): boolean {
  const ref = s.results.filter((r) => r.batchSize === reference && r.status === 'ok');
  const source = commonLossSource(ref);
  const from = s.cp.samples;
  const to = from + s.bp.branchSamples;
  const losses = s.results
    .filter((r) => r.batchSize === reference || r.batchSize === b)
    .map((r) => ({ batchSize: r.batchSize, seed: r.seed, loss: branchLoss(r, from, to, source) }));
  return criticalBatchSize(losses, reference)?.value === b;
}

/** The next size to try at a point (the upper middle of its open interval), or undefined when resolved. */
export function nextProbe(s: PointSearch): number | undefined {
  return s.hi - s.lo > 1 ? Math.floor((s.lo + s.hi + 1) / 2) : undefined;
}

export async function searchCriticalBatch(
  ctx: StudyContext,
  pairs: ReadonlyArray<{ cp: CheckpointPoint; bp: BranchPoint }>,
  seeds: readonly number[],
  specFor: (cp: CheckpointPoint, bp: BranchPoint, batchSize: number, seed: number) => TrialSpec,
  deadline: number,
): Promise<{ searches: PointSearch[]; cut: boolean }> {
  const B = ctx.options.currentBatchSize;
  const searches: PointSearch[] = pairs.map(({ cp, bp }) => ({ cp, bp, lo: 0, hi: bp.sizes.length, results: [] }));
  const run = async (s: PointSearch, b: number): Promise<boolean> => {
    for (let i = 0; i < seeds.length; i += ctx.settings.parallel) {
      if (ctx.aborted || ctx.elapsed() >= deadline) return false;
      const group = seeds.slice(i, i + ctx.settings.parallel).map((seed) => ctx.runTrial(specFor(s.cp, s.bp, b, seed), 'branch'));
      s.results.push(...(await Promise.all(group)).map((t) => t.result));
    }
    return true;
  };
  for (const s of searches) if (!(await run(s, B))) return { searches, cut: true };
  for (const s of searches) if (!s.results.some((r) => r.batchSize === B && r.status === 'ok')) s.hi = s.lo + 1; // no reference: nothing to search
  for (;;) {
    const open = searches.filter((s) => nextProbe(s) !== undefined);
    if (open.length === 0) return { searches, cut: false };
    for (const s of open) {
      const mid = nextProbe(s) as number;
      const b = s.bp.sizes[mid];
      if (!(await run(s, b))) return { searches, cut: true };
      if (probePasses(s, b, B)) s.lo = mid;
      else s.hi = mid;
    }
  }
}
