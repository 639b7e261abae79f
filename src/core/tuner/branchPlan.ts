// How the branch phase spends its share of the budget (issue 11): where along the run the
// checkpoints go (a trunk at the current batch size B trained to a few fractions of the horizon,
// or the person's own checkpoints), how long the branches from each are and which sizes k x B
// they can compare, and how many seeds. At each checkpoint the CBS is found by bisection over
// B, 2B, 4B, ... (the k = 1 branch, then ~log2 of the sizes), so the ladder can reach far (to 64x)
// at little cost. Every trial pays a start-up; trunk and branches cost samples / X(batch) seconds.
// Preference: three or four points with two seeds, then one seed, then two points; the trunk as
// far along the run as the budget allows (said in the plan as the fraction reached).

/** Branch sizes up to this multiple of B (the memory ceiling and the branch length permitting). */
export const MAX_BRANCH_K = 64;
/** A branch size trains at least this many optimizer steps in its branch (fewer say little about its loss). */
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

/** One checkpoint: where it is, how long its branches are, and the sizes they can compare. */
export interface BranchPoint {
  samples: number;
  /** Samples every branch from it trains (a multiple of its largest size). */
  branchSamples: number;
  /** B, 2B, 4B, ...: each trains >= MIN_BRANCH_STEPS steps in the branch. */
  sizes: number[];
}

export interface BranchPhasePlan {
  points: BranchPoint[];
  trunk: boolean;
  seeds: number;
  /** Last point / horizon. */
  reachedFraction: number;
  estimatedSeconds: number;
  summary: string;
}

export type BranchPlanResult = BranchPhasePlan | { skip: string };

/** Every branch trains at least MIN_BRANCH_STEPS steps at this multiple of B: early checkpoints still compare up to 4B. */
export const MIN_LADDER_K = 4;

/**
 * The branches from a checkpoint at `u` samples: BRANCH_LENGTH_FRACTION of u (at least
 * MIN_BRANCH_STEPS steps at MIN_LADDER_K x B), and the sizes B, 2B, ... that train >=
 * MIN_BRANCH_STEPS steps in it, under the ceiling and MAX_BRANCH_K; the length rounded down to a
 * multiple of the largest.
 */
export function branchPoint(u: number, batchSize: number, ceiling: number, horizonSamples = Infinity): BranchPoint {
  // A horizon too short for that (a branch over a quarter of it) keeps the minimum at 2B.
  const k = 4 * MIN_BRANCH_STEPS * MIN_LADDER_K * batchSize <= horizonSamples ? MIN_LADDER_K : 2;
  const n = Math.max(MIN_BRANCH_STEPS * k * batchSize, Math.round(BRANCH_LENGTH_FRACTION * u));
  const sizes = [batchSize];
  for (let b = 2 * batchSize; b <= ceiling && b <= MAX_BRANCH_K * batchSize && MIN_BRANCH_STEPS * b <= n; b *= 2) sizes.push(b);
  const top = sizes[sizes.length - 1];
  return { samples: u, branchSamples: Math.floor(n / top) * top, sizes };
}

/** Bisection probes to find the largest passing size among sizes[1..m-1] (k = 1 passes by definition). */
export const bisectionProbes = (sizes: number) => Math.ceil(Math.log2(Math.max(1, sizes)));

/** Trunk checkpoints at f H, f H/2, f H/4, ... (geometric: the CBS moves fastest early), in whole steps of B. */
export function trunkPoints(count: number, fraction: number, horizonSamples: number, batchSize: number): number[] {
  const pts: number[] = [];
  for (let i = count - 1; i >= 0; i--) pts.push(Math.max(1, Math.round((fraction * horizonSamples) / 2 ** i / batchSize)) * batchSize);
  return [...new Set(pts)];
}

function seconds(input: BranchPlanInput, points: readonly BranchPoint[], seeds: number): number {
  const B = input.batchSize;
  const X = (b: number) => input.throughput(b) ?? input.throughput(B) ?? 1000;
  const perTrial = input.startupSeconds + RESUME_SECONDS;
  const last = points[points.length - 1]?.samples ?? 0;
  let total = input.given ? points.length * perTrial : points.length * perTrial + last / X(B); // probes, or the trunk
  let branches = 0;
  for (const p of points) {
    const reference = perTrial + (p.branchSamples / X(B)) * MICRO_BATCH_SLOWDOWN;
    // Probes at larger sizes train faster; 2B is the slowest of them.
    branches += seeds * (reference + bisectionProbes(p.sizes.length) * (perTrial + p.branchSamples / X(2 * B)));
  }
  total += branches / Math.max(1, input.parallel);
  return SLACK * total;
}

