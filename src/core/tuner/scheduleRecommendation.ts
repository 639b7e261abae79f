// Recommends a batch-size schedule when the gradient noise scale grows during training.
// B_noise rises as the loss falls (McCandlish et al. 2018, sec. 3.3), so the goodput-optimal batch
// X(B)/(B + B_noise) grows too: a batch that follows it can reach the target sooner than any fixed
// size. The model (DESIGN.md "Time to a target loss"): training is a sequence of phases, each with
// its local B_noise; a phase needs S(B) = S_min(1 + B_noise/B) steps at batch B, i.e.
// E(B) = E_min(1 + B/B_noise) samples (McCandlish et al. 2018, eq. 2.11-2.12), taking
// S(B)*B/X(B) seconds; the schedule's time is the sum over phases. X(B) is the profile's fitted
// step-time model when there is one. A schedule is proposed only when it is predicted at least
// MIN_SCHEDULE_SPEEDUP faster than the best fixed size: less is within the noise of the prediction.
import type { BatchScheduleSpec, CandidateEvidence, ScheduleRecommendation } from '../types';
import { linearRampBatchSize } from '../schedule/linearRamp';
import { goodputArgmax } from './goodput';
import { modelThroughput, type StepTimeParams } from './stepTimeModel';
import { interpolateThroughput } from './throughput';

export interface ScheduleRecommendationInput {
  /** B_noise over training, one point per window of steps, `samples` = end of the window. */
  noiseHistory: Array<{ samples: number; loss: number; value: number }>;
  candidates: CandidateEvidence[];
  bestFixed: { batchSize: number; predictedTimeToTarget?: number };
  maxBatchSize?: number;
  /** Samples the measured run needs to the target; the last B_noise holds after the history ends. */
  totalSamples?: number;
  /** Batch size of the run the history was measured in (default: bestFixed.batchSize). */
  measuredBatchSize?: number;
  /** The profile's step-time model: X(B) = B/t(B) (else the candidates' measured points, interpolated). */
  throughput?: StepTimeParams;
}

/** Smallest predicted gain over the best fixed size for which a schedule is proposed (the band's 10%). */
export const MIN_SCHEDULE_SPEEDUP = 1.1;

/** B_noise must grow by more than this across the history before a schedule is worth its complexity. */
export const MIN_NOISE_GROWTH = 2;

/** A stretch of training with one B_noise; `progress` in E_min units (samples at a vanishing batch). */
export interface TrainingPhase {
  progress: number;
  noiseScale: number;
}

/**
 * Phases from the history: point i covers (samples_{i-1}, samples_i]; a run at batch Bm spent
 * Delta s samples there, which is Delta s / (1 + Bm/B_noise) in E_min units (eq. 2.12 inverted).
 */
export function phasesFromHistory(
  history: ReadonlyArray<{ samples: number; value: number }>,
  measuredBatchSize: number,
  totalSamples?: number,
): TrainingPhase[] {
  const pts = history.filter((h) => Number.isFinite(h.value) && h.value > 0 && h.samples > 0).sort((a, b) => a.samples - b.samples);
  const phases: TrainingPhase[] = [];
  let prev = 0;
  for (const p of pts) {
    if (p.samples > prev) phases.push({ progress: (p.samples - prev) / (1 + measuredBatchSize / p.value), noiseScale: p.value });
    prev = Math.max(prev, p.samples);
  }
  const last = pts[pts.length - 1];
  if (last && totalSamples !== undefined && totalSamples > prev)
    phases.push({ progress: (totalSamples - prev) / (1 + measuredBatchSize / last.value), noiseScale: last.value });
  return phases;
}

/** Predicted wall time and samples of a batch-size policy over the phases (Sum of E(B)/X(B)). */
export function simulatePolicy(
  phases: readonly TrainingPhase[],
  batchSizeAt: (samplesSeen: number) => number,
  throughput: (batchSize: number) => number,
  piecesPerPhase = 64,
): { seconds: number; samples: number } {
  let seconds = 0;
  let samples = 0;
  for (const ph of phases) {
    const dp = ph.progress / piecesPerPhase;
    for (let i = 0; i < piecesPerPhase; i++) {
      const b = batchSizeAt(samples);
      const ds = dp * (1 + b / ph.noiseScale);
      seconds += ds / throughput(b);
      samples += ds;
    }
  }
  return { seconds, samples };
}

