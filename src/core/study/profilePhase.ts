// Phase 1, profile: each candidate batch size runs warm-up steps then measured steps; we keep its
// throughput (median, IQR), step time and peak memory. peak(B) ~ a + b*B predicts the largest
// batch under the memory limit before trying it; a real OOM/crash is the ceiling, found by
// bisection; climbing stops when throughput saturates. No micro-batches here: they slow small
// batches more than large ones and would bias throughput (the noise phase has its own trial).
import type { TrialSpec } from '../types';
import { nextBisection } from '../tuner/candidates';
import { fitMemory, predictMaxFit, type MemoryFit } from '../tuner/memoryFit';
import { scaleLearningRate } from '../tuner/lrScaling';
import { measuredThroughput, throughputSaturated } from '../tuner/throughput';
import type { ProfiledCandidate } from '../tuner/recommend';
import type { CompletedTrial, StudyContext } from './context';

export interface ProfileOutcome {
  candidates: ProfiledCandidate[];
  /** Trials that ran and fit (ascending batch size). */
  fitting: CompletedTrial[];
  memoryFit?: MemoryFit;
  predictedMaxFit?: number;
  /** First batch size that failed for memory (OOM/crash, or measured over the limit). */
  oomCeiling?: number;
  /** Every trial that ran failed: the first failure, for the message. */
  allFailed?: CompletedTrial;
}

export function profileSpec(ctx: StudyContext, batchSize: number, secondsPerTrial: number): TrialSpec {
  const o = ctx.options;
  const s = ctx.settings;
  return {
    id: `profile-${batchSize}`,
    configPath: o.configPath,
    config: o.config,
    batchSize,
    learningRate: scaleLearningRate(o.currentLearningRate, o.currentBatchSize, batchSize, s.lrRule),
    seed: s.seed,
    // Time-bounded: small batches get many cheap steps (past the backend's warm-up), large ones few.
    maxSteps: 10_000_000,
    maxSeconds: secondsPerTrial,
    warmupSteps: s.warmupSteps,
    microBatches: 0,
    evalEvery: 0,
  };
}

export async function runProfilePhase(ctx: StudyContext, secondsPerTrial: number, deadlineSeconds: number): Promise<ProfileOutcome> {
  const s = ctx.settings;
  const limit = s.memoryLimitBytes;
  const byBatch = new Map<number, ProfiledCandidate>();
  const fitting: CompletedTrial[] = [];
  const ran: CompletedTrial[] = [];
  let lastOk: number | undefined;
  let firstFail: number | undefined;
  let memoryFit: MemoryFit | undefined;
  let maxFit = Infinity;
  const current = ctx.options.currentBatchSize;
  const lr = (b: number) => scaleLearningRate(ctx.options.currentLearningRate, ctx.options.currentBatchSize, b, s.lrRule);
  const skip = (b: number, status: 'skipped' | 'predicted') => {
    const predictedToFit = status === 'skipped' && b <= maxFit && (firstFail === undefined || b < firstFail);
    byBatch.set(b, { batchSize: b, status, fits: false, learningRate: lr(b), ...(predictedToFit ? { predictedToFit } : {}) });
  };

  const record = (t: CompletedTrial) => {
    ran.push(t);
    const b = t.result.batchSize;
    const tp = measuredThroughput(t.result.steps, s.warmupSteps);
    const peak = t.result.peakMemoryBytes ?? Math.max(0, ...t.result.steps.map((m) => m.peakMemoryBytes ?? 0));
    const ok = t.result.status === 'ok' && tp !== undefined;
    const overLimit = ok && limit !== undefined && peak > limit;
    const c: ProfiledCandidate = { batchSize: b, status: t.result.status, fits: ok && !overLimit, learningRate: t.result.learningRate };
    if (tp) {
      c.samplesPerSecond = tp.samplesPerSecond;
      c.samplesPerSecondIqr = tp.iqr;
    }
    if (peak > 0) c.peakMemoryBytes = peak;
    byBatch.set(b, c);
    if (c.fits) {
      fitting.push(t);
      if (lastOk === undefined || b > lastOk) lastOk = b;
    } else if (overLimit || t.result.status === 'oom' || t.result.status === 'crashed') {
      // Memory is the usual reason a larger batch crashes; treat the crash as the ceiling.
      if (firstFail === undefined || b < firstFail) firstFail = b;
      if (overLimit) ctx.warn(`batch ${b} peaked at ${peak} bytes, over the memory limit of ${limit} bytes`);
    }
    const pts = [...byBatch.values()].filter((p) => p.peakMemoryBytes !== undefined && (p.status === 'ok'));
    if (pts.length >= 2) {
      memoryFit = fitMemory(pts.map((p) => ({ batchSize: p.batchSize, peakMemoryBytes: p.peakMemoryBytes as number })));
      if (memoryFit && limit !== undefined) maxFit = predictMaxFit(memoryFit, limit, s.memorySafetyMargin);
    }
  };

  const pending = [...s.candidates];
  while (pending.length > 0 && !ctx.aborted) {
    // The next up-to-`parallel` candidates still worth running, in ascending order.
    const batch: number[] = [];
    while (pending.length > 0 && batch.length < s.parallel) {
      const b = pending.shift() as number;
      const saturated = throughputSaturated(
        [...byBatch.values()].filter((p) => p.fits && p.samplesPerSecond !== undefined).map((p) => ({ batchSize: p.batchSize, samplesPerSecond: p.samplesPerSecond as number })),
      );
      const outOfTime = ctx.elapsed() > deadlineSeconds;
      if (firstFail !== undefined && b >= firstFail) skip(b, 'skipped');
      else if (b > maxFit) skip(b, 'predicted');
      else if ((saturated || outOfTime) && b !== current) skip(b, 'skipped');
      else batch.push(b);
    }
    if (batch.length === 0) continue;
    const results = await Promise.all(batch.map((b) => ctx.runTrial(profileSpec(ctx, b, secondsPerTrial), 'profile')));
    results.forEach(record);
    if (ctx.aborted) break;
  }
  if (ctx.aborted) for (const b of pending) skip(b, 'skipped');

  // Bisection between the last success and the first failure (Lightning's binsearch).
  while (!ctx.aborted && lastOk !== undefined && firstFail !== undefined && ctx.elapsed() < deadlineSeconds) {
    const mid = nextBisection(lastOk, firstFail, Math.max(1, s.microBatches));
    if (mid === undefined || mid > maxFit) break;
    record(await ctx.runTrial(profileSpec(ctx, mid, secondsPerTrial), 'profile'));
  }

  const out: ProfileOutcome = {
    candidates: [...byBatch.values()].sort((a, b) => a.batchSize - b.batchSize),
    fitting: fitting.sort((a, b) => a.result.batchSize - b.result.batchSize),
  };
  if (memoryFit) out.memoryFit = memoryFit;
  if (Number.isFinite(maxFit)) out.predictedMaxFit = maxFit;
  if (firstFail !== undefined) out.oomCeiling = firstFail;
  if (fitting.length === 0 && ran.length > 0) out.allFailed = ran[0];
  return out;
}
