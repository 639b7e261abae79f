// Phase 2, noise scale. From gradient statistics when the runner reports them: trials with
// micro-batches give, at every step, the squared norms of the micro-batch and full-batch mean
// gradients, and B_noise follows (McCandlish et al. 2018, appendix A), pooled over steps. Two
// seeds when the budget allows, so the interval carries the spread between trials, not only
// between the steps of one. B_noise describes the training state, not the batch size: the trials
// run at one mid-sized batch that fits, where the micro-batches (B/k each) are still cheap.
// Without gradient statistics, B_noise is fitted later from the loss curves of runs at >= 3 batch
// sizes (fitNoiseScaleFromRuns, after the convergence phase has run its trials).
import type { NoiseScaleEstimate, TrialSpec } from '../types';
import { commonLossSource, divergence, lossCurve } from '../tuner/lossCurves';
import { estimateNoiseScale, noiseSamplesFromSteps } from '../tuner/noiseScale';
import { noiseScaleFromLossCurves, type LossNoiseScaleResult, type LossRun } from '../tuner/noiseScaleFromLoss';
import { scaleLearningRate } from '../tuner/lrScaling';
import type { ProfiledCandidate } from '../tuner/recommend';
import type { CompletedTrial, StudyContext } from './context';

/** Micro-batches per step: `k` when B splits into k equal parts of >= 2 samples. */
export function microBatchesFor(batchSize: number, k: number): number {
  return k >= 2 && batchSize >= 2 * k && batchSize % k === 0 ? k : 0;
}

/** The fitting candidate nearest (in log2) to `preferred`, among those that split into k micro-batches. */
export function noiseTrialBatchSize(cands: readonly ProfiledCandidate[], k: number, preferred = 128): number | undefined {
  const ok = cands.filter((c) => c.fits && microBatchesFor(c.batchSize, k) === k);
  if (ok.length === 0) return undefined;
  return ok.reduce((a, b) => (Math.abs(Math.log2(b.batchSize / preferred)) < Math.abs(Math.log2(a.batchSize / preferred)) ? b : a)).batchSize;
}

/** B_noise from the gradient statistics of `trials` (pooled; two-stage bootstrap over trials and steps). */
export function estimateStudyNoiseScale(trials: readonly CompletedTrial[], opts: { seed: number; datasetSize: number }): NoiseScaleEstimate | undefined {
  const perTrial = trials.map((t) => noiseSamplesFromSteps(t.result.steps));
  const pooled = perTrial.flat();
  // The longest run of steps shows B_noise growing as training progresses.
  const longest = perTrial.reduce<typeof pooled>((a, b) => (b.length > a.length ? b : a), []);
  // B_noise cannot usefully exceed the dataset: a batch that large is full-batch gradient descent.
  return estimateNoiseScale(pooled, { seed: opts.seed, cap: opts.datasetSize, historySamples: longest, windows: 6, trials: perTrial });
}

export interface NoisePhaseOutcome {
  trials: CompletedTrial[];
  estimate?: NoiseScaleEstimate;
  /** The noise trials' batch size (the history's samples are counted at it). */
  batchSize?: number;
}

export async function runNoisePhase(ctx: StudyContext, cands: readonly ProfiledCandidate[], trials: number, seconds: number): Promise<NoisePhaseOutcome> {
  const k = ctx.settings.microBatches;
  const b = noiseTrialBatchSize(cands, k);
  if (b === undefined) return { trials: [] };
  const o = ctx.options;
  const spec = (seed: number): TrialSpec => ({
    id: seed === ctx.settings.seed ? `noise-${b}` : `noise-${b}-s${seed}`,
    configPath: o.configPath,
    config: o.config,
    batchSize: b,
    learningRate: scaleLearningRate(o.currentLearningRate, o.currentBatchSize, b, ctx.settings.lrRule),
    seed,
    maxSteps: 10_000_000,
    maxSeconds: seconds,
    warmupSteps: ctx.settings.warmupSteps,
    microBatches: k,
    evalEvery: 0,
  });
  const done: CompletedTrial[] = [];
  for (let i = 0; i < trials && !ctx.aborted; i++) {
    const t = await ctx.runTrial(spec(ctx.settings.seed + i), 'noise');
    done.push(t);
    // A runner that reports no gradient statistics will not start reporting them for another seed.
    if (noiseSamplesFromSteps(t.result.steps).length === 0) break;
  }
  const estimate = estimateStudyNoiseScale(done, { seed: ctx.settings.seed, datasetSize: o.datasetSize });
  return { trials: done, batchSize: b, ...(estimate ? { estimate } : {}) };
}

/**
 * Loss-curve runs for the S(B) fit: the convergence trials when they span >= 3 batch sizes, else
 * every trial that trained (profile, noise, convergence). One run per (batch size, seed): the
 * profile's two rounds repeat one seed's run and are not independent evidence.
 */
export function lossRuns(all: readonly CompletedTrial[], convergence: readonly CompletedTrial[]): LossRun[] {
  const ok = (ts: readonly CompletedTrial[]) => ts.filter((t) => t.result.status === 'ok' && !divergence(t.result.steps, t.result.evals).diverged);
  const conv = ok(convergence);
  const pool = new Set(conv.map((t) => t.result.batchSize)).size >= 3 ? conv : ok(all);
  const longest = new Map<string, CompletedTrial>();
  for (const t of pool) {
    const key = `${t.result.batchSize}/${t.result.seed}`;
    const prev = longest.get(key);
    if (!prev || t.result.steps.length > prev.result.steps.length) longest.set(key, t);
  }
  const runs = [...longest.values()];
  const source = commonLossSource(runs.map((t) => t.result));
  return runs.map((t) => ({ batchSize: t.result.batchSize, curve: lossCurve(t.result.steps, t.result.evals, source) }));
}

/** B_noise fitted to the steps runs at >= 3 batch sizes took to common loss levels (McCandlish et al. 2018, eq. 2.11). */
export function fitNoiseScaleFromRuns(all: readonly CompletedTrial[], convergence: readonly CompletedTrial[], seed: number): LossNoiseScaleResult {
  return noiseScaleFromLossCurves(lossRuns(all, convergence), { seed });
}
