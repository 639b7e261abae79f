// Public shapes of a study: what runStudy takes, what it tells its listener while it runs,
// what it returns, and what readStudy gives back from the JSONL file.
import type { EvalMetrics, LrRule, NoiseScaleEstimate, Recommendation, StepMetrics, StudyPhase, TrainingConfig, TrialSummary } from '../types';

export type StudyStatus = 'completed' | 'stopped' | 'failed';

/**
 * What to tune. The current batch size, learning rate, optimizer and dataset size are explicit so
 * that a user's own config (an external command, issue 5) can be tuned as well as ours.
 */
export interface StudyOptions {
  /** Absolute path of the config file. */
  configPath: string;
  /** Passed to every TrialSpec (for an external runner: whatever it needs to start a trial). */
  config: TrainingConfig;
  /** The config's text, hashed into the study-start line (to tell whether the study is stale). */
  configText?: string;
  currentBatchSize: number;
  currentLearningRate: number;
  /** Optimizer name (`adam`, `sgd`, `momentum`, `adamw`, ...): picks the default lr rule. */
  optimizer: string;
  /** Training samples in one epoch: batch sizes above it are clamped away. */
  datasetSize: number;
  /** Whole-study wall-clock budget, seconds (default 120). */
  budgetSeconds?: number;
  minBatchSize?: number;
  maxBatchSize?: number;
  /** Explicit candidate list (instead of powers of two between min and max). */
  candidates?: number[];
  memoryLimitBytes?: number;
  /** Fraction of the memory limit kept free when predicting the largest batch (default 0.1). */
  memorySafetyMargin?: number;
  lrRule?: LrRule;
  targetLoss?: number;
  /** Trials at a time (default 1: parallel timing on one machine distorts throughput). */
  parallel?: number;
  /** True when the runner starts trials elsewhere (a cluster): parallel > 1 gives no warning. */
  remoteRunner?: boolean;
  /** Data-parallel workers per trial (default 1) and whether the config can state accumulation: the recommendation's three numbers (issue 13). */
  parallelism?: { worldSize: number; canAccumulate: boolean };
  seed?: number;
  /** Directory for the study's JSONL file; undefined: not persisted. */
  outDir?: string;
  /** Expected start-up overhead of a trial (fork + backend + data), seconds, before one is measured (default 1). */
  startupSecondsGuess?: number;
  /** Micro-batches per step of the noise-scale trial (default 4). */
  microBatches?: number;
  /**
   * Length of the run the person will train, in samples (issue 11): the config's steps/epochs, or
   * --horizon / tuner.horizon. The branch phase measures the critical batch size along it; absent
   * (and no checkpoints given): no branch phase.
   */
  horizonSamples?: number;
  /** Checkpoints of the person's own run to branch from (absolute paths; --from-checkpoint): then no trunk is trained. */
  fromCheckpoints?: string[];
  /** Run the branch phase when a horizon or checkpoints allow it (default true; false: today's early-only study). */
  branchPhase?: boolean;
  /**
   * Run even when another study on this config holds its lock (studyLock.ts). Without it such a
   * study is refused (status failed, with who holds the lock): two studies on one config time
   * their trials on the same machine and distort each other's results.
   */
  force?: boolean;
}

/** How the budget will be spent, said up front. */
export interface StudyPlan {
  budgetSeconds: number;
  startupSecondsPerTrial: number;
  candidates: number[];
  profile: { seconds: number; fraction: number; trials: number; secondsPerTrial: number; warmupSteps: number };
  noise: { seconds: number; fraction: number; trials: number; secondsPerTrial: number; microBatches: number };
  convergence: { seconds: number; fraction: number; candidates: number; seeds: number; secondsPerTrial: number };
  /** Branched trials along the run (issue 11); absent or 0 s: the study has no branch phase (see warnings). */
  branch?: { seconds: number; fraction: number };
  /** Noise-scale fit, recommendation and slack for start-up variance. */
  reserve: { seconds: number; fraction: number };
  parallel: number;
  lrRule: LrRule;
  memoryLimitBytes?: number;
  warnings: string[];
  /** One line a person can read: "profile ~40% (9 trials x 2.9 s), convergence ~50% ...". */
  summary: string;
}

/** A down-sampled series of one trial, for charts (keeps study files small). */
export interface TrialSeries {
  steps: Array<Pick<StepMetrics, 'step' | 'samples' | 'time' | 'loss'> & { peakMemoryBytes?: number; samplesPerSecond?: number }>;
  evals: EvalMetrics[];
}

export type StudyEvent =
  | { type: 'plan'; plan: StudyPlan }
  | { type: 'phase'; phase: StudyPhase; message: string; progress: number }
  /** Overall progress in [0, 1] and elapsed seconds, at least once per trial step batch. */
  | { type: 'progress'; phase: StudyPhase; progress: number; elapsedSeconds: number; message: string }
  | { type: 'trial-start'; trialId: string; phase: StudyPhase; batchSize: number; learningRate: number; seed: number; maxSeconds?: number }
  | { type: 'step'; trialId: string; phase: StudyPhase; metrics: StepMetrics }
  | { type: 'eval'; trialId: string; phase: StudyPhase; metrics: EvalMetrics }
  | { type: 'trial-end'; trial: TrialSummary; series: TrialSeries }
  | { type: 'noise-scale'; estimate: NoiseScaleEstimate }
  | { type: 'recommendation'; recommendation: Recommendation }
  | { type: 'warning'; message: string }
  | { type: 'done'; status: StudyStatus; reason?: string; recommendation?: Recommendation; studyFile?: string };

