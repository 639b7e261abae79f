// Estimates and the recommendation (issues 3, 10, 11, 13): what the tuner concludes from the
// trials, shown by the CLI, the report and the panel. Declarations only; core/types.ts re-exports them.
import type { BatchScheduleSpec, LrRule, TrialStatus } from './types';

/**
 * How a number was obtained: `measured` (read off real trials), `fitted` (a model fitted to real
 * trials), or `assumed` (a default used for want of data: never shown as a measurement).
 */
export type Basis = 'measured' | 'fitted' | 'assumed';

/** Which loss a comparison of runs used: the validation loss, or the smoothed training loss when no validation loss is reported. */
export type LossSource = 'validation' | 'training';

export interface NoiseScaleEstimate {
  /** B_noise = tr(Sigma)/|G|^2 (McCandlish et al. 2018, appendix A), or fitted from S(B) = S_min (1 + B_noise/B). */
  value: number;
  /** Confidence interval (90%: bootstrap over trials and their steps, or over runs and loss levels). */
  low: number;
  high: number;
  /**
   * gradient-statistics: from the squared gradient norms the runs reported (measured);
   * loss-curves: fitted to the steps runs at >= 3 batch sizes took to common loss levels (fitted).
   * Absent in studies written before issue 10 (gradient statistics).
   */
  source?: 'gradient-statistics' | 'loss-curves';
  /** How the estimate moves as training goes on (one point per window of steps, or per loss level). */
  history?: Array<{ samples: number; loss: number; value: number; low?: number; high?: number }>;
  /** Batch size of the run whose samples `history` counts (default: the noise trial's). */
  historyBatchSize?: number;
}

export interface BatchSizeChoice {
  batchSize: number;
  learningRate: number;
  /** Predicted wall time to the target loss, seconds. */
  predictedTimeToTarget?: number;
  /** The throughput model's X(B) when there is one, else the measured median. */
  samplesPerSecond?: number;
  peakMemoryBytes?: number;
  /** Why this one, in a sentence. */
  reason: string;
}

export interface CandidateEvidence {
  batchSize: number;
  status: TrialStatus | 'predicted' | 'skipped';
  /** Measured: median samples/s over the profile trials' measured steps (the chart's point). */
  samplesPerSecond?: number;
  /** Measured: interquartile range of samples/s over those steps (the chart's spread). */
  samplesPerSecondIqr?: [number, number];
  /** Fitted: X(B) = B / t(B) of the step-time model (the chart's line; what goodput and times use). */
  fittedSamplesPerSecond?: number;
  /** Fitted: 90% bootstrap interval of the model's X(B). */
  fittedSamplesPerSecondInterval?: [number, number];
  /** Measurement windows behind this size's throughput (over all profile rounds). */
  throughputWindows?: number;
  peakMemoryBytes?: number;
  fits: boolean;
  /** X(B)/(B + B_noise), relative to the best candidate (1 = best). */
  goodput?: number;
  /** Predicted T(B) = S_min (B + B_noise)/X(B), seconds (needs a reference run that reached the target). */
  predictedTimeToTarget?: number;
  /** Predicted time to target relative to the best size (1 = best; S_min cancels, so always available). */
  relativeTimeToTarget?: number;
  /** In the near-optimal band. */
  inBand?: boolean;
  /** Loss reached in the convergence trials (mean over seeds; NaN when a run diverged) and its spread. */
  measuredLoss?: number;
  measuredLossSpread?: number;
  /** Which loss measuredLoss and measuredTimeToTarget read. */
  lossSource?: LossSource;
  /** Wall time (training seconds) at which the convergence trials first reached the target loss (mean over seeds; only when every seed reached it). */
  measuredTimeToTarget?: number;
  /** Optimizer steps at which they first reached it (mean over seeds): clock-free, so what the verdict times with the step-time model. */
  measuredStepsToTarget?: number;
  /** A convergence run at this size diverged (a NaN/Inf loss, or a loss that exploded), and why. */
  diverged?: string;
  learningRate?: number;
}

export interface ScheduleRecommendation {
  /** e.g. "start at 64, reach 512 by 60% of training" */
  description: string;
  schedule: BatchScheduleSpec;
  predictedTimeToTarget?: number;
  /** Predicted time of the best fixed size divided by the schedule's (>= 1.10 when proposed). */
  speedupVsBestFixed?: number;
  /** The same growth decided at run time: an adaptive schedule steering by goodput with the profiled throughput model. */
  adaptiveAlternative?: BatchScheduleSpec;
}

