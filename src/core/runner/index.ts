// Which runner starts a config's trials: the user's own command when one is known (the
// caller's setting, else the config's `tuner.command`), else the built-in TensorFlow.js trainer.
import type { TrainingConfig, TrialRunner, TunerSpec } from '../types';
import { createExternalRunner, type ExternalRunnerOptions } from './external';
import { createTrainerRunner } from './trainerProcess';
import { loadExternalConfig } from './externalConfig';

export { createExternalRunner, defaultPython } from './external';
export type { ExternalRunnerOptions } from './external';
export { loadExternalConfig, ExternalConfigError, type ExternalConfig } from './externalConfig';

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

export interface RunnerOptions {
  pythonPath?: string;
  workspaceFolder?: string;
  hangTimeoutMs?: number;
  env?: NodeJS.ProcessEnv;
}

/** The command a config's trials would run, or undefined for the built-in trainer. */
export function commandFor(input: RunnerInput): string | undefined {
  const c = input.command?.trim() || input.config?.tuner?.command?.trim();
  return c || undefined;
}

export function createRunnerFor(input: RunnerInput, opts: RunnerOptions = {}): TrialRunner {
  const command = commandFor(input);
  if (!command) return createTrainerRunner();
  const tuner = input.tuner ?? input.config?.tuner ?? tunerSectionOf(input.file);
  const timeout = tuner?.timeout_seconds;
  const external: ExternalRunnerOptions = {
    command,
    shell: input.shell ?? tuner?.shell ?? false,
    ...(opts.pythonPath ? { pythonPath: opts.pythonPath } : {}),
    ...(opts.workspaceFolder ? { workspaceFolder: opts.workspaceFolder } : {}),
    ...(opts.env ? { env: opts.env } : {}),
    hangTimeoutMs: opts.hangTimeoutMs ?? (timeout ? timeout * 1000 : undefined),
  };
  return createExternalRunner(external);
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
