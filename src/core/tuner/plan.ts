// The batch-size plan over a whole run, from the critical batch size measured along it (CBS(u), u =
// samples the reference run at batch B has seen) and the step-time model t(b). The progress model
// is the critical-batch picture of Shallue et al. 2019 ("Measuring the Effects of Data Parallelism
// on Neural Network Training", JMLR 20) and Merrill et al. 2025: up to the CBS a batch b makes the
// progress of b reference samples per step (perfect scaling), beyond it no more than CBS. So to
// cover the reference run's progress H:
//   steps(b) = ∫ du / min(b(u), CBS(u)),  samples = ∫ b du / min(b, CBS),  time = ∫ t(b) du / min(b, CBS).
// A warm-up takes at every u the size of highest throughput at or below CBS(u) (with X(b) rising:
// the largest, so its change points are where the measured CBS passes the next size), never
// shrinking, so it spends no more samples than the reference run; it is proposed only when predicted >= MIN_PLAN_SPEEDUP faster than the best
// fixed size over the same horizon (less is within the prediction's noise).
import type { BatchScheduleSpec, BatchSizePlan } from '../types';

export const MIN_PLAN_SPEEDUP = 1.1;
/** Integration grid over the horizon. */
const GRID = 4000;
/** A larger size wins a near tie in throughput within this (fewer steps for the same time). */
const TIE = 0.005;

export interface CbsAt {
  /** Reference-run samples at the checkpoint. */
  samples: number;
  value: number;
}

export interface PlanInput {
  points: readonly CbsAt[];
  /** The reference (trunk) batch size: CBS is never below it (k = 1 is within tolerance of itself). */
  referenceBatchSize: number;
  horizonSamples: number;
  /** Sizes a warm-up may use (k x B that fit), ascending. */
  sizes: readonly number[];
  /** Sizes the best fixed size is chosen from (default: `sizes`). */
  fixedSizes?: readonly number[];
  /** t(b), seconds per optimizer step (undefined: unknown, the size is not used). */
  stepSeconds: (batchSize: number) => number | undefined;
  learningRate: (batchSize: number) => number;
  minSpeedup?: number;
}

/**
 * CBS(u): log CBS linear in log u between the measured points (a piecewise power law, as B_crit(L)
 * is in Kaplan et al. 2020); before the first point the first segment's power law extended
 * backwards; after the last, held (the CBS plateaus: Merrill et al. 2025). Never below B.
 */
export function interpolateCbs(points: readonly CbsAt[], referenceBatchSize: number): (u: number) => number {
  const pts = points.filter((p) => p.samples > 0 && p.value > 0).sort((a, b) => a.samples - b.samples);
  const B = referenceBatchSize;
  if (pts.length === 0) return () => B;
  const seg = (p: CbsAt, q: CbsAt, u: number) =>
    Math.exp(Math.log(p.value) + ((Math.log(u) - Math.log(p.samples)) / (Math.log(q.samples) - Math.log(p.samples))) * (Math.log(q.value) - Math.log(p.value)));
  return (u) => {
    let v: number;
    if (pts.length === 1) v = pts[0].value;
    else if (u >= pts[pts.length - 1].samples) v = pts[pts.length - 1].value;
    else if (u <= pts[0].samples) v = u <= 0 ? B : Math.min(pts[0].value, seg(pts[0], pts[1], u));
    else {
      const i = pts.findIndex((p) => p.samples >= u);
      v = seg(pts[i - 1], pts[i], u);
    }
    return Math.max(B, v);
  };
}

/** The lower monotone envelope min_{u' >= u} CBS(u') on the grid: a warm-up never outruns a later dip. */
function envelope(cbs: (u: number) => number, us: readonly number[]): number[] {
  const out = us.map(cbs);
  for (let i = out.length - 2; i >= 0; i--) out[i] = Math.min(out[i], out[i + 1]);
  return out;
}

export interface PolicyCost {
  steps: number;
  samples: number;
  seconds: number;
}

/** Steps, samples and seconds of a policy b(u) over the grid (midpoint rule). */
function cost(policy: readonly number[], cbs: readonly number[], du: number, t: (b: number) => number): PolicyCost {
  let steps = 0;
  let samples = 0;
  let seconds = 0;
  policy.forEach((b, i) => {
    const s = du / Math.min(b, cbs[i]);
    steps += s;
    samples += s * b;
    seconds += s * t(b);
  });
  return { steps, samples, seconds };
}

/**
 * The warm-up's size at one CBS: among the sizes at or below it (never wasting samples) and no
 * smaller than `floor` (a warm-up never shrinks), the one of highest throughput t(b)/b, a near
 * tie going to the larger (fewer steps). With X(b) rising: the largest size at or below the CBS.
 */
function warmupSizeAt(sizes: readonly number[], cbs: number, floor: number, t: (b: number) => number): number {
  let best = floor;
  for (const b of sizes) {
    if (b <= best || b > cbs * (1 + 1e-9)) continue; // a CBS of exp(log 64) is 64
    if (t(b) / b <= (t(best) / best) * (1 + TIE)) best = b;
  }
  return best;
}

export interface PlanStage {
  /** Samples the planned run has seen when the stage starts. */
  fromSamples: number;
  /** Optimizer steps of the planned run before the stage starts. */
  fromStep: number;
  batchSize: number;
}

export interface PlanComputation {
  warmup: { stages: PlanStage[]; cost: PolicyCost };
  fixed: Array<{ batchSize: number; cost: PolicyCost }>;
  bestFixed: { batchSize: number; cost: PolicyCost };
}