export type StudyListener = (event: StudyEvent) => void;

export interface StudyOutcome {
  id: string;
  status: StudyStatus;
  reason?: string;
  recommendation?: Recommendation;
  noiseScale?: NoiseScaleEstimate;
  plan: StudyPlan;
  trials: Array<TrialSummary & { series: TrialSeries }>;
  studyFile?: string;
  elapsedSeconds: number;
  /** The study that holds this config's lock, when this one was refused for it (see StudyOptions.force). */
  lockedBy?: LockHolder;
}

/** Who holds a config's study lock (the lock file's content, studyLock.ts). */
export interface LockHolder extends WriterIdentity {
  configPath: string;
  /** When the holder took the lock (ISO 8601). */
  since: string;
  studyFile?: string;
}

// ---------------------------------------------------------------------------------------------
// The JSONL file: one line per event. `v` is the file format version.

export const STUDY_FILE_VERSION = 1;

/** The process writing a study: with its start time, an identity that survives pid reuse. */
export interface WriterIdentity {
  pid: number;
  /** Start time of the process in clock ticks after boot (/proc/<pid>/stat field 22; Linux only). */
  startTicks?: number;
  /** Where it runs: a study folder on a shared disk may be written from another machine. */
  host?: string;
}

export interface StudyStartLine {
  v: 1;
  type: 'study-start';
  id: string;
  time: string;
  configPath: string;
  configHash?: string;
  /** Who writes the file (absent in studies written before it was recorded). */
  writer?: WriterIdentity;
  currentBatchSize: number;
  currentLearningRate: number;
  optimizer: string;
  datasetSize: number;
  settings: {
    budgetSeconds: number;
    minBatchSize: number;
    maxBatchSize: number;
    candidates?: number[];
    memoryLimitBytes?: number;
    lrRule: LrRule;
    targetLoss?: number;
    parallel: number;
    seed: number;
    /** The run's length the branch phase measured along, samples (issue 11). */
    horizonSamples?: number;
    /** The person's checkpoints it branched from. */
    fromCheckpoints?: string[];
  };
}

export type StudyLine =
  | StudyStartLine
  | { v: 1; type: 'plan'; time: string; plan: StudyPlan }
  | { v: 1; type: 'phase'; time: string; phase: StudyPhase; message: string }
  | { v: 1; type: 'trial-start'; time: string; trialId: string; phase: StudyPhase; batchSize: number; learningRate: number; seed: number }
  | { v: 1; type: 'trial-end'; time: string; trial: TrialSummary; series: TrialSeries }
  | { v: 1; type: 'noise-scale'; time: string; estimate: NoiseScaleEstimate }
  | { v: 1; type: 'recommendation'; time: string; recommendation: Recommendation }
  | { v: 1; type: 'warning'; time: string; message: string }
  | { v: 1; type: 'study-end'; time: string; status: StudyStatus; reason?: string; elapsedSeconds: number };

/**
 * What a study file says about its study: how it ended (completed, stopped, failed), or, without
 * an end line, `running` (its process is alive, or it runs on another machine) or `interrupted`
 * (its process is gone: killed, crashed or the machine restarted; `reason` says which process).
 */
export type StudyFileStatus = StudyStatus | 'running' | 'interrupted';

/** A line of a study file that could not be read, and why (a torn last line after a crash, a hand edit). */
export interface SkippedLine {
  /** 1-based line number. */
  line: number;
  reason: string;
}

/** A study read back from its file. */
export interface StudyRecord {
  file: string;
  id: string;
  start: StudyStartLine;
  startedAt: string;
  endedAt?: string;
  status: StudyFileStatus;
  /** Why it failed or stopped, or which process was interrupted. */
  reason?: string;
  plan?: StudyPlan;
  phases: Array<{ phase: StudyPhase; message: string; time: string }>;
  trials: Array<TrialSummary & { series: TrialSeries }>;
  noiseScale?: NoiseScaleEstimate;
  recommendation?: Recommendation;
  warnings: string[];
  elapsedSeconds?: number;
  /** Lines that could not be read: not JSON, not UTF-8, or not the shape of their type (see `skipped`). */
  skippedLines: number;
  /** The first few skipped lines and why (at most 5; `skippedLines` counts them all). */
  skipped?: SkippedLine[];
}

/** A short entry for lists (the sidebar). */
export interface StudyListEntry {
  file: string;
  id: string;
  configPath: string;
  startedAt: string;
  status: StudyFileStatus;
  /** Why it failed or stopped, or which process was interrupted. */
  reason?: string;
  recommendedBatchSize?: number;
  speedupVsCurrent?: number;
  trials: number;
}