type Choice = { p: number; s: number };

/** (points, seeds) in order of preference: `good` (3-4 points; two seeds before one), then `degraded` (2 points, one seed). */
function preferences(given: number | undefined): { good: Choice[]; degraded: Choice[] } {
  if (given !== undefined)
    return {
      good: [
        { p: given, s: 2 },
        { p: given, s: 1 },
      ],
      degraded: [],
    };
  return {
    good: [
      { p: 4, s: 2 },
      { p: 3, s: 2 },
      { p: 4, s: 1 },
      { p: 3, s: 1 },
    ],
    degraded: [{ p: 2, s: 1 }],
  };
}

function describe(plan: Omit<BranchPhasePlan, 'summary'>, batchSize: number, horizonSamples: number): string {
  const n = (x: number) => x.toLocaleString('en-US');
  const where = plan.trunk
    ? `a trunk at ${batchSize} to ${Math.round(plan.reachedFraction * 100)}% of the ${n(Math.round(horizonSamples))}-sample horizon, checkpoints at ${plan.points.map((p) => n(p.samples)).join(', ')} samples`
    : `${plan.points.length} given checkpoint${plan.points.length > 1 ? 's' : ''}`;
  const top = Math.max(...plan.points.map((p) => p.sizes[p.sizes.length - 1]));
  return `${where}; branches of ${plan.points.map((p) => n(p.branchSamples)).join('/')} samples at ${batchSize} to ${top} (bisection) x ${plan.seeds} seed${plan.seeds > 1 ? 's' : ''} (~${Math.round(plan.estimatedSeconds)} s)`;
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
  if (input.ceiling < 2 * B)
    return {
      skip: `no branch size above the current ${B} fits (largest allowed: ${input.ceiling}, from the memory ceiling, the dataset and --max), so there is nothing to compare k = 1 with`,
    };
  const minBranch = MIN_BRANCH_STEPS * 2 * B;
  if (4 * minBranch > H)
    return {
      skip: `the horizon (${Math.round(H)} samples) is shorter than a branch: ${MIN_BRANCH_STEPS} steps at ${2 * B} must fit in a quarter of it (${4 * minBranch} samples or more); give a longer --horizon (tuner.horizon), or train longer in the config`,
    };
  const given = input.given?.filter((u) => u < H).sort((a, b) => a - b);
  if (given && given.length === 0)
    return {
      skip: `every given checkpoint is at or past the horizon (${Math.round(H)} samples): give checkpoints from earlier in the run, or a longer --horizon`,
    };
  const at = (us: readonly number[]) => us.map((u) => branchPoint(u, B, input.ceiling, H));
  const { good, degraded } = preferences(given?.length);
  // A study-made trunk first tries the good choices half-way along the run, then as far as they fit, then the degraded ones.
  const passes: Array<{ choices: Choice[]; wanted: number }> = given
    ? [{ choices: good, wanted: 1 }]
    : [
        { choices: good, wanted: WANTED_TRUNK_FRACTION },
        { choices: good, wanted: 0 },
        { choices: degraded, wanted: 0 },
      ];
  for (const { choices, wanted } of passes) {
    for (const { p, s } of choices) {
      const pointsAt = (f: number) => at(given ?? trunkPoints(p, f, H, B));
      const fits = (f: number) => seconds(input, pointsAt(f), s) <= input.seconds;
      // The first point trains at least MIN_BRANCH_STEPS steps of B.
      const lowest = Math.max(wanted, (MIN_BRANCH_STEPS * B * 2 ** (p - 1)) / H);
      if (!given && lowest > MAX_TRUNK_FRACTION) continue;
      if (!fits(given ? 1 : lowest)) continue;
      const points = pointsAt(given ? 1 : largestFitting(fits, lowest));
      const plan = { points, trunk: !given, seeds: s, reachedFraction: points[points.length - 1].samples / H, estimatedSeconds: seconds(input, points, s) };
      return { ...plan, summary: describe(plan, B, H) };
    }
  }
  const min = seconds(input, at(given ?? trunkPoints(2, (MIN_BRANCH_STEPS * B * 2) / H, H, B)), 1);
  return {
    skip: `the ${Math.round(input.seconds)} s left for it are too few: even ${given ? given.length : 2} checkpoint${given?.length === 1 ? '' : 's'} with one seed need ~${Math.ceil(min)} s at ~${input.startupSeconds.toFixed(1)} s start-up per trial; give a larger --budget`,
  };
}
