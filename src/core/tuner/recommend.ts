// The recommendation: the goodput argmax under the memory limit, corrected by what the convergence
// trials measured, with every number it used kept as evidence.
import type { BatchSizeChoice, CandidateEvidence, LrRule, NoiseScaleEstimate, Recommendation } from '../types';
import { goodput, goodputArgmax, timeToTarget } from './goodput';
import type { MemoryFit } from './memoryFit';
import { interpolateThroughput } from './throughput';
import { mean } from './stats';

/** A profiled batch size: the measured part of its evidence, before goodput and times are derived. */
export type ProfiledCandidate = Pick<CandidateEvidence, 'batchSize' | 'status' | 'samplesPerSecond' | 'samplesPerSecondIqr' | 'peakMemoryBytes' | 'fits'> & {
  /** Not run (throughput had saturated, or no time), but below the memory ceiling and the memory fit's limit. */
  predictedToFit?: boolean;
  learningRate: number;
};

/** What the convergence trials at one batch size measured (one entry per seed). */
export interface ConvergenceMeasurement {
  batchSize: number;
  learningRate: number;
  /** Validation loss at the end of each seed's trial (NaN/Infinity when it diverged). */
  finalValLosses: number[];
  /** Training seconds at which each seed first reached the target loss (undefined: never). */
  timesToTarget: Array<number | undefined>;
}

export interface RecommendInput {
  current: { batchSize: number; learningRate: number };
  candidates: ProfiledCandidate[];
  noiseScale?: NoiseScaleEstimate;
  convergence: ConvergenceMeasurement[];
  lrRule: LrRule;
  targetLoss?: number;
  /** S_min of T(B) ~ S_min (B + B_noise)/X(B), when a reference trial reached the target. */
  minSteps?: number;
  memoryLimitBytes?: number;
  memoryFit?: MemoryFit;
  predictedMaxFit?: number;
  oomCeiling?: number;
  notes?: string[];
}

/** Mean and range over seeds; a diverged seed makes the mean +Infinity (it did not converge). */
export function summarizeLosses(losses: readonly number[]): { mean: number; spread: number } | undefined {
  if (losses.length === 0) return undefined;
  if (losses.some((l) => !Number.isFinite(l))) return { mean: Infinity, spread: 0 };
  return { mean: mean(losses), spread: Math.max(...losses) - Math.min(...losses) };
}

/** Mean time to target over the seeds, only when every seed reached it. */
function meanTimeToTarget(m: ConvergenceMeasurement): number | undefined {
  if (m.timesToTarget.length === 0 || m.timesToTarget.some((t) => t === undefined)) return undefined;
  return mean(m.timesToTarget as number[]);
}

/**
 * Picks the batch size. The model's pick (goodput argmax) stands unless a measured candidate
 * reached a lower validation loss in the same wall-clock time by more than the seeds' mean spread
 * (and at least 2%, the single-seed noise seen on MNIST): then the measurement wins, and both stay in the evidence.
 */
