// Phase 3, convergence: short real training runs at the top candidates by predicted goodput and at
// the current batch size (the reference), each with the same wall-clock budget and lr scaled by the
// rule; we compare validation loss reached in that time (and per sample), over one or two seeds.
import type { EvalMetrics, TrialSpec } from '../types';
import { goodput } from '../tuner/goodput';
import { scaleLearningRate } from '../tuner/lrScaling';
import type { ConvergenceMeasurement, ProfiledCandidate } from '../tuner/recommend';
import type { CompletedTrial, StudyContext } from './context';

export interface ConvergenceOutcome {
  measurements: ConvergenceMeasurement[];
  trials: CompletedTrial[];
  targetLoss?: number;
  /** Steps the reference (current batch) took to the target, mean over seeds that reached it. */
  referenceStepsToTarget?: number;
}

/** Top `n - 1` fitting candidates by goodput plus the current batch size (when it fits). */
export function chooseConvergenceCandidates(cands: readonly ProfiledCandidate[], noiseScale: number, current: number, n: number): number[] {
  const fitting = cands.filter((c) => c.fits && (c.samplesPerSecond ?? 0) > 0);
  const ranked = [...fitting].sort((a, b) => goodput(b.samplesPerSecond as number, b.batchSize, noiseScale) - goodput(a.samplesPerSecond as number, a.batchSize, noiseScale));
  const hasCurrent = fitting.some((c) => c.batchSize === current);
  const top = ranked.filter((c) => c.batchSize !== current).slice(0, hasCurrent ? n - 1 : n).map((c) => c.batchSize);
  return hasCurrent ? [current, ...top] : top;
}

/** First time (or step) at which the validation loss reached `target`, interpolated between evals. */
export function firstReach(evals: readonly EvalMetrics[], target: number, key: 'time' | 'step'): number | undefined {
  for (let i = 0; i < evals.length; i++) {
    const e = evals[i];
    if (!(e.valLoss <= target)) continue;
    if (i === 0) return e[key];
    const p = evals[i - 1];
    const f = (p.valLoss - target) / (p.valLoss - e.valLoss);
    return p[key] + Math.min(1, Math.max(0, f)) * (e[key] - p[key]);
  }
  return undefined;
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
  const specs: TrialSpec[] = [];
  for (let k = 0; k < seeds; k++) for (const b of batchSizes) specs.push(convergenceSpec(ctx, b, ctx.settings.seed + k, secondsPerTrial, throughputOf(b)));
  const trials: CompletedTrial[] = [];
  for (let i = 0; i < specs.length && !ctx.aborted; i += ctx.settings.parallel) {
    const group = specs.slice(i, i + ctx.settings.parallel);
    trials.push(...(await Promise.all(group.map((sp) => ctx.runTrial(sp, 'convergence')))));
  }
  const usable = trials.filter((t) => t.result.status === 'ok' && t.result.evals.length > 0);
  const finalLoss = (t: CompletedTrial) => t.result.evals[t.result.evals.length - 1].valLoss;
  const current = ctx.options.currentBatchSize;
  const reference = usable.filter((t) => t.result.batchSize === current);
  let target = ctx.settings.targetLoss;
  if (target === undefined && reference.length > 0) {
    const ls = reference.map(finalLoss).filter(Number.isFinite);
    // Default target: the loss the current config reaches in this budget (mean over seeds).
    if (ls.length > 0) target = ls.reduce((a, b) => a + b, 0) / ls.length;
  }
  const measurements: ConvergenceMeasurement[] = [];
  for (const b of batchSizes) {
    const ts = usable.filter((t) => t.result.batchSize === b);
    const diverged = trials.filter((t) => t.result.batchSize === b && t.result.status === 'ok' && t.result.evals.length === 0);
    if (ts.length === 0 && diverged.length === 0) continue;
    measurements.push({
      batchSize: b,
      learningRate: (ts[0] ?? diverged[0]).result.learningRate,
      finalValLosses: [...ts.map(finalLoss), ...diverged.map(() => NaN)],
      timesToTarget: ts.map((t) => (target === undefined ? undefined : firstReach(t.result.evals, target, 'time'))),
    });
  }
  const out: ConvergenceOutcome = { measurements, trials };
  if (target !== undefined) {
    out.targetLoss = target;
    const steps = reference.map((t) => firstReach(t.result.evals, target as number, 'step')).filter((s): s is number => s !== undefined);
    if (steps.length > 0) out.referenceStepsToTarget = steps.reduce((a, b) => a + b, 0) / steps.length;
  }
  return out;
}
