// Phase 3, convergence: short real training runs at the top candidates by predicted goodput and at
// the current batch size (the reference), each with the same wall-clock budget and lr scaled by the
// rule, over one or two seeds. Each run's loss curve is its validation loss, or its smoothed
// training loss when the runs report no validation loss; a run diverged only on a NaN/Inf loss or
// a loss that exploded (a missing value is missing, not divergence). The target is the loss the
// reference reaches (or the configured one); we measure when each run first reached it.
import type { LossSource, TrialSpec } from '../types';
import { goodput } from '../tuner/goodput';
import { commonLossSource, divergence, firstReach, lossCurve, type LossPoint } from '../tuner/lossCurves';
import { scaleLearningRate } from '../tuner/lrScaling';
import type { ConvergenceMeasurement, ProfiledCandidate } from '../tuner/recommend';
import type { CompletedTrial, StudyContext } from './context';

export interface ConvergenceOutcome {
  measurements: ConvergenceMeasurement[];
  trials: CompletedTrial[];
  targetLoss?: number;
  lossSource?: LossSource;
  /** Steps the reference (current batch) took to the target, mean over seeds that reached it. */
  referenceStepsToTarget?: number;
}

/** Top `n - 1` fitting candidates by goodput X(B)/(B + B_noise) (X from the throughput model) plus the current batch size (when it fits). */
export function chooseConvergenceCandidates(
  cands: readonly ProfiledCandidate[],
  throughput: (b: number) => number | undefined,
  noiseScale: number,
  current: number,
  n: number,
): number[] {
  const X = (c: ProfiledCandidate) => throughput(c.batchSize) ?? c.samplesPerSecond ?? 0;
  const fitting = cands.filter((c) => c.fits && X(c) > 0);
  const ranked = [...fitting].sort((a, b) => goodput(X(b), b.batchSize, noiseScale) - goodput(X(a), a.batchSize, noiseScale));
  const hasCurrent = fitting.some((c) => c.batchSize === current);
  const top = ranked
    .filter((c) => c.batchSize !== current)
    .slice(0, hasCurrent ? n - 1 : n)
    .map((c) => c.batchSize);
  return hasCurrent ? [current, ...top] : top;
}

export function convergenceSpec(ctx: StudyContext, batchSize: number, seed: number, seconds: number, samplesPerSecond: number | undefined): TrialSpec {
  const o = ctx.options;
  // About eight validation points per trial whatever the batch size (same cost for everyone).
  const expectedSteps = samplesPerSecond ? (samplesPerSecond * seconds) / batchSize : 80;
  return {
    id: `conv-${batchSize}-s${seed}`,
    configPath: o.configPath,
    config: o.config,
    batchSize,
    learningRate: scaleLearningRate(o.currentLearningRate, o.currentBatchSize, batchSize, ctx.settings.lrRule),
    seed,
    maxSteps: 10_000_000,
    maxSeconds: seconds,
    warmupSteps: ctx.settings.warmupSteps,
    microBatches: 0,
    evalEvery: Math.max(1, Math.round(expectedSteps / 8)),
  };
}

export async function runConvergencePhase(
  ctx: StudyContext,
  batchSizes: readonly number[],
  seeds: number,
  secondsPerTrial: number,
  throughputOf: (b: number) => number | undefined,
): Promise<ConvergenceOutcome> {
  // Seeds alternate the order (A B C, then C B A): drift in the machine's load hits every size alike.
  const specs: TrialSpec[] = [];
  for (let k = 0; k < seeds; k++)
    for (const b of k % 2 === 0 ? batchSizes : [...batchSizes].reverse())
      specs.push(convergenceSpec(ctx, b, ctx.settings.seed + k, secondsPerTrial, throughputOf(b)));
  const trials: CompletedTrial[] = [];
  for (let i = 0; i < specs.length && !ctx.aborted; i += ctx.settings.parallel) {
    const group = specs.slice(i, i + ctx.settings.parallel);
    trials.push(...(await Promise.all(group.map((sp) => ctx.runTrial(sp, 'convergence')))));
  }
  return measureConvergence(trials, batchSizes, ctx.options.currentBatchSize, ctx.settings.targetLoss);
}

interface Run {
  trial: CompletedTrial;
  curve: LossPoint[];
  diverged?: string;
}

/** Mean of the finite values, undefined when there is none. */
function meanOf(xs: ReadonlyArray<number | undefined>): number | undefined {
  const ok = xs.filter((x): x is number => x !== undefined && Number.isFinite(x));
  return ok.length > 0 ? ok.reduce((a, b) => a + b, 0) / ok.length : undefined;
}

/**
 * What the runs measured: the loss each reached, whether it diverged, and when it first reached
 * the target (default: the highest final loss of the reference runs at the current batch size).
 */
export function measureConvergence(
  trials: readonly CompletedTrial[],
  batchSizes: readonly number[],
  current: number,
  configuredTarget?: number,
): ConvergenceOutcome {
  const ran = trials.filter((t) => t.result.status === 'ok');
  const source = commonLossSource(ran.map((t) => t.result));
  const runs: Run[] = ran.map((t) => {
    const d = divergence(t.result.steps, t.result.evals);
    return { trial: t, curve: lossCurve(t.result.steps, t.result.evals, source), ...(d.diverged ? { diverged: d.reason } : {}) };
  });
  const finalLoss = (r: Run) => (r.diverged ? NaN : r.curve.length > 0 ? r.curve[r.curve.length - 1].loss : undefined);
  const reference = runs.filter((r) => r.trial.result.batchSize === current && !r.diverged);
  // Default target: the loss every reference run reached (the highest of their final losses), so
  // the reference has a measured time to it and the other sizes are timed against the same level.
  const refFinal = reference.map(finalLoss).filter((x): x is number => x !== undefined && Number.isFinite(x));
  const target = configuredTarget ?? (refFinal.length > 0 ? Math.max(...refFinal) : undefined);
  const measurements: ConvergenceMeasurement[] = [];
  for (const b of batchSizes) {
    const rs = runs.filter((r) => r.trial.result.batchSize === b && (r.curve.length > 0 || r.diverged));
    if (rs.length === 0) continue;
    measurements.push({
      batchSize: b,
      learningRate: rs[0].trial.result.learningRate,
      finalLosses: rs.map((r) => finalLoss(r) ?? NaN),
      // Reaching the target needs a crossing seen on a curve: a single final loss gives no time.
      timesToTarget: rs.map((r) => (target === undefined || r.diverged || r.curve.length < 2 ? undefined : firstReach(r.curve, target, 'time'))),
      stepsToTarget: rs.map((r) => (target === undefined || r.diverged || r.curve.length < 2 ? undefined : firstReach(r.curve, target, 'step'))),
      diverged: rs.map((r) => r.diverged),
    });
  }
  const out: ConvergenceOutcome = { measurements, trials: [...trials], lossSource: source };
  if (target !== undefined) {
    out.targetLoss = target;
    const steps = meanOf(reference.map((r) => (r.curve.length >= 2 ? firstReach(r.curve, target, 'step') : undefined)));
    if (steps !== undefined) out.referenceStepsToTarget = steps;
  }
  return out;
}
