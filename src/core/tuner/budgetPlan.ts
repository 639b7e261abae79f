// How a study spends its wall-clock budget, decided up front and said in a plan event.
// Every trial pays a start-up overhead (fork + backend + data) before it trains: planned for.
import type { LrRule } from '../types';

export interface ConvergencePlan {
  candidates: number;
  seeds: number;
  secondsPerTrial: number;
  seconds: number;
}

/** Shortest convergence trial worth running: below this the loss curves are mostly start-up noise. */
export const MIN_CONVERGENCE_TRIAL_SECONDS = 3;
/** Longest profile trial (excluding start-up); each size runs once per round. */
export const MAX_PROFILE_TRIAL_SECONDS = 2.5;
/** Profile rounds: ascending, then descending, so drift in the machine's load hits every size alike (RECIPES.md section 7). */
export const PROFILE_ROUNDS = 2;
/** The noise phase runs two seeds (their spread enters B_noise's interval) when each still trains this long. */
export const NOISE_TWO_SEEDS_MIN_SECONDS = 2;
/** A second seed is added when each trial can still train this long. */
export const SECOND_SEED_MIN_SECONDS = 6;
/** Share of the budget the branch phase (issue 11) gets when it runs. */
export const BRANCH_FRACTION = 0.3;
/** Profile share when the branch phase runs (else 35%). */
const PROFILE_FRACTION_WITH_BRANCH = 0.27;

/**
 * The least a branch phase can do: a trunk in two segments and two branch sizes at two points,
 * one seed (6 trials), each paying start-up and about a second of training.
 */
export function minimalBranchSeconds(startupSeconds: number): number {
  return 6 * (startupSeconds + 1) * 1.15;
}

/**
 * Convergence trials that fit in `availableSeconds`: up to `maxCandidates` batch sizes (the top
 * ones by goodput plus the current one), two seeds when each trial still trains long enough.
 * Trials run `parallel` at a time; each pays `startupSeconds`.
 */
export function planConvergence(availableSeconds: number, startupSeconds: number, maxCandidates: number, parallel = 1): ConvergencePlan {
  const perTrial = (trials: number) => availableSeconds / Math.ceil(trials / parallel) - startupSeconds;
  for (let c = maxCandidates; c >= 2; c--) {
    if (perTrial(c * 2) >= SECOND_SEED_MIN_SECONDS) return { candidates: c, seeds: 2, secondsPerTrial: perTrial(c * 2), seconds: availableSeconds };
    if (perTrial(c) >= MIN_CONVERGENCE_TRIAL_SECONDS) return { candidates: c, seeds: 1, secondsPerTrial: perTrial(c), seconds: availableSeconds };
  }
  return { candidates: 0, seeds: 0, secondsPerTrial: 0, seconds: 0 };
}

/** Noise trials that fit `seconds`: two seeds when each still trains NOISE_TWO_SEEDS_MIN_SECONDS after its start-up. */
export function noiseTrialsFor(seconds: number, startupSeconds: number): number {
  return seconds / 2 - startupSeconds >= NOISE_TWO_SEEDS_MIN_SECONDS ? 2 : 1;
}

export interface BudgetPlanInput {
  budgetSeconds: number;
  startupSeconds: number;
  candidates: number[];
  parallel: number;
  lrRule: LrRule;
  warmupSteps: number;
  microBatches: number;
  memoryLimitBytes?: number;
  /** Batch sizes in the convergence phase at most (top by goodput + the current one). */
  maxConvergenceCandidates?: number;
  /** The study may run a branch phase (a horizon is known, or checkpoints were given): give it its share when it fits. */
  branch?: boolean;
}

export interface BudgetPlan {
  profile: { seconds: number; fraction: number; trials: number; secondsPerTrial: number; warmupSteps: number };
  /** One or two trials (two seeds) with micro-batches for the gradient-noise statistics. */
  noise: { seconds: number; fraction: number; trials: number; secondsPerTrial: number; microBatches: number };
  convergence: ConvergencePlan & { fraction: number };
  /** Branched trials from checkpoints along the run (0 s: not run; see warnings). */
  branch: { seconds: number; fraction: number };
  reserve: { seconds: number; fraction: number };
  warnings: string[];
  summary: string;
}

/**
 * Profile ~35%, noise ~12%, convergence ~43%, reserve ~10% (fits, recommendation, start-up variance);
 * with a branch phase: profile ~27%, noise ~12%, branch ~30%, convergence ~21%, reserve ~10%.
 * The noise statistics get their own trial because micro-batches slow small batches down (measured
 * here: 35% at B=16, 12% at B=128), which would bias the profile's throughput toward large batches.
 */
