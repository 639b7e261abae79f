// The recommendation's evidence: each candidate's measured, fitted or predicted numbers, the
// alternatives other tools would pick, and the convergence trials in words. Split from ./recommend.ts,
// which decides the pick; this file only assembles what the pick rests on.
import type { BatchSizeChoice, CandidateEvidence, LossSource, Recommendation } from '../types';
import { mean } from './stats';
import { throughputInterval } from './stepTimeModel';
import type { ProfiledCandidate, ConvergenceMeasurement, RecommendInput, Throughput } from './recommend';

/** The inputs' evidence, copied as it was measured or fitted. */
export function copyEvidence(e: Recommendation['evidence'], input: RecommendInput): void {
  if (input.throughput) e.throughputModel = input.throughput.evidence;
  if (input.noiseScaleCrossCheck) e.noiseScaleCrossCheck = input.noiseScaleCrossCheck;
  if (input.memoryLimitBytes !== undefined) e.memoryLimitBytes = input.memoryLimitBytes;
  if (input.memoryFit) e.memoryFit = input.memoryFit;
  if (input.predictedMaxFit !== undefined && Number.isFinite(input.predictedMaxFit)) e.predictedMaxFit = input.predictedMaxFit;
  if (input.memoryCheck) e.memoryCheck = input.memoryCheck;
  if (input.oomCeiling !== undefined) e.oomCeiling = input.oomCeiling;
  if (input.targetLoss !== undefined) e.targetLoss = input.targetLoss;
  if (input.lossSource) e.lossSource = input.lossSource;
  if (input.startupSeconds !== undefined) e.startupSeconds = input.startupSeconds;
}

export function convergenceDoubt(input: RecommendInput): string {
  if (input.convergence.length === 0)
    return 'time to the target loss: no convergence trial ran (no time left in the budget), so predicted times rest on S(B) = S_min (1 + B_noise/B) alone';
  if (input.convergence.every((m) => m.finalLosses.length > 0 && m.timesToTarget.every((t) => t === undefined)))
    return 'time to the target loss: no convergence run reported a loss curve that crossed the target (a single final loss gives no time to target)';
  return 'time to the target loss: the reference run at the current batch size did not reach the target, so S_min is unknown';
}

export function candidateEvidence(
  input: RecommendInput,
  tp: Throughput,
  bNoise: number,
  bestRt: number,
  band: readonly number[],
  predicted: (b: number) => number | undefined,
): CandidateEvidence[] {
  const conv = new Map(input.convergence.map((m) => [m.batchSize, m]));
  return input.candidates.map((c) => {
    const e: CandidateEvidence = { batchSize: c.batchSize, status: c.status, fits: c.fits, learningRate: c.learningRate };
    if (c.samplesPerSecond !== undefined) e.samplesPerSecond = c.samplesPerSecond;
    if (c.samplesPerSecondIqr) e.samplesPerSecondIqr = c.samplesPerSecondIqr;
    if (c.throughputWindows !== undefined) e.throughputWindows = c.throughputWindows;
    if (c.peakMemoryBytes !== undefined) e.peakMemoryBytes = c.peakMemoryBytes;
    const x = tp.X(c.batchSize);
    if (tp.model && x !== undefined) {
      e.fittedSamplesPerSecond = x;
      const ci = input.throughput && throughputInterval(input.throughput.draws, c.batchSize);
      if (ci) e.fittedSamplesPerSecondInterval = ci;
    }
    if (x !== undefined && x > 0 && (c.fits || c.predictedToFit || tp.accumulated.has(c.batchSize))) {
      const r = (c.batchSize + bNoise) / x;
      e.goodput = bestRt / r;
      e.relativeTimeToTarget = r / bestRt;
      e.inBand = band.includes(c.batchSize);
      const t = predicted(c.batchSize);
      if (t !== undefined) e.predictedTimeToTarget = t;
    }
    const m = conv.get(c.batchSize);
    if (m) Object.assign(e, measuredConvergence(m, input.lossSource));
    return e;
  });
}

export function measuredConvergence(m: ConvergenceMeasurement, source: LossSource | undefined): Partial<CandidateEvidence> {
  const out: Partial<CandidateEvidence> = {};
  const finite = m.finalLosses.filter(Number.isFinite);
  if (finite.length > 0) {
    out.measuredLoss = mean(finite);
    out.measuredLossSpread = Math.max(...finite) - Math.min(...finite);
  }
  if (source) out.lossSource = source;
  const ts = m.timesToTarget;
  if (ts.length > 0 && ts.every((t) => t !== undefined)) out.measuredTimeToTarget = mean(ts);
  const ss = m.stepsToTarget;
  if (ss && ss.length > 0 && ss.every((t) => t !== undefined)) out.measuredStepsToTarget = mean(ss);
  const why = m.diverged.find((d) => d !== undefined);
  if (why) out.diverged = why;
  return out;
}

export function alternatives(
  input: RecommendInput,
  fitting: ReadonlyArray<ProfiledCandidate & { samplesPerSecond: number }>,
  tp: Throughput,
  predicted: (b: number) => number | undefined,
): Recommendation['alternatives'] {
  const choice = (c: ProfiledCandidate, reason: string): BatchSizeChoice => {
    const out: BatchSizeChoice = { batchSize: c.batchSize, learningRate: c.learningRate, reason };
    const x = tp.X(c.batchSize) ?? c.samplesPerSecond;
    if (x !== undefined) out.samplesPerSecond = x;
    const t = predicted(c.batchSize);
    if (t !== undefined) out.predictedTimeToTarget = t;
    if (c.peakMemoryBytes !== undefined) out.peakMemoryBytes = c.peakMemoryBytes;
    return out;
  };
  // Lightning's BatchSizeFinder / Accelerate would climb to the largest size that fits, including
  // sizes we did not run because throughput had already saturated (X from the model).
  const largestRan = fitting.reduce((a, b) => (b.batchSize > a.batchSize ? b : a));
  const beyond = input.candidates
    .filter((c) => c.predictedToFit && c.batchSize > largestRan.batchSize && tp.X(c.batchSize) !== undefined)
    .sort((a, b) => b.batchSize - a.batchSize)[0];
  const X = (c: ProfiledCandidate & { samplesPerSecond: number }) => tp.X(c.batchSize) ?? c.samplesPerSecond;
  const fastest = fitting.reduce((a, b) => (X(b) > X(a) ? b : a));
  const smallest = fitting.reduce((a, b) => (b.batchSize < a.batchSize ? b : a));
  const climb = 'the largest batch under the memory limit (what Lightning BatchSizeFinder / Accelerate find_executable_batch_size pick)';
  return {
    largestThatFits: beyond
      ? choice(beyond, `${climb}; not run because throughput had saturated, so its throughput is the model's extrapolation`)
      : choice(largestRan, `${climb}; it ran`),
    maxThroughput: choice(
      fastest,
      tp.model ? 'the highest throughput (samples/s) of the fitted model among the sizes measured' : 'the highest measured throughput (samples/s)',
    ),
    mostSampleEfficient: choice(smallest, 'the fewest samples to the target loss (smallest batch: E(B) ~ E_min (1 + B/B_noise))'),
  };
}
