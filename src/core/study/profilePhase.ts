// Phase 1, profile: every candidate batch size runs in two interleaved rounds (ascending, then
// descending), so a change in the machine's load hits every size alike (RECIPES.md section 7);
// each trial's measured steps are cut into short windows, and a robust step-time model is fitted
// to all of them (../tuner/stepTimeModel.ts). peak(B) ~ a + b*B predicts the largest batch under
// the memory limit; a prediction far past the profiled sizes is checked by one real trial; a real
// OOM/crash is the ceiling, found by bisection; climbing stops when throughput saturates. No
// micro-batches here: they slow small batches more than large ones and would bias throughput.
import type { MemoryCheck, TrialSpec } from '../types';
import { nextBisection } from '../tuner/candidates';
import { cappedMaxFit, fitMemory, memoryCheckSize, memoryPredictionError, predictPeakMemory, type MemoryFit } from '../tuner/memoryFit';
import { scaleLearningRate } from '../tuner/lrScaling';
import { median, quantile } from '../tuner/stats';
import { interpolateThroughput, measuredThroughput, stepTimeWindows, throughputSaturated, type StepTimeWindow } from '../tuner/throughput';
import { fitStepTimeModel, MIN_MODEL_BATCH_SIZES, modelThroughput } from '../tuner/stepTimeModel';
import { throughputFromWindows } from '../tuner/throughputModel';
import type { ProfiledCandidate, ThroughputInput } from '../tuner/recommend';
import type { CompletedTrial, StudyContext } from './context';

export interface ProfileOutcome {
  candidates: ProfiledCandidate[];
  /** Trials that ran and fit, both rounds (ascending batch size). */
  fitting: CompletedTrial[];
  /** The step-time model over every window of the fitting trials (undefined: fewer than 3 sizes). */
  throughput?: ThroughputInput;
  memoryFit?: MemoryFit;
  predictedMaxFit?: number;
  memoryCheck?: MemoryCheck;
  /** First batch size that failed for memory (OOM/crash, or measured over the limit). */
  oomCeiling?: number;
  /** Every trial that ran failed: the first failure, for the message. */
  allFailed?: CompletedTrial;
}