/** What the recommendation rests on, per quantity (see Basis). */
export interface RecommendationBasis {
  throughput: Basis;
  noiseScale: Basis;
  convergence: Basis;
}

/** Batch sizes whose predicted time to target is within `tolerance` of the best, given the uncertainty of throughput and noise scale. */
export interface NearOptimalBand {
  low: number;
  high: number;
  /** 0.1: within 10% of the best predicted time. */
  tolerance: number;
  /** The candidate sizes in the band. */
  sizes: number[];
  /** fitted when throughput and noise scale were measured or fitted; assumed when B_noise was assumed (the band then spans what any B_noise in range would allow). */
  basis: Basis;
  /** Why the band is what it is, when not simply the model's (e.g. extended to a measured pick, or only one size measured). */
  note?: string;
}

/** Throughput as a model: t(B) = overhead + perSample B (+ quadratic B^2), fitted robustly to profile windows. */
export interface ThroughputModelEvidence {
  overheadSeconds: number;
  perSampleSeconds: number;
  quadraticSeconds: number;
  terms: 'linear' | 'quadratic';
  /** How the terms were chosen, in words. */
  rule: string;
  /** Robust scale of the relative residuals. */
  residualScale: number;
  observations: number;
  /** rising / flat / falling: how X(B) moves across the measured sizes, beyond the bootstrap's doubt. */
  shape: 'rising' | 'flat' | 'falling';
  /** Per batch size: measured median step time against the fit. */
  residuals: Array<{ batchSize: number; measuredStepSeconds: number; fittedStepSeconds: number; relativeResidual: number; windows: number }>;
  /** Median over sizes of (second round's throughput / first round's): how much the machine drifted while profiling. */
  roundDrift?: number;
}

/** The one real trial that checks a memory prediction far beyond the profiled sizes. */
export interface MemoryCheck {
  batchSize: number;
  predictedPeakBytes: number;
  status: TrialStatus;
  measuredPeakBytes?: number;
  /** (measured - predicted) / measured. */
  relativeError?: number;
}

export interface Recommendation {
  batchSize: number;
  learningRate: number;
  /**
   * Time to target at the config's current batch size divided by the pick's: measured when the
   * convergence trials timed both (`speedupBasis: 'measured'`), else predicted by the model
   * (`'fitted'`). Absent whenever anything it depends on is assumed (see `basis`).
   */
  speedupVsCurrent?: number;
  speedupBasis?: 'measured' | 'fitted';
  predictedTimeToTarget?: number;
  current: { batchSize: number; learningRate: number; predictedTimeToTarget?: number };
  /** Near-optimal band around the pick (batch sizes). */
  band: NearOptimalBand;
  /** What the pick rests on, per quantity. */
  basis: RecommendationBasis;
  /** What the study could not determine, and why, one sentence each (empty: nothing). */
  undetermined: string[];
  /** Measured (gradient statistics) or fitted (loss curves); absent when assumed (see evidence.assumedNoiseScale). */
  noiseScale?: NoiseScaleEstimate;
  alternatives: {
    largestThatFits?: BatchSizeChoice;
    maxThroughput?: BatchSizeChoice;
    mostSampleEfficient?: BatchSizeChoice;
  };
  candidates: CandidateEvidence[];
  evidence: {
    lrRule: LrRule | 'adascale';
    memoryLimitBytes?: number;
    /** peak(B) ~ a + b*B, least squares over the profiled trials. */
    memoryFit?: { a: number; b: number; r2?: number };
    /** Largest batch predicted to fit under the memory limit (with the safety margin), capped by the dataset and the search range. */
    predictedMaxFit?: number;
    /** The real trial that checked the memory prediction, when it reached >= 2x the largest profiled batch. */
    memoryCheck?: MemoryCheck;
    /** Memory ceiling found by a real OOM/crash (first failing batch size). */
    oomCeiling?: number;
    /** The step-time model behind every throughput the recommendation uses. */
    throughputModel?: ThroughputModelEvidence;
    /** Trial start-up (process, backend, data) measured for this runner: median seconds per trial. */
    startupSeconds?: number;
    /** B_noise used because none could be measured or fitted (see `undetermined`). */
    assumedNoiseScale?: number;
    /** The other estimate of B_noise, when both were available (e.g. loss curves beside gradient statistics). */
    noiseScaleCrossCheck?: NoiseScaleEstimate;
    targetLoss?: number;
    /** Which loss the target and the measured times read. */
    lossSource?: LossSource;
    /** The goodput argmax before the convergence trials could correct it. */
    goodputPick?: number;
    /** S_min of T(B) ~ S_min (B + B_noise)/X(B), from the reference trial's steps to the target. */
    minSteps?: number;
    /** Measured time to target at the current batch size divided by the pick's (when both reached it). */
    measuredSpeedupVsCurrent?: number;
    /** The model's T(current)/T(pick) (S_min cancels), kept beside the measurement. */
    predictedSpeedupVsCurrent?: number;
    /** How predicted and measured evidence were reconciled, and what decided this pick. */
    verdict?: { rule: string; by: 'model' | 'measurement'; measuredPick?: number };
    notes: string[];
  };
  schedule?: ScheduleRecommendation;
  /** The critical batch size measured along the run by branched trials (issue 11), in order of samples. */
  criticalBatchSize?: CriticalBatchPoint[];
  /** What to train with over the whole run: a fixed size or a batch warm-up (issue 11). */
  plan?: BatchSizePlan;
  /** The pick as three numbers: micro-batch x accumulation x data-parallel workers (issue 13). */
  parallelism?: Parallelism;
}

