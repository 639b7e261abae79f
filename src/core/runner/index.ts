// Which runner starts a config's trials: the user's own command when one is known (the
// caller's setting, else the config's `tuner.command`), else the built-in TensorFlow.js trainer.
import type { TrainingConfig, TrialRunner } from '../types';
import { createExternalRunner, type ExternalRunnerOptions } from './external';
import { createTrainerRunner } from './trainerProcess';

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
  /** Run the command through a shell (default: the config's tuner.shell, else false). */
  shell?: boolean;
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
  const timeout = input.config?.tuner?.timeout_seconds;
  const external: ExternalRunnerOptions = {
    command,
    shell: input.shell ?? input.config?.tuner?.shell ?? false,
    ...(opts.pythonPath ? { pythonPath: opts.pythonPath } : {}),
    ...(opts.workspaceFolder ? { workspaceFolder: opts.workspaceFolder } : {}),
    ...(opts.env ? { env: opts.env } : {}),
    hangTimeoutMs: opts.hangTimeoutMs ?? (timeout ? timeout * 1000 : undefined),
  };
  return createExternalRunner(external);
}
