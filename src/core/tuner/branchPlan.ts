// How the branch phase spends its share of the budget (issue 11): where along the run the
// checkpoints go (a trunk at the current batch size B trained to a few fractions of the horizon,
// or the person's own checkpoints), which branch sizes k x B run from each, how many seeds, and
// how long each branch is. Every trial pays a start-up; the trunk and branches cost samples /
// X(batch) seconds of training. Preference: at least three points, sizes up to 8x B, two seeds;
// then as far along the run as the budget allows (said in the plan as the fraction reached).

/** Branch sizes per point at most: k = 1, 2, 4, 8, 16. */
export const MAX_BRANCH_SIZES = 5;
/** The largest branch trains at least this many optimizer steps (fewer say little about its loss). */
export const MIN_BRANCH_STEPS = 8;
/** A branch lasts this fraction of the samples seen at its checkpoint (longer later, where progress is slower). */
export const BRANCH_LENGTH_FRACTION = 0.25;
/** The trunk stops by this fraction of the horizon: later points would describe the run's last stretch only. */
export const MAX_TRUNK_FRACTION = 0.75;
/** A study-made trunk tries for its last point at least this far along the run before settling for less. */
export const WANTED_TRUNK_FRACTION = 0.5;
/** Micro-batches (for B_noise beside the CBS) slow the k = 1 branch down about this much (measured 12-35%). */
const MICRO_BATCH_SLOWDOWN = 1.35;
/** Resuming a checkpoint (read, check the fingerprint) and ~12 evaluations, per branch or trunk trial, seconds (built-in trainer). */
const RESUME_SECONDS = 0.5;
/** Start-up variance. */
const SLACK = 1.25;

export interface BranchPlanInput {
  seconds: number;
  startupSeconds: number;
  parallel: number;
  batchSize: number;
  horizonSamples: number;
  /** Largest branch size allowed (memory ceiling, dataset, search range). */
  ceiling: number;
  /** X(b), samples/s (undefined: unknown, taken as X(B)). */
  throughput: (b: number) => number | undefined;
  /** Samples at the person's own checkpoints (then no trunk is trained). */
  given?: readonly number[];
}

export interface BranchPhasePlan {
  /** Samples at each checkpoint (a trunk stops there; for given ones, theirs). */
  points: number[];
  trunk: boolean;
  /** Branch sizes k x B, ascending, k = 1 first. */
  sizes: number[];
  seeds: number;
  /** Samples each branch of a point trains (a multiple of the largest size). */
  branchSamples: number[];
  /** Last point / horizon. */
  reachedFraction: number;
  estimatedSeconds: number;
  summary: string;
}

export type BranchPlanResult = BranchPhasePlan | { skip: string };

/** Sizes B, 2B, 4B, ... up to the ceiling, and short enough that a branch of MIN_BRANCH_STEPS fits a quarter of the horizon. */
export function branchSizes(batchSize: number, ceiling: number, horizonSamples: number): number[] {
  const sizes: number[] = [];
  for (let j = 0; j < MAX_BRANCH_SIZES; j++) {
    const b = batchSize * 2 ** j;
    if (b > ceiling || (j > 0 && MIN_BRANCH_STEPS * b > horizonSamples / 4)) break;
    sizes.push(b);
  }
  return sizes;
}

/** Branch length at a checkpoint: BRANCH_LENGTH_FRACTION of its samples, >= MIN_BRANCH_STEPS at the largest size, a multiple of it. */
export function branchLength(pointSamples: number, largest: number, horizonSamples: number): number {
  const min = MIN_BRANCH_STEPS * largest;
  let n = Math.max(min, Math.ceil((BRANCH_LENGTH_FRACTION * pointSamples) / largest) * largest);
  if (pointSamples + n > horizonSamples) n = Math.max(min, Math.floor((horizonSamples - pointSamples) / largest) * largest);
  return n;
}

/** Trunk checkpoints at f H, f H/2, f H/4, ... (geometric: the CBS moves fastest early), in whole steps of B. */
export function trunkPoints(count: number, fraction: number, horizonSamples: number, batchSize: number): number[] {
  const pts: number[] = [];
  for (let i = count - 1; i >= 0; i--) pts.push(Math.max(1, Math.round((fraction * horizonSamples) / 2 ** i / batchSize)) * batchSize);
  return [...new Set(pts)];
}

function seconds(input: BranchPlanInput, points: readonly number[], sizes: readonly number[], seeds: number): number {
  const X = (b: number) => input.throughput(b) ?? input.throughput(input.batchSize) ?? 1000;
  const largest = sizes[sizes.length - 1];
  let total = 0;
  const perTrial = input.startupSeconds + RESUME_SECONDS;
  if (input.given)
    total += points.length * perTrial; // one probe each
  else total += points.length * perTrial + points[points.length - 1] / X(input.batchSize);
  let branches = 0;
  for (const u of points) {
    const n = branchLength(u, largest, input.horizonSamples);
    for (const b of sizes) branches += seeds * (perTrial + (n / X(b)) * (b === input.batchSize ? MICRO_BATCH_SLOWDOWN : 1));
  }
  return SLACK * (total + branches / Math.max(1, input.parallel));
}

type Choice = { p: number; k: number; s: number };

/**
 * (points, sizes, seeds) in order of preference, in two groups: `good` (>= 3 points, sizes to at
 * least 8x B when they fit; two seeds before one) and `degraded` (fewer sizes, then 2 points).
 */