/** The step-time model in the config's words (batch_schedule.throughput). */
export function adaptiveThroughput(p: StepTimeParams): NonNullable<Extract<BatchScheduleSpec, { kind: 'adaptive' }>['throughput']> {
  return {
    overhead_seconds: p.overheadSeconds,
    per_sample_seconds: p.perSampleSeconds,
    ...(p.quadraticSeconds > 0 ? { per_sample_squared_seconds: p.quadraticSeconds } : {}),
  };
}

const pct = (x: number) => Math.max(5, Math.min(100, Math.round((x * 100) / 5) * 5));

export function recommendSchedule(input: ScheduleRecommendationInput): ScheduleRecommendation | undefined {
  const hist = input.noiseHistory.filter((h) => Number.isFinite(h.value) && h.value > 0).sort((a, b) => a.samples - b.samples);
  if (hist.length < 2) return undefined;
  const growth = hist[hist.length - 1].value / hist[0].value;
  if (!(growth > MIN_NOISE_GROWTH)) return undefined;

  const cap = input.maxBatchSize ?? Infinity;
  const model = input.throughput;
  const measured = input.candidates.filter((c) => c.fits && (c.samplesPerSecond ?? 0) > 0 && c.batchSize <= cap);
  const points = measured.map((c) => ({
    batchSize: c.batchSize,
    samplesPerSecond: model ? modelThroughput(model, c.batchSize) : (c.samplesPerSecond as number),
    fits: true,
  }));
  // Without a throughput curve nothing can be predicted, and an unpredicted schedule is not proposed.
  if (points.length < 2) return undefined;

  const Bm = input.measuredBatchSize ?? input.bestFixed.batchSize;
  const phases = phasesFromHistory(hist, Bm, input.totalSamples);
  const X = (b: number) => (model ? modelThroughput(model, b) : (interpolateThroughput(points, b) as number));
  const best = phases.map((ph) => goodputArgmax(points, ph.noiseScale)?.batchSize ?? input.bestFixed.batchSize);
  const from = best[0];
  const to = Math.max(...best);
  if (!(to > from)) return undefined;

  // Where the per-phase optimum first reaches `to`, in the samples of a run following that optimum.
  let reach = 0;
  for (let i = 0; i < phases.length && best[i] < to; i++) reach += phases[i].progress * (1 + best[i] / phases[i].noiseScale);
  const reachSamples = Math.max(1, Math.round(reach));
  let chosen: { spec: Extract<BatchScheduleSpec, { kind: 'linear_ramp' }>; seconds: number; samples: number } | undefined;
  for (const f of [0.25, 0.5, 0.75, 1, 1.5, 2]) {
    const spec = { kind: 'linear_ramp' as const, from, to, over_samples: Math.max(1, Math.round(reachSamples * f)) };
    const r = simulatePolicy(phases, (s) => linearRampBatchSize(spec, s, Infinity), X);
    if (!chosen || r.seconds < chosen.seconds) chosen = { spec, ...r };
  }
  if (!chosen) return undefined;
  // Against the best fixed size under the same phases (not only the pick): the claim is "faster than any fixed size".
  const fixedTimes = [...new Set([input.bestFixed.batchSize, ...points.map((p) => p.batchSize)])].map((b) => ({
    b,
    seconds: simulatePolicy(phases, () => b, X).seconds,
  }));
  const fixed = fixedTimes.reduce((a, f) => (f.seconds < a.seconds ? f : a));
  const pickFixed = fixedTimes.find((f) => f.b === input.bestFixed.batchSize) as { seconds: number };
  const speedup = fixed.seconds / chosen.seconds;
  // A schedule not predicted clearly faster than the best fixed size is not worth its complexity.
  if (!(speedup >= MIN_SCHEDULE_SPEEDUP)) return undefined;
  const predicted =
    input.bestFixed.predictedTimeToTarget !== undefined
      ? (input.bestFixed.predictedTimeToTarget * chosen.seconds) / pickFixed.seconds
      : input.totalSamples !== undefined
        ? chosen.seconds
        : undefined;
  const out: ScheduleRecommendation = {
    description: `start at ${from}, reach ${to} by ${pct(chosen.spec.over_samples / chosen.samples)}% of training (B_noise grew ${growth.toFixed(1)}x; predicted ${speedup.toFixed(2)}x faster than the best fixed size, ${fixed.b})`,
    schedule: chosen.spec,
    predictedTimeToTarget: predicted,
    speedupVsBestFixed: speedup,
  };
  if (model) out.adaptiveAlternative = { kind: 'adaptive', every_steps: 25, min_batch_size: from, max_batch_size: to, throughput: adaptiveThroughput(model) };
  return out;
}