export function recommend(input: RecommendInput): Recommendation | undefined {
  const notes = [...(input.notes ?? [])];
  const measured = input.candidates.filter((c) => c.samplesPerSecond !== undefined && c.samplesPerSecond > 0);
  const fitting = measured.filter((c) => c.fits) as Array<ProfiledCandidate & { samplesPerSecond: number }>;
  if (fitting.length === 0) return undefined;

  let bNoise = input.noiseScale?.value;
  if (bNoise === undefined || !Number.isFinite(bNoise)) {
    bNoise = input.current.batchSize;
    notes.push(`no gradient-noise statistics were reported: assumed B_noise = the current batch size (${bNoise}); the convergence trials carry more weight`);
  }
  const points = fitting.map((c) => ({ batchSize: c.batchSize, samplesPerSecond: c.samplesPerSecond }));
  const xCurrent = measured.find((c) => c.batchSize === input.current.batchSize)?.samplesPerSecond ?? interpolateThroughput(points, input.current.batchSize);
  const predictedTime = (b: number, x: number | undefined) =>
    input.minSteps !== undefined && x !== undefined && x > 0 ? timeToTarget(input.minSteps, x, b, bNoise as number) : undefined;

  const bestGoodput = Math.max(...fitting.map((c) => goodput(c.samplesPerSecond, c.batchSize, bNoise as number)));
  const conv = new Map(input.convergence.map((m) => [m.batchSize, m]));
  const evidence: CandidateEvidence[] = input.candidates.map((c) => {
    const e: CandidateEvidence = { batchSize: c.batchSize, status: c.status, fits: c.fits, learningRate: c.learningRate };
    if (c.samplesPerSecond !== undefined) e.samplesPerSecond = c.samplesPerSecond;
    if (c.samplesPerSecondIqr) e.samplesPerSecondIqr = c.samplesPerSecondIqr;
    if (c.peakMemoryBytes !== undefined) e.peakMemoryBytes = c.peakMemoryBytes;
    if (c.samplesPerSecond && c.samplesPerSecond > 0) {
      e.goodput = goodput(c.samplesPerSecond, c.batchSize, bNoise as number) / bestGoodput;
      const t = predictedTime(c.batchSize, c.samplesPerSecond);
      if (t !== undefined) e.predictedTimeToTarget = t;
    }
    const m = conv.get(c.batchSize);
    const s = m && summarizeLosses(m.finalValLosses);
    if (m && s) {
      e.measuredLoss = s.mean;
      e.measuredLossSpread = s.spread;
      const t = meanTimeToTarget(m);
      if (t !== undefined) e.measuredTimeToTarget = t;
    }
    return e;
  });

  const modelPick = goodputArgmax(fitting, bNoise) as ProfiledCandidate & { samplesPerSecond: number };
  let pick = modelPick;
  const mp = evidence.find((e) => e.batchSize === modelPick.batchSize);
  const measuredFits = evidence.filter((e) => e.fits && e.measuredLoss !== undefined && Number.isFinite(e.measuredLoss));
  const bestMeasured = measuredFits.sort((a, b) => (a.measuredLoss as number) - (b.measuredLoss as number))[0];
  if (bestMeasured && bestMeasured.batchSize !== modelPick.batchSize) {
    const pickLoss = mp?.measuredLoss;
    const tol = Math.max(((bestMeasured.measuredLossSpread ?? 0) + (mp?.measuredLossSpread ?? 0)) / 2, 0.02 * Math.abs(pickLoss ?? 0));
    if (pickLoss === undefined || !Number.isFinite(pickLoss) || (bestMeasured.measuredLoss as number) < pickLoss - tol) {
      const replacement = fitting.find((c) => c.batchSize === bestMeasured.batchSize);
      if (replacement) {
        notes.push(
          pickLoss === undefined
            ? `the goodput model picked ${modelPick.batchSize}, which had no convergence trial; ${replacement.batchSize} reached the lowest measured loss`
            : `the goodput model picked ${modelPick.batchSize} (val loss ${fmt(pickLoss)}), but ${replacement.batchSize} reached ${fmt(bestMeasured.measuredLoss as number)} in the same time: the measurement wins`,
        );
        pick = replacement;
      }
    } else if (pickLoss !== undefined) {
      notes.push(`the convergence trials agree with the goodput model within their spread (pick ${modelPick.batchSize}: val loss ${fmt(pickLoss)})`);
    }
  }

  const measuredAll = evidence.filter((e) => e.measuredLoss !== undefined);
  if (measuredAll.length > 0 && measuredAll.every((e) => !Number.isFinite(e.measuredLoss as number)))
    notes.push('every convergence trial diverged (loss NaN/Infinity): lower the learning rate in the config, or use --lr-rule sqrt/none');
  const choice = (c: ProfiledCandidate & { samplesPerSecond: number }, reason: string): BatchSizeChoice => {
    const out: BatchSizeChoice = { batchSize: c.batchSize, learningRate: c.learningRate, samplesPerSecond: c.samplesPerSecond, reason };
    const t = predictedTime(c.batchSize, c.samplesPerSecond);
    if (t !== undefined) out.predictedTimeToTarget = t;
    if (c.peakMemoryBytes !== undefined) out.peakMemoryBytes = c.peakMemoryBytes;
    return out;
  };
  // Lightning's BatchSizeFinder / Accelerate would climb to the largest size that fits, including
  // sizes we did not run because throughput had already saturated (X extrapolated flat).
  const largestRan = fitting.reduce((a, b) => (b.batchSize > a.batchSize ? b : a));
  const largestPredicted = input.candidates.filter((c) => c.predictedToFit && c.batchSize > largestRan.batchSize).sort((a, b) => b.batchSize - a.batchSize)[0];
  const largestX = largestPredicted ? interpolateThroughput(points, largestPredicted.batchSize) : undefined;
  const largest = largestPredicted && largestX !== undefined ? { ...largestPredicted, samplesPerSecond: largestX } : largestRan;
  const fastest = fitting.reduce((a, b) => (b.samplesPerSecond > a.samplesPerSecond ? b : a));
  const smallest = fitting.reduce((a, b) => (b.batchSize < a.batchSize ? b : a));

  const gPick = goodput(pick.samplesPerSecond, pick.batchSize, bNoise);
  const gCurrent = xCurrent !== undefined ? goodput(xCurrent, input.current.batchSize, bNoise) : undefined;
  // T(current)/T(pick) = goodput(pick)/goodput(current): S_min cancels.
  const speedup = gCurrent !== undefined && gCurrent > 0 ? gPick / gCurrent : 1;
  const rec: Recommendation = {
    batchSize: pick.batchSize,
    learningRate: pick.learningRate,
    speedupVsCurrent: pick.batchSize === input.current.batchSize ? 1 : speedup,
    current: { batchSize: input.current.batchSize, learningRate: input.current.learningRate },
    noiseScale: input.noiseScale,
    alternatives: {
      largestThatFits: choice(
        largest,
        largest === largestRan
          ? 'the largest batch that ran under the memory limit (what Lightning BatchSizeFinder / Accelerate find_executable_batch_size pick)'
          : 'the largest batch under the memory limit (what Lightning BatchSizeFinder / Accelerate find_executable_batch_size pick); not run because throughput had saturated, so its throughput is extrapolated',
      ),
      maxThroughput: choice(fastest, 'the highest raw throughput (samples/s)'),
      mostSampleEfficient: choice(smallest, 'the fewest samples to the target loss (smallest batch: E(B) ~ E_min (1 + B/B_noise))'),
    },
    candidates: evidence,
    evidence: { lrRule: input.lrRule, goodputPick: modelPick.batchSize, notes },
  };
  const tPick = predictedTime(pick.batchSize, pick.samplesPerSecond);
  if (tPick !== undefined) rec.predictedTimeToTarget = tPick;
  const tCur = predictedTime(input.current.batchSize, xCurrent);
  if (tCur !== undefined) rec.current.predictedTimeToTarget = tCur;
  if (input.memoryLimitBytes !== undefined) rec.evidence.memoryLimitBytes = input.memoryLimitBytes;
  if (input.memoryFit) rec.evidence.memoryFit = input.memoryFit;
  if (input.predictedMaxFit !== undefined && Number.isFinite(input.predictedMaxFit)) rec.evidence.predictedMaxFit = input.predictedMaxFit;
  if (input.oomCeiling !== undefined) rec.evidence.oomCeiling = input.oomCeiling;
  if (input.targetLoss !== undefined) rec.evidence.targetLoss = input.targetLoss;
  if (input.minSteps !== undefined) rec.evidence.minSteps = input.minSteps;
  const mCur = conv.get(input.current.batchSize);
  const mPick = conv.get(pick.batchSize);
  const tmCur = mCur && meanTimeToTarget(mCur);
  const tmPick = mPick && meanTimeToTarget(mPick);
  if (tmCur !== undefined && tmPick !== undefined && tmPick > 0) rec.evidence.measuredSpeedupVsCurrent = tmCur / tmPick;
  return rec;
}

function fmt(x: number): string {
  return Number.isFinite(x) ? x.toPrecision(4) : String(x);
}
