// The ONE default of every study setting (issue 9). The CLI, the panel, CodeLens, the sidebar and
// "Train once" all fall back to these through resolveStudy(); the UI says when one was used.
import { join, dirname } from 'node:path';
import type { TrainingConfig } from '../types';
import { CONFIG_DEFAULTS } from '../config/defaults';

export const RESOLVE_DEFAULTS = {
  /** Whole-study wall-clock budget, seconds (also the contributed batchTuner.defaultBudgetSeconds). */
  budgetSeconds: 120,
  /** Smallest batch size tried (or the current one when smaller). */
  minBatchSize: 8,
  /** Largest batch size tried (capped by the training set, raised to the current one). */
  maxBatchSize: 1024,
  /** Memory a trial may use: a share of physical memory, so the default follows the machine. */
  memoryLimit: '80%',
  /** Trials at a time: 1, because parallel trials on one machine distort each other's timings. */
  parallel: 1,
  /** Seed of the trials and the bootstrap: the training format's own default seed. */
  seed: CONFIG_DEFAULTS.seed,
  /**
   * A trial that reports nothing for this long is hung, for every runner: importing torch or
   * compiling a first step can take minutes on a cold machine (batchTuner.trialTimeoutSeconds).
   */
  trialTimeoutSeconds: 300,
  /**
   * Training samples when nothing says (a user's config without train_samples, an unreadable CSV):
   * large enough that it caps no batch size the tuner would try (the default max is 1024).
   */
  unknownDatasetSize: 1_000_000,
  /** The optimizer assumed when a user's config names none: Adam is what most scripts use today. */
  optimizer: 'adam',
  /** The learning rate assumed when a user's config has no learning-rate key (the runner passes it as ${learningRate}). */
  learningRate: 1e-3,
  /** Run a command through a shell: no (split into arguments, no shell injection). */
  shell: false,
  /** Folder of the study files, in the workspace folder (else next to the config). */
  studyDirectoryName: '.batch-tuner',
  /** Trials run on this machine unless tuner.runner / --runner / batchTuner.runner says slurm. */
  runner: 'local',
  /** Data-parallel workers per trial when neither a setting nor the config's global batch says. */
  worldSize: 1,
  /** CPUs per data-parallel worker of a Slurm job (srun --cpus-per-task). */
  slurmCpusPerTask: 1,
  /** A trial's Slurm job still pending after this long is cancelled (a study's budget is minutes). */
  slurmPendingTimeoutSeconds: 120,
  /** A data-parallel trial's command starts its own workers (torchrun), as it does locally. */
  slurmWorkers: 'command',
} as const;

/** The smallest batch size tried when no layer sets one. */
export function defaultMinBatchSize(currentBatchSize: number): number {
  return Math.max(1, Math.min(RESOLVE_DEFAULTS.minBatchSize, currentBatchSize));
}

/** The largest batch size tried when no layer sets one: 1024, capped by the data, never below the current size. */
export function defaultMaxBatchSize(currentBatchSize: number, datasetSize: number): number {
  return Math.max(Math.min(RESOLVE_DEFAULTS.maxBatchSize, datasetSize), Math.min(currentBatchSize, datasetSize));
}

/** Where studies go: `.batch-tuner/` in the workspace folder (the CLI passes its cwd), else next to the config. */
export function defaultOutDir(configFile: string, workspaceFolder: string | undefined): string {
  return join(workspaceFolder ?? dirname(configFile), RESOLVE_DEFAULTS.studyDirectoryName);
}

/**
 * What a user's own config gives its trials as TrialSpec.config: the external runner never reads
 * it (the command reads the config file); it only satisfies the type.
 */
export function placeholderTrainingConfig(batchSize: number, learningRate: number): TrainingConfig {
  return {
    model: { type: 'linear' },
    data: { source: 'synthetic', task: 'regression' },
    optimizer: { name: 'adam', learning_rate: learningRate },
    batch_size: batchSize,
  };
}