/** Warm-up and every fixed size, costed over the horizon under the same CBS(u). */
export function computePlan(input: PlanInput): PlanComputation | undefined {
  const known = (b: number) => {
    const s = input.stepSeconds(b);
    return s !== undefined && Number.isFinite(s) && s > 0;
  };
  const sizes = [...new Set(input.sizes)].filter(known).sort((a, b) => a - b);
  const fixedSizes = [...new Set(input.fixedSizes ?? sizes)].filter(known).sort((a, b) => a - b);
  if (sizes.length === 0 || fixedSizes.length === 0 || !(input.horizonSamples > 0)) return undefined;
  const t = (b: number) => input.stepSeconds(b) as number;
  const du = input.horizonSamples / GRID;
  const us = Array.from({ length: GRID }, (_, i) => (i + 0.5) * du);
  const cbs = envelope(interpolateCbs(input.points, input.referenceBatchSize), us);
  const policy: number[] = [];
  for (let i = 0; i < GRID; i++) policy.push(warmupSizeAt(sizes, cbs[i], i > 0 ? policy[i - 1] : sizes[0], t));
  const stages: PlanStage[] = [];
  let steps = 0;
  let samples = 0;
  policy.forEach((b, i) => {
    if (i === 0 || b !== policy[i - 1]) stages.push({ fromSamples: samples, fromStep: steps, batchSize: b });
    const s = du / Math.min(b, cbs[i]);
    steps += s;
    samples += s * b;
  });
  const fixed = fixedSizes.map((b) => ({
    batchSize: b,
    cost: cost(
      us.map(() => b),
      cbs,
      du,
      t,
    ),
  }));
  const bestFixed = fixed.reduce((a, f) => (f.cost.seconds < a.cost.seconds ? f : a));
  return { warmup: { stages, cost: cost(policy, cbs, du, t) }, fixed, bestFixed };
}

/**
 * The built-in trainer's schedule for a warm-up: a `step` schedule from the first stage's size,
 * doubling at `at_steps` (PyTorch MultiStepLR semantics: the new size applies once that many steps
 * are done). A stage that jumps more than one doubling passes through the sizes between, one step each.
 */
export function warmupSchedule(stages: readonly PlanStage[]): BatchScheduleSpec | undefined {
  if (stages.length < 2) return undefined;
  const at: number[] = [];
  for (let i = 1; i < stages.length; i++) {
    const doublings = Math.round(Math.log2(stages[i].batchSize / stages[i - 1].batchSize));
    for (let d = 0; d < doublings; d++) {
      const step = Math.max(1, Math.round(stages[i].fromStep) + d);
      at.push(at.length > 0 && step <= at[at.length - 1] ? at[at.length - 1] + 1 : step);
    }
  }
  return { kind: 'step', at_steps: at, factor: 2, max_batch_size: stages[stages.length - 1].batchSize };
}

const n = (x: number) => Math.round(x).toLocaleString('en-US');

function describe(stages: readonly PlanStage[], c: PolicyCost, lr: (b: number) => number): string {
  if (stages.length === 1) return `${stages[0].batchSize} for the whole run (${n(c.samples)} samples, ${n(c.steps)} steps)`;
  const parts = stages.map((s, i) =>
    i === 0
      ? `${s.batchSize} until ${n(stages[1].fromSamples)} samples`
      : i < stages.length - 1
        ? `then ${s.batchSize} until ${n(stages[i + 1].fromSamples)}`
        : `then ${s.batchSize} to the end`,
  );
  const first = stages[0].batchSize;
  const last = stages[stages.length - 1].batchSize;
  return `${parts.join(', ')} (${n(c.samples)} samples, ${n(c.steps)} steps in all; learning rate ${lr(first).toPrecision(3)} → ${lr(last).toPrecision(3)} with the batch)`;
}

/** The plan: a warm-up when predicted >= minSpeedup faster than the best fixed size, else that fixed size. */
export function batchSizePlan(input: PlanInput): BatchSizePlan | undefined {
  const p = computePlan(input);
  if (!p) return undefined;
  const best = p.bestFixed;
  const speedup = best.cost.seconds / p.warmup.cost.seconds;
  const warm = p.warmup.stages.length > 1 && speedup >= (input.minSpeedup ?? MIN_PLAN_SPEEDUP);
  const stages = warm ? p.warmup.stages : [{ fromSamples: 0, fromStep: 0, batchSize: best.batchSize }];
  const c = warm ? p.warmup.cost : best.cost;
  const plan: BatchSizePlan = {
    kind: warm ? 'warmup' : 'fixed',
    stages: stages.map((s) => ({ fromSamples: Math.round(s.fromSamples), batchSize: s.batchSize, learningRate: input.learningRate(s.batchSize) })),
    horizonSamples: input.horizonSamples,
    predictedSteps: Math.round(c.steps),
    predictedSeconds: c.seconds,
    bestFixed: { batchSize: best.batchSize, predictedSteps: Math.round(best.cost.steps), predictedSeconds: best.cost.seconds },
    speedupVsBestFixed: warm ? speedup : 1,
    basis: 'fitted',
    description: describe(stages, c, input.learningRate),
  };
  if (!warm && p.warmup.stages.length > 1) {
    const w = p.warmup.stages;
    plan.description += `; a warm-up ${w.map((s) => s.batchSize).join(' → ')} was predicted only ${speedup.toFixed(2)}x faster (below ${(input.minSpeedup ?? MIN_PLAN_SPEEDUP).toFixed(2)}x): not proposed`;
  }
  const schedule = warm ? warmupSchedule(stages) : undefined;
  if (schedule) plan.schedule = schedule;
  return plan;
}
