// The branch phase (issue 11): measure where the person's run will be. Checkpoints along the run
// come from the person (--from-checkpoint: a probe trial resumes each one to learn where it
// stands) or from a trunk the study trains at the current batch size B to a few fractions of the
// horizon (each segment resumes the previous checkpoint and writes the next). From each
// checkpoint, branches at k x B (lr by the study's rule) each train the same number of samples;
// their smoothed losses give the critical batch size there (./branchMeasure.ts), with B_noise
// from the k = 1 branches beside it. Checkpoints the study makes live in a temporary folder,
// removed at the end. Every problem (a checkpoint of another model, a damaged file, a script that
// never writes the checkpoint it was asked for, a horizon too short) is said in `undetermined`;
// the other phases' results stand.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CriticalBatchPoint, TrialResult, TrialSpec } from '../types';
import { planBranchPhase, type BranchPhasePlan, type BranchPoint } from '../tuner/branchPlan';
import { searchCriticalBatch } from './branchSearch';
import { scaleLearningRate } from '../tuner/lrScaling';
import { lossAtEnd, measurePoint, type CheckpointPoint } from './branchMeasure';
import type { StudyContext } from './context';
import { microBatchesFor } from './noisePhase';
import { profileCeiling, profileThroughput, type ProfileOutcome } from './profilePhase';

export interface BranchOutcome {
  points: CriticalBatchPoint[];
  /** Branch sizes the points compared (the plan never goes past the largest). */
  sizes: number[];
  /** Fraction of the horizon the trunk reached (study-made checkpoints). */
  reachedFraction?: number;
  undetermined: string[];
  notes: string[];
}

const WHAT = 'the critical batch size along the run';

/** A trial's spec from the study's config, at batch b with the lr rule applied from (B, lr). */
function specAt(ctx: StudyContext, id: string, b: number, seed: number, over: Partial<TrialSpec>): TrialSpec {
  const o = ctx.options;
  return {
    id,
    configPath: o.configPath,
    config: o.config,
    batchSize: b,
    learningRate: scaleLearningRate(o.currentLearningRate, o.currentBatchSize, b, ctx.settings.lrRule),
    seed,
    warmupSteps: 0,
    microBatches: 0,
    evalEvery: 0,
    ...over,
  };
}

/** A safety limit on a trial's training time: four times what the throughput model expects, plus 10 s. */
const safetySeconds = (samples: number, x: number | undefined) => 4 * (samples / (x ?? 100)) + 10;

/** Why a trial gave no usable checkpoint, in words that say what to do. */
function checkpointProblem(t: TrialResult, path: string, what: string): string | undefined {
  if (t.status !== 'ok') return `${what} ended ${t.status}${t.error ? `: ${t.error.message}` : ''}`;
  if (!existsSync(path))
    return `${what} was asked to write its state to ${path} (\${checkpoint} / BATCH_TUNER_CHECKPOINT for a script) but never wrote it: make the training command save its state there when the trial ends (batch_tuner.save_checkpoint for PyTorch), or give checkpoints of your own run with --from-checkpoint`;
  return undefined;
}

/** Trains the trunk segment by segment to the plan's points; stops at the first segment without a checkpoint. */
async function trainTrunk(
  ctx: StudyContext,
  plan: BranchPhasePlan,
  dir: string,
  X: (b: number) => number | undefined,
  out: BranchOutcome,
): Promise<CheckpointPoint[]> {
  const B = ctx.options.currentBatchSize;
  const made: CheckpointPoint[] = [];
  let prev: CheckpointPoint | undefined;
  for (const { samples: u } of plan.points) {
    if (ctx.aborted) break;
    const path = join(dir, `trunk-${u}.ckpt`);
    const spec = specAt(ctx, `trunk-${u}`, B, ctx.settings.seed, {
      maxSteps: u / B,
      maxSeconds: safetySeconds(u - (prev?.samples ?? 0), X(B)),
      checkpointPath: path,
      ...(prev ? { resumeFrom: prev.path } : {}),
    });
    const t = await ctx.runTrial(spec, 'branch');
    const problem = checkpointProblem(t.result, path, `the trunk at batch ${B} (trial ${spec.id})`);
    if (problem) {
      out.undetermined.push(`${WHAT} from ${u} samples on: ${problem}`);
      break;
    }
    const last = t.result.steps[t.result.steps.length - 1];
    prev = { path, step: last?.step ?? u / B, samples: last?.samples ?? u, loss: lossAtEnd(t.result.steps, t.result.evals), source: 'study' };
    made.push(prev);
  }
  return made;
}

/** Resumes each given checkpoint for a moment to learn its step, samples and loss (and that it fits this config). */
async function probeGiven(ctx: StudyContext, files: readonly string[], out: BranchOutcome): Promise<CheckpointPoint[]> {
  const B = ctx.options.currentBatchSize;
  const found: CheckpointPoint[] = [];
  for (const [i, path] of files.entries()) {
    if (ctx.aborted) break;
    if (!existsSync(path)) {
      out.undetermined.push(
        `${WHAT} at --from-checkpoint ${path}: no such file: check the path (a .btckpt file from \`batch-tuner train --checkpoint-every\`, or your script's own checkpoint)`,
      );
      continue;
    }
    const spec = specAt(ctx, `probe-${i + 1}`, B, ctx.settings.seed, { resumeFrom: path, maxSteps: 10_000_000, maxSeconds: 0.05 });
    const t = await ctx.runTrial(spec, 'branch', { stopAfterSteps: 1 });
    const r = t.result;
    const first = r.steps[0];
    const ev = r.evals[0];
    const at = first ? { step: first.step - 1, samples: first.samples - first.batchSize } : ev ? { step: ev.step, samples: ev.samples } : undefined;
    if ((r.status !== 'ok' && r.status !== 'cancelled') || !at) {
      const why = r.error?.message ?? 'it reported no step and no evaluation, so where it stands in the run is unknown';
      out.undetermined.push(
        `${WHAT} at --from-checkpoint ${path}: resuming it failed (${why}); give a checkpoint written by this config (batch-tuner train --checkpoint-every), or leave it out`,
      );
      continue;
    }
    // The evaluation at (or one step past) the checkpoint; else that first step's training loss.
    found.push({ path, ...at, loss: ev?.valLoss ?? first?.loss ?? NaN, source: 'given' });
  }
  return found.sort((a, b) => a.samples - b.samples);
}

