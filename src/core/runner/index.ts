// Which runner starts a study's trials: the resolver's RunnerSpec (core/resolve) names it — the
// built-in TensorFlow.js trainer, the user's own command on this machine, or that command as one
// Slurm job per trial — and createRunner() builds it.
import type { TrainingConfig, TrialRunner, TunerSpec } from '../types';
import type { RunnerSpec } from '../resolve/types';
import { RESOLVE_DEFAULTS } from '../resolve/defaults';
import { createExternalRunner } from './external';
import { createTrainerRunner } from './trainerProcess';
import { loadExternalConfig } from './externalConfig';
import { createSlurmRunner } from './slurm';

export { createExternalRunner, defaultPython } from './external';
export type { ExternalRunnerOptions } from './external';
export { loadExternalConfig, readExternalConfig, ExternalConfigError, type ExternalConfig } from './externalConfig';
export { stopAllTrials, runningTrialCount } from './trialRegistry';
export { sweepStale, type SweepReport } from './leftovers';
export { createSlurmRunner, type SlurmRunnerOptions } from './slurm';
export { checkSlurm } from './slurmPreflight';
export { sweepStaleSlurmJobs } from './slurmStale';
export { EXAMPLE_PLACEHOLDER_VALUES } from './commandTemplate';

/** What a caller may add that is not a study setting: the child's environment (e.g. BATCH_TUNER_BACKEND). */
export interface RunnerExtras {
  env?: NodeJS.ProcessEnv;
  /** The trainer bundle (default: dist/trainer.js next to the caller's bundle). */
  trainerPath?: string;
}

/**
 * The TrialRunner a RunnerSpec describes. Both runners take the spec's hang timeout unless a
 * trial's own TrialSpec.hangTimeoutMs says otherwise.
 */
export function createRunner(spec: RunnerSpec, extras: RunnerExtras = {}): TrialRunner {
  if (spec.kind === 'trainer') {
    const trainer = createTrainerRunner({ ...(extras.env ? { env: extras.env } : {}), ...(extras.trainerPath ? { trainerPath: extras.trainerPath } : {}) });
    return (trial, callbacks, signal) => trainer({ ...trial, hangTimeoutMs: trial.hangTimeoutMs ?? spec.hangTimeoutMs }, callbacks, signal);
  }
  const command = {
    command: spec.command,
    shell: spec.shell,
    ...(spec.pythonPath ? { pythonPath: spec.pythonPath } : {}),
    ...(spec.workspaceFolder ? { workspaceFolder: spec.workspaceFolder } : {}),
    ...(extras.env ? { env: extras.env } : {}),
    ...(spec.worldSize !== undefined ? { worldSize: spec.worldSize } : {}),
    hangTimeoutMs: spec.hangTimeoutMs,
  };
  return spec.kind === 'slurm' ? createSlurmRunner({ ...command, slurm: spec.slurm }) : createExternalRunner(command);
}

// ---------------------------------------------------------------------------------------------
// Deprecated: the VS Code host still calls these until it resolves studies with resolveStudy().

/** @deprecated Use resolveStudy() (core/resolve) and createRunner(result.runner). */
export interface RunnerInput {
  /** The config file trials are made from. */
  file: string;
  /** Batch Tuner's own training config, when the file is one. */
  config?: TrainingConfig;
  /** A command from the settings (per file glob) or the CLI: wins over the config's tuner.command. */
  command?: string;
  /** Run the command through a shell (default: the tuner section's shell, else false). */
  shell?: boolean;
  /** The tuner section of a user's own config (loadExternalConfig(file).tuner); read from `file` when absent. */
  tuner?: TunerSpec;
}

/** @deprecated See RunnerInput. */
export interface RunnerOptions {
  pythonPath?: string;
  workspaceFolder?: string;
  hangTimeoutMs?: number;
  env?: NodeJS.ProcessEnv;
}

/** @deprecated The command a config's trials would run, or undefined for the built-in trainer. */
export function commandFor(input: RunnerInput): string | undefined {
  const c = input.command?.trim() || input.config?.tuner?.command?.trim();
  return c || undefined;
}

/** @deprecated Use createRunner(resolveStudy(...).runner). The hang timeout now reaches the built-in trainer too. */
export function createRunnerFor(input: RunnerInput, opts: RunnerOptions = {}): TrialRunner {
  const command = commandFor(input);
  const tuner = input.tuner ?? input.config?.tuner ?? (command ? tunerSectionOf(input.file) : undefined);
  const fromConfig = tuner?.timeout_seconds !== undefined ? tuner.timeout_seconds * 1000 : undefined;
  const hangTimeoutMs = opts.hangTimeoutMs ?? fromConfig ?? RESOLVE_DEFAULTS.trialTimeoutSeconds * 1000;
  const extras = opts.env ? { env: opts.env } : {};
  if (!command) return createRunner({ kind: 'trainer', hangTimeoutMs }, extras);
  return createRunner(
    {
      kind: 'external',
      command,
      shell: input.shell ?? tuner?.shell ?? RESOLVE_DEFAULTS.shell,
      ...(opts.pythonPath ? { pythonPath: opts.pythonPath } : {}),
      ...(opts.workspaceFolder ? { workspaceFolder: opts.workspaceFolder } : {}),
      hangTimeoutMs,
    },
    extras,
  );
}

/** A user's config's tuner options (timeout_seconds, shell) when the caller did not pass them. */
function tunerSectionOf(file: string): TunerSpec | undefined {
  try {
    return loadExternalConfig(file).tuner;
  } catch {
    // Not a config we can read: the runner's defaults apply, and the trial itself reports the problem.
    return undefined;
  }
}
