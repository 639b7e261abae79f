// The data that flows one way through Batch Tuner:
//   config -> plan -> trials -> measurements -> estimates -> recommendation -> edit.
// Shared by the extension host, the CLI, the trainer child process and the tests.
// No `vscode` import here (nor anywhere under src/core).

/** A training config after schema validation (see schemas/training-config.schema.json). */
export interface TrainingConfig {
  model: ModelSpec;
  data: DataSpec;
  optimizer: OptimizerSpec;
  batch_size: number;
  /** Samples per forward/backward pass: batch_size = micro_batch_size x accumulation_steps (one process). */
  micro_batch_size?: number;
  /** Micro-batches accumulated per optimizer step (gradient accumulation). */
  accumulation_steps?: number;
  /** Exactly one of epochs / steps is used; steps wins when both are given. */
  epochs?: number;
  steps?: number;
  validation_split?: number;
  /** Validation every N steps (default: 50 and at the end). */
  eval_every?: number;
  seed?: number;
  loss?: 'cross_entropy' | 'mse';
  batch_schedule?: BatchScheduleSpec;
  tuner?: TunerSpec;
}

export type ModelSpec =
  | { type: 'mlp'; hidden?: number[]; activation?: 'relu' | 'tanh' | 'sigmoid' | 'gelu' }
  | { type: 'cnn'; filters?: number[]; kernel_size?: number; dense?: number[]; activation?: 'relu' | 'tanh' }
  | { type: 'layers'; path: string }
  | { type: 'linear' };

export type DataSpec =
  | { source: 'mnist'; train_samples?: number; test_samples?: number }
  | { source: 'csv'; path: string; label: string; task?: 'classification' | 'regression'; header?: boolean }
  | {
      source: 'synthetic';
      task: 'classification' | 'regression';
      samples?: number;
      features?: number;
      classes?: number;
      /** Std-dev of Gaussian label noise (regression) or fraction of flipped labels (classification). */
      noise?: number;
      seed?: number;
    };

export interface OptimizerSpec {
  name: 'sgd' | 'momentum' | 'adam';
  learning_rate: number;
  momentum?: number;
  beta1?: number;
  beta2?: number;
}

export type BatchScheduleSpec =
  | { kind: 'constant' }
  | { kind: 'step'; every_steps?: number; at_steps?: number[]; at_epochs?: number[]; factor?: number; max_batch_size?: number }
  | {
      kind: 'linear_ramp';
      from: number;
      to: number;
      over_samples: number;
      /** Sizes between the ends are rounded to the nearest multiple of this (default 8; 1 = no rounding). */
      round_to?: number;
    }
  | {
      kind: 'adaptive';
      every_steps?: number;
      min_batch_size?: number;
      max_batch_size?: number;
      allowed?: number[];
      allow_shrink?: boolean;
      /** EMA weight of the past for the gradient statistics (default 1 - 2/(every_steps+1): a span of every_steps). */
      smoothing?: number;
      /**
       * The profiled step time t(B) = overhead_seconds + per_sample_seconds B (+ per_sample_squared_seconds B^2):
       * with it the schedule steers by goodput, argmax X(B)/(B + B_noise) with X(B) = B/t(B), instead of B = B_noise.
       */
      throughput?: AdaptiveThroughput;
    };

/** The tuner's step-time model, in config form (snake_case: it can be written into a config's batch_schedule). */
export interface AdaptiveThroughput {
  overhead_seconds: number;
  per_sample_seconds: number;
  per_sample_squared_seconds?: number;
}

export type LrRule = 'linear' | 'sqrt' | 'none';

export interface TunerSpec {
  min_batch_size?: number;
  max_batch_size?: number;
  candidates?: number[];
  memory_limit?: number | string;
  budget_seconds?: number;
  lr_rule?: LrRule;
  lr_scaling?: LrRule | 'adascale';
  target_loss?: number;
  /** External training command template (issue 5): `python train.py --config ${config}`. */
  command?: string;
  shell?: boolean;
  timeout_seconds?: number;
  /** Where trials run: `local` (default) or `slurm` (one job per trial; issue 13). */
  runner?: 'local' | 'slurm';
  /** Data-parallel workers of every trial (default: what the global batch keys say, else 1). */
  world_size?: number;
  slurm?: SlurmTunerSpec;
  /** Length of the real run (issue 11): samples, or "600steps" / "10epochs". Default: the config's steps/epochs. */
  horizon?: number | string;
}

/** The tuner section's `slurm:` mapping (schemas/training-config.schema.json). */
export interface SlurmTunerSpec {
  partition?: string;
  account?: string;
  gres?: string;
  /** srun --time: minutes (a number), or "MM:SS", "HH:MM:SS", "D-HH:MM:SS". */
  time_limit?: string | number;
  cpus_per_task?: number;
  extra_args?: string[] | string;
  pending_timeout_seconds?: number;
  workers?: 'srun' | 'command';
}