export function profileSpec(ctx: StudyContext, batchSize: number, secondsPerTrial: number, round = 1): TrialSpec {
  const o = ctx.options;
  const s = ctx.settings;
  return {
    id: round === 1 ? `profile-${batchSize}` : `profile-${batchSize}-r${round}`,
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

/** The state the profile builds up trial by trial. */
class ProfileState {
  readonly byBatch = new Map<number, ProfiledCandidate>();
  readonly fitting: CompletedTrial[] = [];
  readonly ran: CompletedTrial[] = [];
  readonly windows: StepTimeWindow[] = [];
  lastOk?: number;
  firstFail?: number;
  memoryFit?: MemoryFit;
  maxFit = Infinity;

  constructor(private readonly ctx: StudyContext) {}

  lr(b: number): number {
    return scaleLearningRate(this.ctx.options.currentLearningRate, this.ctx.options.currentBatchSize, b, this.ctx.settings.lrRule);
  }

  skip(b: number, status: 'skipped' | 'predicted'): void {
    const predictedToFit = status === 'skipped' && b <= this.maxFit && (this.firstFail === undefined || b < this.firstFail);
    this.byBatch.set(b, { batchSize: b, status, fits: false, learningRate: this.lr(b), ...(predictedToFit ? { predictedToFit } : {}) });
  }

  /** Records a trial of round 1 (or a memory check / bisection): it decides what fits. */
  record(t: CompletedTrial, round = 1): void {
    const s = this.ctx.settings;
    const limit = s.memoryLimitBytes;
    this.ran.push(t);
    const b = t.result.batchSize;
    const tp = measuredThroughput(t.result.steps, s.warmupSteps);
    const peak = t.result.peakMemoryBytes ?? Math.max(0, ...t.result.steps.map((m) => m.peakMemoryBytes ?? 0));
    const ok = t.result.status === 'ok' && tp !== undefined;
    const overLimit = ok && limit !== undefined && peak > limit;
    const c: ProfiledCandidate = { batchSize: b, status: t.result.status, fits: ok && !overLimit, learningRate: t.result.learningRate };
    if (peak > 0) c.peakMemoryBytes = peak;
    this.byBatch.set(b, c);
    if (c.fits) {
      this.addWindows(t, round);
      this.fitting.push(t);
      if (this.lastOk === undefined || b > this.lastOk) this.lastOk = b;
    } else if (overLimit || t.result.status === 'oom' || t.result.status === 'crashed') {
      // Memory is the usual reason a larger batch crashes; treat the crash as the ceiling.
      if (this.firstFail === undefined || b < this.firstFail) this.firstFail = b;
      if (overLimit) this.ctx.warn(`batch ${b} peaked at ${peak} bytes, over the memory limit of ${limit} bytes`);
    }
    this.refitMemory();
  }

  /** A later round's trial adds windows (and a higher peak) to a size that already fits. */
  recordRepeat(t: CompletedTrial, round: number): void {
    const c = this.byBatch.get(t.result.batchSize);
    if (!c || t.result.status !== 'ok' || measuredThroughput(t.result.steps, this.ctx.settings.warmupSteps) === undefined) {
      this.ctx.warn(
        `profile round ${round} at batch ${t.result.batchSize} ended ${t.result.status}${t.result.error ? ` (${t.result.error.message})` : ''}: its first round's measurement stands alone`,
      );
      return;
    }
    this.ran.push(t);
    this.fitting.push(t);
    this.addWindows(t, round);
    const peak = t.result.peakMemoryBytes ?? 0;
    if (peak > (c.peakMemoryBytes ?? 0)) c.peakMemoryBytes = peak;
  }

  private addWindows(t: CompletedTrial, round: number): void {
    const ws = stepTimeWindows(t.result.steps, this.ctx.settings.warmupSteps, t.result.id, round);
    this.windows.push(...ws);
    const c = this.byBatch.get(t.result.batchSize);
    if (!c) return;
    // The size's measured throughput: median and quartiles over all its windows, every round.
    const rates = this.windows.filter((w) => w.batchSize === c.batchSize).map((w) => w.batchSize / w.stepSeconds);
    c.samplesPerSecond = median(rates);
    c.samplesPerSecondIqr = [quantile(rates, 0.25), quantile(rates, 0.75)];
    c.throughputWindows = rates.length;
  }

  private refitMemory(): void {
    const s = this.ctx.settings;
    const pts = [...this.byBatch.values()].filter((p) => p.peakMemoryBytes !== undefined && p.status === 'ok');
    if (pts.length < 2) return;
    this.memoryFit = fitMemory(pts.map((p) => ({ batchSize: p.batchSize, peakMemoryBytes: p.peakMemoryBytes as number })));
    if (this.memoryFit && s.memoryLimitBytes !== undefined)
      this.maxFit = cappedMaxFit(this.memoryFit, s.memoryLimitBytes, s.memorySafetyMargin, {
        datasetSize: this.ctx.options.datasetSize,
        maxBatchSize: s.maxBatchSize,
      });
  }

  /**
   * X(B) at the sizes that fit, for the saturation check: the step-time model fitted so far once
   * three sizes are in (one noisy window cannot then stop the climb), else the measured medians.
   */
  throughputPoints(): Array<{ batchSize: number; samplesPerSecond: number }> {
    const model = fitStepTimeModel(this.windows);
    return [...this.byBatch.values()]
      .filter((p) => p.fits && p.samplesPerSecond !== undefined)
      .map((p) => ({ batchSize: p.batchSize, samplesPerSecond: model ? modelThroughput(model, p.batchSize) : (p.samplesPerSecond as number) }));
  }
}

/**
 * Round 1, ascending: climbs until memory, saturation or time says stop. Its own deadline gives way
 * until three sizes fit (what a model needs), up to the profile's: coverage before interleaving.
 */
async function ascendingRound(ctx: StudyContext, st: ProfileState, secondsPerTrial: number, roundDeadline: number, deadlineSeconds: number): Promise<void> {
  const s = ctx.settings;
  const current = ctx.options.currentBatchSize;
  const pending = [...s.candidates];
  while (pending.length > 0 && !ctx.aborted) {
    // The next up-to-`parallel` candidates still worth running, in ascending order.
    const batch: number[] = [];
    while (pending.length > 0 && batch.length < s.parallel) {
      const b = pending.shift() as number;
      const saturated = throughputSaturated(st.throughputPoints());
      const enough = st.fitting.length >= MIN_MODEL_BATCH_SIZES;
      const outOfTime = ctx.elapsed() > (enough ? roundDeadline : deadlineSeconds);
      if (st.firstFail !== undefined && b >= st.firstFail) st.skip(b, 'skipped');
      else if (b > st.maxFit) st.skip(b, 'predicted');
      else if ((saturated || outOfTime) && b !== current) st.skip(b, 'skipped');
      else batch.push(b);
    }
    if (batch.length === 0) continue;
    const results = await Promise.all(batch.map((b) => ctx.runTrial(profileSpec(ctx, b, secondsPerTrial), 'profile')));
    results.forEach((t) => st.record(t));
  }
  if (ctx.aborted) for (const b of pending) st.skip(b, 'skipped');
}

/**
 * One real trial at the largest batch the memory fit predicts, when that is >= 2x the largest
 * profiled: an extrapolation that far is checked, and its error reported.
 */
async function checkMemoryPrediction(ctx: StudyContext, st: ProfileState, secondsPerTrial: number, deadlineSeconds: number): Promise<MemoryCheck | undefined> {
  const fit = st.memoryFit;
  const size = st.lastOk !== undefined ? memoryCheckSize(Number.isFinite(st.maxFit) ? st.maxFit : undefined, st.lastOk) : undefined;
  if (!fit || size === undefined || ctx.aborted) return undefined;
  const predictedPeakBytes = predictPeakMemory(fit, size);
  if (ctx.elapsed() > deadlineSeconds) {
    ctx.warn(
      `the memory fit predicts batch ${size} fits, ${Math.floor(size / (st.lastOk as number))}x the largest profiled, but no time was left to check it with a trial`,
    );
    return undefined;
  }
  const t = await ctx.runTrial({ ...profileSpec(ctx, size, secondsPerTrial), id: `memory-check-${size}` }, 'profile');
  st.record(t);
  const check: MemoryCheck = { batchSize: size, predictedPeakBytes, status: t.result.status };
  const measured = st.byBatch.get(size)?.peakMemoryBytes;
  if (measured !== undefined && t.result.status === 'ok') {
    check.measuredPeakBytes = measured;
    check.relativeError = memoryPredictionError(fit, size, measured);
  }
  return check;
}

/** Round 2, descending over the sizes that fit in round 1, while time allows. */
async function descendingRound(ctx: StudyContext, st: ProfileState, sizes: readonly number[], secondsPerTrial: number, deadlineSeconds: number): Promise<void> {
  const order = [...sizes].sort((a, b) => b - a);
  for (let i = 0; i < order.length && !ctx.aborted; i += ctx.settings.parallel) {
    if (ctx.elapsed() > deadlineSeconds) {
      ctx.warn(`profile round 2 stopped for time after ${i} of ${order.length} sizes: the rest are measured in one round only`);
      return;
    }
    const group = order.slice(i, i + ctx.settings.parallel);
    const results = await Promise.all(group.map((b) => ctx.runTrial(profileSpec(ctx, b, secondsPerTrial, 2), 'profile')));
    results.forEach((t) => st.recordRepeat(t, 2));
  }
}

export async function runProfilePhase(ctx: StudyContext, secondsPerTrial: number, deadlineSeconds: number): Promise<ProfileOutcome> {
  const st = new ProfileState(ctx);
  // Round 1 may use half of what is left; the memory check and the bisection leave room for round 2.
  const t0 = ctx.elapsed();
  await ascendingRound(ctx, st, secondsPerTrial, t0 + (deadlineSeconds - t0) / 2, deadlineSeconds);
  const roundOne = [...st.byBatch.values()].filter((c) => c.fits).map((c) => c.batchSize);
  const roundTwoSeconds = Math.ceil(roundOne.length / ctx.settings.parallel) * (secondsPerTrial + ctx.startupSeconds());
  const extrasDeadline = deadlineSeconds - roundTwoSeconds;
  const memoryCheck = await checkMemoryPrediction(ctx, st, secondsPerTrial, extrasDeadline);
  // Bisection between the last success and the first failure (Lightning's binsearch).
  while (!ctx.aborted && st.lastOk !== undefined && st.firstFail !== undefined && ctx.elapsed() < extrasDeadline) {
    const mid = nextBisection(st.lastOk, st.firstFail, Math.max(1, ctx.settings.microBatches));
    if (mid === undefined || mid > st.maxFit) break;
    st.record(await ctx.runTrial(profileSpec(ctx, mid, secondsPerTrial), 'profile'));
  }
  if (!ctx.aborted) await descendingRound(ctx, st, roundOne, secondsPerTrial, deadlineSeconds);

  const out: ProfileOutcome = {
    candidates: [...st.byBatch.values()].sort((a, b) => a.batchSize - b.batchSize),
    fitting: st.fitting.sort((a, b) => a.result.batchSize - b.result.batchSize),
  };
  const throughput = throughputFromWindows(st.windows, ctx.settings.seed);
  if (throughput) out.throughput = throughput;
  if (st.memoryFit) out.memoryFit = st.memoryFit;
  if (Number.isFinite(st.maxFit)) out.predictedMaxFit = st.maxFit;
  if (memoryCheck) out.memoryCheck = memoryCheck;
  if (st.firstFail !== undefined) out.oomCeiling = st.firstFail;
  if (st.fitting.length === 0 && st.ran.length > 0) out.allFailed = st.ran[0];
  return out;
}

/** X(B) from the profile: the step-time model when there is one, else the measured points (interpolated between them only). */
export function profileThroughput(profile: ProfileOutcome): (b: number) => number | undefined {
  const model = profile.throughput?.model;
  if (model) return (b) => modelThroughput(model, b);
  const points = profile.candidates
    .filter((c) => c.fits && c.samplesPerSecond !== undefined)
    .map((c) => ({ batchSize: c.batchSize, samplesPerSecond: c.samplesPerSecond as number }));
  return (b) => interpolateThroughput(points, b);
}

/**
 * The largest batch a trial may use after the profile: the largest that ran and fit, or that the
 * memory fit predicts to fit (and was not refuted by a failure), capped by the dataset.
 */
export function profileCeiling(profile: ProfileOutcome, datasetSize: number): number {
  const sizes = profile.candidates.filter((c) => c.fits || c.predictedToFit).map((c) => c.batchSize);
  if (profile.predictedMaxFit !== undefined) sizes.push(profile.predictedMaxFit);
  let ceiling = Math.min(datasetSize, Math.max(0, ...sizes));
  if (profile.oomCeiling !== undefined) ceiling = Math.min(ceiling, profile.oomCeiling - 1);
  return ceiling;
}