function preferences(maxSizes: number, given: number | undefined): { good: Choice[]; degraded: Choice[] } {
  const good: Choice[] = [];
  const degraded: Choice[] = [];
  const ps = given !== undefined ? [given] : [4, 3];
  const top = Math.min(maxSizes, 4);
  for (let k = maxSizes; k >= top; k--) for (const s of [2, 1]) for (const p of ps) good.push({ p, k, s });
  // Fewer sizes before fewer points, but three sizes at two points before two sizes at three (k = 1, 2 alone says little).
  for (let k = top - 1; k >= 2; k--) {
    for (const p of ps) degraded.push({ p, k, s: 1 });
    if (given === undefined) degraded.push({ p: 2, k, s: 1 });
  }
  return { good, degraded };
}

function describe(plan: Omit<BranchPhasePlan, 'summary'>, horizonSamples: number): string {
  const where = plan.trunk
    ? `a trunk at ${plan.sizes[0]} to ${Math.round(plan.reachedFraction * 100)}% of the ${Math.round(horizonSamples).toLocaleString('en-US')}-sample horizon, checkpoints at ${plan.points.map((u) => u.toLocaleString('en-US')).join(', ')} samples`
    : `${plan.points.length} given checkpoint${plan.points.length > 1 ? 's' : ''}`;
  return `${where}; branches at ${plan.sizes.join(', ')} x ${plan.seeds} seed${plan.seeds > 1 ? 's' : ''}, ${plan.branchSamples.map((n) => n.toLocaleString('en-US')).join('/')} samples each (~${Math.round(plan.estimatedSeconds)} s)`;
}

/** The largest trunk fraction in [lowest, MAX_TRUNK_FRACTION] that fits (binary search: the cost grows with it). */
function largestFitting(fits: (f: number) => boolean, lowest: number): number {
  if (fits(MAX_TRUNK_FRACTION)) return MAX_TRUNK_FRACTION;
  let lo = lowest;
  let hi = MAX_TRUNK_FRACTION;
  for (let i = 0; i < 30; i++) {
    const mid = (lo + hi) / 2;
    if (fits(mid)) lo = mid;
    else hi = mid;
  }
  return lo;
}

/** The branch phase that fits `seconds`, or why none does (each reason says what to change). */
export function planBranchPhase(input: BranchPlanInput): BranchPlanResult {
  const B = input.batchSize;
  const H = input.horizonSamples;
  const sizes = branchSizes(B, input.ceiling, H);
  if (input.ceiling < 2 * B)
    return {
      skip: `no branch size above the current ${B} fits (largest allowed: ${input.ceiling}, from the memory ceiling, the dataset and --max), so there is nothing to compare k = 1 with`,
    };
  if (sizes.length < 2)
    return {
      skip: `the horizon (${Math.round(H)} samples) is shorter than a branch: ${MIN_BRANCH_STEPS} steps at ${2 * B} must fit in a quarter of it (${MIN_BRANCH_STEPS * 2 * B * 4} samples or more); give a longer --horizon (tuner.horizon), or train longer in the config`,
    };
  const given = input.given?.filter((u) => u < H).sort((a, b) => a - b);
  if (given && given.length === 0)
    return {
      skip: `every given checkpoint is at or past the horizon (${Math.round(H)} samples): give checkpoints from earlier in the run, or a longer --horizon`,
    };
  const firstPoint = MIN_BRANCH_STEPS * B;
  const { good, degraded } = preferences(sizes.length, given?.length);
  // A study-made trunk first tries the good choices half-way along the run, then as far as they fit, then the degraded ones.
  const passes: Array<{ choices: Choice[]; wanted: number }> = given
    ? [{ choices: [...good, ...degraded], wanted: 1 }]
    : [
        { choices: good, wanted: WANTED_TRUNK_FRACTION },
        { choices: good, wanted: 0 },
        { choices: degraded, wanted: 0 },
      ];
  for (const { choices, wanted } of passes) {
    for (const { p, k, s } of choices) {
      const use = sizes.slice(0, k);
      const pointsAt = (f: number) => (given ? given : trunkPoints(p, f, H, B));
      const fits = (f: number) => seconds(input, pointsAt(f), use, s) <= input.seconds;
      const lowest = Math.max(wanted, (firstPoint * 2 ** (p - 1)) / H);
      if (!given && lowest > MAX_TRUNK_FRACTION) continue;
      if (!fits(given ? 1 : lowest)) continue;
      const f = given ? 1 : largestFitting(fits, lowest);
      const points = pointsAt(f);
      const largest = use[use.length - 1];
      const plan = {
        points: [...points],
        trunk: !given,
        sizes: use,
        seeds: s,
        branchSamples: points.map((u) => branchLength(u, largest, H)),
        reachedFraction: points[points.length - 1] / H,
        estimatedSeconds: seconds(input, points, use, s),
      };
      return { ...plan, summary: describe(plan, H) };
    }
  }
  const min = seconds(input, given ?? trunkPoints(2, (firstPoint * 2) / H, H, B), sizes.slice(0, 2), 1);
  return {
    skip: `the ${Math.round(input.seconds)} s left for it are too few: even 2 checkpoints with branches at ${sizes.slice(0, 2).join(' and ')} need ~${Math.ceil(min)} s at ~${input.startupSeconds.toFixed(1)} s start-up per trial; give a larger --budget`,
  };
}