/** What one trial should do: the runner's input. */
export interface TrialSpec {
  /** Id unique within a study (e.g. "profile-64", "conv-128-s2"). */
  id: string;
  /** Absolute path of the config file the trial was made from (relative paths in it resolve against its folder). */
  configPath: string;
  config: TrainingConfig;
  batchSize: number;
  learningRate: number;
  seed: number;
  /** Stop after this many optimizer steps (undefined: the config's epochs/steps). */
  maxSteps?: number;
  /** Stop after this many seconds of training (excluding start-up). */
  maxSeconds?: number;
  /** Steps whose timings are excluded from throughput (compile, warm caches). */
  warmupSteps?: number;
  /** Micro-batches per step for the gradient-noise statistics (0 or 1: none). */
  microBatches?: number;
  /** Validation every N steps (0: only at the end; undefined: the config's). */
  evalEvery?: number;
  /** Kill the trial if no message arrives for this long. */
  hangTimeoutMs?: number;
  /** Batch-size schedule to run instead of a constant batch size. */
  schedule?: BatchScheduleSpec;
  /** Largest batch size that fits in memory (the tuner's memory fit or OOM ceiling): schedules never exceed it. */
  maxBatchSize?: number;
  /**
   * Gradient-accumulation steps (issue 13): each optimizer step of `batchSize` samples is computed
   * as `accumulationSteps` micro-batches of batchSize / (accumulationSteps x worldSize) samples
   * (default 1). `batchSize` is always the global batch: samples per optimizer step, all workers.
   */
  accumulationSteps?: number;
  /** Data-parallel workers (default 1); external runners pass it on as ${worldSize} / BATCH_TUNER_WORLD_SIZE. */
  worldSize?: number;
  /** Write the run's full state every N optimizer steps into `checkpointDir` (issue 11). */
  checkpointEvery?: number;
  /** Folder for periodic checkpoints (`checkpointEvery`); created when missing. */
  checkpointDir?: string;
  /** Write the run's full state to this file when the trial ends (the branch phase's checkpoints). */
  checkpointPath?: string;
  /** Start from this saved state (weights, optimizer state, step, samples, data order, RNG) instead of fresh weights. */
  resumeFrom?: string;
}

/** A checkpoint a trial wrote (the trainer's `checkpoint` message, the metrics protocol's `checkpoint` record). */
export interface CheckpointInfo {
  /** Absolute path of the checkpoint file. */
  path: string;
  /** Optimizer steps done when it was written (the run resumes at step + 1). */
  step: number;
  /** Training samples seen when it was written. */
  samples: number;
}

/** One optimizer step, as the trainer (or an external script, via the metrics protocol) reports it. */
export interface StepMetrics {
  step: number;
  epoch: number;
  /** Training samples seen so far, including this step. */
  samples: number;
  loss: number;
  batchSize: number;
  learningRate: number;
  /** Wall time of this step, ms. */
  stepTimeMs: number;
  samplesPerSecond: number;
  /** Seconds since the trial started training. */
  time: number;
  /** Bytes held by tensors now (tf.memory().numBytes) or reported device memory. */
  memoryBytes?: number;
  /** Peak of memoryBytes so far in this trial. */
  peakMemoryBytes?: number;
  /** Resident set size of the process (tree), bytes. */
  rssBytes?: number;
  /** |g_B|^2: squared L2 norm of the mean gradient over the whole batch. */
  gradSqNorm?: number;
  /** Mean over micro-batches of |g_b|^2, the squared norm of each micro-batch's mean gradient. */
  microGradSqNorm?: number;
  microBatchSize?: number;
}

export interface EvalMetrics {
  step: number;
  samples: number;
  time: number;
  valLoss: number;
  valAccuracy?: number;
}

export type TrialStatus = 'ok' | 'oom' | 'crashed' | 'timeout' | 'cancelled' | 'failed';

export interface TrialError {
  kind: 'oom' | 'crash' | 'hang' | 'cancelled' | 'config' | 'spawn' | 'exit';
  message: string;
  exitCode?: number | null;
  signal?: string | null;
  /** The last lines the process wrote to stderr, for the report. */
  stderrTail?: string;
}

/** What one trial measured: the runner's output. */
export interface TrialResult {
  id: string;
  status: TrialStatus;
  error?: TrialError;
  batchSize: number;
  learningRate: number;
  seed: number;
  backend?: string;
  backendReason?: string;
  steps: StepMetrics[];
  evals: EvalMetrics[];
  /** Median samples/s over the measured (post-warm-up) steps. */
  samplesPerSecond?: number;
  /** Interquartile range of samples/s over the measured steps. */
  samplesPerSecondIqr?: [number, number];
  peakMemoryBytes?: number;
  wallSeconds: number;
  /** Warnings (malformed metric lines, missing fields, ...). */
  warnings?: string[];
  /** Checkpoints the trial wrote, in order (issue 11). */
  checkpoints?: CheckpointInfo[];
}

export interface TrialCallbacks {
  onStep?(m: StepMetrics): void;
  onEval?(m: EvalMetrics): void;
  onLog?(level: 'info' | 'warn' | 'error', message: string): void;
  onReady?(info: { backend: string; backendReason: string; pid: number }): void;
  onCheckpoint?(checkpoint: CheckpointInfo): void;
}

/** Runs one trial to completion. Never rejects: failures come back as a TrialResult with a status. */
export type TrialRunner = (spec: TrialSpec, callbacks: TrialCallbacks, signal?: AbortSignal) => Promise<TrialResult>;

export type * from './recommendationTypes';

export type StudyPhase = 'plan' | 'profile' | 'noise' | 'convergence' | 'branch' | 'recommend' | 'done';

/** A trial without its per-step series: what lists, trees and tables show. */
export type TrialSummary = Omit<TrialResult, 'steps' | 'evals'> & {
  phase: StudyPhase;
  finalLoss?: number;
  finalValLoss?: number;
  /** Measured start-up of this trial (process, backend, data): wall time around the runner minus training time, seconds. */
  startupSeconds?: number;
};