/** A branch from `cp` at batch b: the point's samples, about 12 evaluations (at the same samples whatever the size), B_noise from k = 1. */
function branchSpec(ctx: StudyContext, cp: CheckpointPoint, bp: BranchPoint, b: number, seed: number, X: (b: number) => number | undefined): TrialSpec {
  const steps = bp.branchSamples / b;
  const B = ctx.options.currentBatchSize;
  return specAt(ctx, `branch-${cp.samples}-${b}-s${seed}`, b, seed, {
    resumeFrom: cp.path,
    maxSteps: cp.step + steps,
    maxSeconds: safetySeconds(bp.branchSamples, X(b)),
    evalEvery: Math.max(1, Math.round(steps / 12)),
    microBatches: b === B ? microBatchesFor(B, ctx.settings.microBatches) : 0,
  });
}

type Pair = { cp: CheckpointPoint; bp: BranchPoint };

/** The checkpoints to branch from (given, else a trunk), each with its branches' plan. */
async function checkpointsFor(
  ctx: StudyContext,
  profile: ProfileOutcome,
  deadline: number,
  dir: string,
  out: BranchOutcome,
): Promise<{ plan?: BranchPhasePlan; pairs: Pair[] }> {
  const o = ctx.options;
  const X = profileThroughput(profile);
  const given = o.fromCheckpoints ?? [];
  const probed = given.length > 0 ? await probeGiven(ctx, given, out) : undefined;
  if (probed && probed.length === 0) return { pairs: [] };
  const horizon = o.horizonSamples ?? 2 * Math.max(...(probed ?? []).map((p) => p.samples));
  const plan = planBranchPhase({
    seconds: deadline - ctx.elapsed(),
    startupSeconds: ctx.startupSeconds(),
    parallel: ctx.settings.parallel,
    batchSize: o.currentBatchSize,
    horizonSamples: horizon,
    ceiling: Math.min(profileCeiling(profile, o.datasetSize), ctx.settings.maxBatchSize),
    throughput: X,
    ...(probed ? { given: probed.map((p) => p.samples) } : {}),
  });
  if ('skip' in plan) {
    out.undetermined.push(`${WHAT}: ${plan.skip}`);
    return { pairs: [] };
  }
  ctx.setPhase('branch', `branching: ${plan.summary}`);
  const cps = probed ?? (await trainTrunk(ctx, plan, dir, X, out));
  const pairs = cps.flatMap((cp) => plan.points.filter((bp) => bp.samples === cp.samples).map((bp) => ({ cp, bp })));
  return { plan, pairs };
}

export async function runBranchPhase(ctx: StudyContext, profile: ProfileOutcome, seconds: number): Promise<BranchOutcome> {
  const out: BranchOutcome = { points: [], sizes: [], undetermined: [], notes: [] };
  const start = ctx.elapsed();
  const deadline = start + seconds;
  const dir = mkdtempSync(join(tmpdir(), 'batch-tuner-branch-'));
  try {
    const { plan, pairs } = await checkpointsFor(ctx, profile, deadline, dir, out);
    if (!plan || pairs.length === 0) return out;
    out.sizes = [...new Set(pairs.flatMap((p) => p.bp.sizes))].sort((a, b) => a - b);
    if (plan.trunk) out.reachedFraction = pairs[pairs.length - 1].cp.samples / (ctx.options.horizonSamples ?? Infinity);
    const X = profileThroughput(profile);
    const seeds = Array.from({ length: plan.seeds }, (_, s) => ctx.settings.seed + s);
    const { searches, cut } = await searchCriticalBatch(ctx, pairs, seeds, (cp, bp, b, seed) => branchSpec(ctx, cp, bp, b, seed, X), deadline);
    if (cut && !ctx.aborted)
      out.undetermined.push(
        `${WHAT}: the branch phase's ${Math.round(seconds)} s ran out before the search ended at every checkpoint, so some critical batch sizes are coarser (at least the largest size that passed) or missing (give a larger --budget)`,
      );
    for (const sr of searches) {
      const m = measurePoint(sr.cp, sr.results, {
        reference: ctx.options.currentBatchSize,
        branchSamples: sr.bp.branchSamples,
        seeds,
        seed: ctx.settings.seed,
        datasetSize: ctx.options.datasetSize,
      });
      if (m.point) out.points.push(m.point);
      else if (m.problem) out.undetermined.push(`${WHAT}: ${m.problem}`);
    }
    out.notes.push(
      `branch phase: ${plan.summary}; ${out.points.length} point${out.points.length === 1 ? '' : 's'} measured in ${Math.round(ctx.elapsed() - start)} s`,
    );
    return out;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
