// The critical batch size at one point of a run, from branched trials (Merrill, Arora, Groeneveld,
// Hajishirzi 2025, "Critical Batch Size Revisited", arXiv:2505.23971, sec. 3): from one checkpoint,
// branches at k x B (k = 1, 2, 4, ...) each train the SAME number of samples, the learning rate
// scaled by the lr rule; CBS = the largest branch size whose smoothed final loss stays within a
// relative tolerance of the k = 1 branch. Below the CBS a larger batch costs no extra samples, so
// it trains in proportionally fewer steps; above it, samples are wasted (Shallue et al. 2019,
// "Measuring the Effects of Data Parallelism", perfect-scaling regime and its end).

/** Relative loss excess over the k = 1 branch that still counts as "the same loss" (2%). */
export const CBS_TOLERANCE = 0.02;
/** The smoothed loss of a branch is its mean over this last fraction of the branch's samples. */
export const BRANCH_SMOOTHING_FRACTION = 0.25;

/** One branch's smoothed final loss (NaN when it diverged or reported none). */
export interface BranchLoss {
  batchSize: number;
  seed: number;
  loss: number;
}

export interface CriticalBatchEstimate {
  /** The CBS from the loss relative to k = 1 averaged over seeds. */
  value: number;
  /** Smallest and largest per-seed CBS (with `value`): the spread between seeds. */
  low: number;
  high: number;
  /** Per branch size: mean over seeds of loss / loss(k = 1) of the same seed. */
  branches: Array<{ batchSize: number; relativeLoss: number; seeds: number }>;
  /** The largest size tried stayed within the tolerance: the CBS is at least `value`, maybe more. */
  atLeast: boolean;
}

/**
 * Mean of a piecewise-linear curve over the last `fraction` of [from, to] (trapezoids; the curve is
 * held flat outside its points). A curve with one point in reach gives that point. A centred
 * mean over the branch's end: less noisy than its last value, and the same window for every size.
 */
export function smoothedFinalLoss(
  curve: ReadonlyArray<{ samples: number; loss: number }>,
  from: number,
  to: number,
  fraction = BRANCH_SMOOTHING_FRACTION,
): number {
  const pts = curve.filter((p) => Number.isFinite(p.loss) && p.samples > from && p.samples <= to).sort((a, b) => a.samples - b.samples);
  if (pts.length === 0) return NaN;
  const start = to - fraction * (to - from);
  const at = (x: number): number => {
    if (x <= pts[0].samples) return pts[0].loss;
    for (let i = 1; i < pts.length; i++) {
      if (x <= pts[i].samples) {
        const p = pts[i - 1];
        const q = pts[i];
        return p.loss + ((x - p.samples) / (q.samples - p.samples)) * (q.loss - p.loss);
      }
    }
    return pts[pts.length - 1].loss;
  };
  const xs = [start, ...pts.map((p) => p.samples).filter((x) => x > start && x < to), to];
  let area = 0;
  for (let i = 1; i < xs.length; i++) area += ((at(xs[i - 1]) + at(xs[i])) / 2) * (xs[i] - xs[i - 1]);
  return xs[xs.length - 1] > xs[0] ? area / (xs[xs.length - 1] - xs[0]) : at(to);
}

/** Largest size of the contiguous run from the smallest whose relative loss is within 1 + tolerance. */
function largestWithin(sizes: readonly number[], rel: (b: number) => number, tolerance: number): number {
  let cbs = sizes[0];
  for (const b of sizes.slice(1)) {
    const r = rel(b);
    if (!(r <= 1 + tolerance)) break;
    cbs = b;
  }
  return cbs;
}

/**
 * The CBS from branch losses. `reference` is the k = 1 branch size. Per seed, each size's loss is
 * divided by that seed's k = 1 loss; the CBS is the largest size of the unbroken run from k = 1
 * within 1 + tolerance (a size that fails ends the run: a later pass is noise). `value` reads the
 * relative losses averaged over seeds; low/high span the per-seed answers. Undefined when no
 * seed has a finite k = 1 loss.
 */
export function criticalBatchSize(branches: readonly BranchLoss[], reference: number, tolerance = CBS_TOLERANCE): CriticalBatchEstimate | undefined {
  const refBySeed = new Map<number, number>();
  for (const b of branches) if (b.batchSize === reference && Number.isFinite(b.loss) && b.loss > 0) refBySeed.set(b.seed, b.loss);
  if (refBySeed.size === 0) return undefined;
  const sizes = [...new Set(branches.map((b) => b.batchSize).filter((b) => b >= reference))].sort((a, b) => a - b);
  const relOf = (b: number, seed: number): number => {
    const x = branches.find((r) => r.batchSize === b && r.seed === seed);
    const ref = refBySeed.get(seed);
    return x && ref !== undefined && Number.isFinite(x.loss) ? x.loss / ref : NaN;
  };
  const seeds = [...refBySeed.keys()];
  const table = sizes.map((b) => {
    const rs = seeds.map((s) => relOf(b, s));
    const finite = rs.filter(Number.isFinite);
    // A branch that diverged or never ran (NaN) fails for every seed: the CBS cannot claim a size not shown to train.
    return {
      batchSize: b,
      relativeLoss: finite.length === rs.length && finite.length > 0 ? finite.reduce((a, r) => a + r, 0) / finite.length : NaN,
      seeds: finite.length,
    };
  });
  const mean = (b: number) => table.find((t) => t.batchSize === b)?.relativeLoss ?? NaN;
  const value = largestWithin(sizes, mean, tolerance);
  const perSeed = seeds.map((s) => largestWithin(sizes, (b) => relOf(b, s), tolerance));
  return {
    value,
    low: Math.min(value, ...perSeed),
    high: Math.max(value, ...perSeed),
    branches: table,
    atLeast: value === sizes[sizes.length - 1] && sizes.length > 1,
  };
}

/** What `method` says of a point, so a reader knows how its number was made. */
export function criticalBatchMethod(o: {
  tolerance: number;
  lossSource: 'validation' | 'training';
  branchSamples: number;
  seeds: number;
  atLeast: boolean;
  largest: number;
  tried?: readonly number[];
}): string {
  const loss = o.lossSource === 'validation' ? 'validation loss (fixed evaluation set)' : 'training loss (no validation loss was reported)';
  const seeds = o.seeds > 1 ? `${o.seeds} seeds; low/high span the per-seed answers` : 'one seed, so low = high: no interval';
  const tried = o.tried ? `; sizes tried by bisection (${[...o.tried].sort((a, b) => a - b).join(', ')}), taking the loss excess to grow with the batch` : '';
  const censored = o.atLeast ? `; the largest branch tried (${o.largest}) stayed within it, so the CBS is at least that` : '';
  return (
    `branches of ${Math.round(o.branchSamples)} samples each at k x B; ${loss} averaged over the last ${Math.round(BRANCH_SMOOTHING_FRACTION * 100)}% of each branch's samples; ` +
    `CBS = the largest size whose loss is within ${(o.tolerance * 100).toFixed(1)}% of the k = 1 branch (unbroken from k = 1)${tried}; ${seeds}${censored}`
  );
}