/**
 * The critical batch size at one point of the run (Merrill et al. 2025, "Critical Batch Size
 * Revisited"): branches from a checkpoint at k x B for k = 1, 2, 4, ..., each for the same number of
 * samples; CBS = the largest batch whose smoothed loss stays within `tolerance` of the k = 1 branch.
 */
export interface CriticalBatchPoint {
  /** Training samples seen at the checkpoint the branches started from. */
  samples: number;
  step?: number;
  /** Smoothed training (or evaluation) loss at the checkpoint. */
  loss: number;
  /** The critical batch size there (a branch size), and its interval over seeds. */
  value: number;
  low: number;
  high: number;
  /** The largest size tried stayed within the tolerance: the CBS is at least `value`, maybe more. */
  atLeast?: boolean;
  /** Relative loss tolerance against the k = 1 branch (e.g. 0.01). */
  tolerance: number;
  /** How each branch's loss was smoothed and compared, in words. */
  method: string;
  /** The branch sizes tried and their final smoothed losses relative to k = 1 (1 = equal). */
  branches: Array<{ batchSize: number; relativeLoss: number; seeds: number }>;
  /** B_noise measured at the same point, beside it (McCandlish et al. 2018). */
  noiseScale?: { value: number; low: number; high: number };
  /** Where the checkpoint came from: the person's file, or made by the study. */
  checkpointSource: 'given' | 'study';
  basis: Basis;
}

/** A batch size over the run: fixed, or stages of a warm-up whose change points are measured. */
export interface BatchSizePlan {
  kind: 'fixed' | 'warmup';
  /** Stages in order; a fixed plan has one. fromSamples of the first is 0. */
  stages: Array<{ fromSamples: number; batchSize: number; learningRate: number }>;
  /** For Apply: the built-in trainer's batch_schedule (absent for a fixed plan). */
  schedule?: BatchScheduleSpec;
  /** The run's length the plan is for (the config's steps/epochs, or --horizon), samples. */
  horizonSamples: number;
  predictedSteps?: number;
  predictedSeconds?: number;
  /** The best fixed size over the same horizon, and its predicted steps and time. */
  bestFixed: { batchSize: number; predictedSteps?: number; predictedSeconds?: number };
  /** bestFixed.predictedSeconds / predictedSeconds (a warm-up is proposed only when >= 1.10). */
  speedupVsBestFixed?: number;
  basis: Basis;
  /** e.g. "64 until 120k samples, then 128, then 256 from 400k" */
  description: string;
}

/** Global batch = micro-batch x accumulation steps x data-parallel workers. */
export interface Parallelism {
  microBatchSize: number;
  accumulationSteps: number;
  worldSize: number;
  globalBatchSize: number;
  /** How the three were chosen (memory ceiling, goodput, CBS), and any adjustment made. */
  reason?: string;
}
