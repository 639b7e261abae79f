// Phase 2, noise scale: one trial with micro-batches gives, at every step, the squared norms of
// the micro-batch and full-batch mean gradients; B_noise follows (McCandlish et al. 2018, appendix A),
// pooled over steps, with a seeded bootstrap interval, and its history as the loss falls.
// B_noise describes the training state, not the batch size, so one trial suffices; it runs at a
// mid-sized batch that fits, where the micro-batches (B/k each) are still large enough to be cheap.
import type { NoiseScaleEstimate, TrialSpec } from '../types';
import { estimateNoiseScale, noiseSamplesFromSteps } from '../tuner/noiseScale';
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

export function estimateStudyNoiseScale(trials: readonly CompletedTrial[], opts: { seed: number; datasetSize: number }): NoiseScaleEstimate | undefined {
  const perTrial = trials.map((t) => noiseSamplesFromSteps(t.result.steps));
  const pooled = perTrial.flat();
  // The longest run of steps shows B_noise growing as training progresses.
  const longest = perTrial.reduce<typeof pooled>((a, b) => (b.length > a.length ? b : a), []);
  // B_noise cannot usefully exceed the dataset: a batch that large is full-batch gradient descent.
  return estimateNoiseScale(pooled, { seed: opts.seed, cap: opts.datasetSize, historySamples: longest, windows: 6 });
}

export async function runNoisePhase(ctx: StudyContext, cands: readonly ProfiledCandidate[], seconds: number): Promise<{ trial?: CompletedTrial; estimate?: NoiseScaleEstimate }> {
  const k = ctx.settings.microBatches;
  const b = noiseTrialBatchSize(cands, k);
  if (b === undefined) return {};
  const o = ctx.options;
  const spec: TrialSpec = {
    id: `noise-${b}`,
    configPath: o.configPath,
    config: o.config,
    batchSize: b,
    learningRate: scaleLearningRate(o.currentLearningRate, o.currentBatchSize, b, ctx.settings.lrRule),
    seed: ctx.settings.seed,
    maxSteps: 10_000_000,
    maxSeconds: seconds,
    warmupSteps: ctx.settings.warmupSteps,
    microBatches: k,
    evalEvery: 0,
  };
  const trial = await ctx.runTrial(spec, 'noise');
  const estimate = estimateStudyNoiseScale([trial], { seed: ctx.settings.seed, datasetSize: o.datasetSize });
  return estimate ? { trial, estimate } : { trial };
}