export function planBudget(input: BudgetPlanInput): BudgetPlan {
  const warnings: string[] = [];
  const total = input.budgetSeconds;
  const reserve = Math.max(0.1 * total, 2);
  const noiseSeconds = Math.max(0.12 * total, input.startupSeconds + 2);
  const branchSeconds = input.branch && BRANCH_FRACTION * total >= minimalBranchSeconds(input.startupSeconds) ? BRANCH_FRACTION * total : 0;
  if (input.branch && branchSeconds === 0)
    warnings.push(
      `a ${total} s budget leaves no time for the branch phase (the critical batch size along the run needs ~${Math.ceil(minimalBranchSeconds(input.startupSeconds) / BRANCH_FRACTION)} s or more): the plan over the run is not measured (give a larger --budget)`,
    );
  let profileSeconds = (branchSeconds > 0 ? PROFILE_FRACTION_WITH_BRANCH : 0.35) * total;
  let conv = planConvergence(
    total - reserve - profileSeconds - noiseSeconds - branchSeconds,
    input.startupSeconds,
    input.maxConvergenceCandidates ?? 3,
    input.parallel,
  );
  if (conv.candidates === 0) {
    profileSeconds = Math.max(0, total - reserve - noiseSeconds - branchSeconds);
    warnings.push(
      `a ${total} s budget leaves no time for convergence trials: the pick rests on the throughput and noise-scale model alone (give --budget 60 or more)`,
    );
  } else {
    profileSeconds = total - reserve - noiseSeconds - branchSeconds - conv.seconds;
  }
  const n = Math.max(1, input.candidates.length);
  const rounds = PROFILE_ROUNDS * Math.ceil(n / input.parallel);
  // A few seconds past warm-up pin throughput down: longer profile trials buy little, so cap them.
  let perTrial = Math.min(MAX_PROFILE_TRIAL_SECONDS, profileSeconds / rounds - input.startupSeconds);
  if (perTrial < 0.5) {
    perTrial = 0.5;
    warnings.push(
      `${n} candidates x ${PROFILE_ROUNDS} rounds at ~${input.startupSeconds.toFixed(1)} s start-up each do not fit the profile budget; profiling stops early when throughput saturates, and the second round is cut short when time runs out`,
    );
  }
  if (conv.candidates > 0) conv = { ...conv, seconds: total - reserve - noiseSeconds - branchSeconds - profileSeconds };
  const pct = (s: number) => Math.round((100 * s) / total);
  const noiseTrials = noiseTrialsFor(noiseSeconds, input.startupSeconds);
  const noisePerTrial = Math.max(1, noiseSeconds / noiseTrials - input.startupSeconds);
  const summary =
    `profile ~${pct(profileSeconds)}% (${n} candidates x ${PROFILE_ROUNDS} interleaved rounds x ~${perTrial.toFixed(1)} s + ${input.startupSeconds.toFixed(1)} s start-up), ` +
    `noise scale ~${pct(noiseSeconds)}% (${noiseTrials} trial${noiseTrials > 1 ? 's' : ''} with ${input.microBatches} micro-batches), ` +
    (conv.candidates > 0
      ? `convergence ~${pct(conv.seconds)}% (${conv.candidates} batch sizes x ${conv.seeds} seed${conv.seeds > 1 ? 's' : ''} x ~${conv.secondsPerTrial.toFixed(1)} s), `
      : 'no convergence trials, ') +
    (branchSeconds > 0 ? `branch ~${pct(branchSeconds)}% (checkpoints along the run, branches at k x B), ` : '') +
    `reserve ~${pct(reserve)}%`;
  return {
    profile: {
      seconds: profileSeconds,
      fraction: profileSeconds / total,
      trials: PROFILE_ROUNDS * n,
      secondsPerTrial: perTrial,
      warmupSteps: input.warmupSteps,
    },
    noise: { seconds: noiseSeconds, fraction: noiseSeconds / total, trials: noiseTrials, secondsPerTrial: noisePerTrial, microBatches: input.microBatches },
    convergence: { ...conv, fraction: conv.seconds / total },
    branch: { seconds: branchSeconds, fraction: branchSeconds / total },
    reserve: { seconds: reserve, fraction: reserve / total },
    warnings,
    summary,
  };
}
