// Which runner starts a study's trials: the resolver's RunnerSpec (core/resolve) names it — the
// built-in TensorFlow.js trainer, the user's own command on this machine, or that command as one
// Slurm job per trial — and createRunner() builds it.
import type { TrialRunner } from '../types';
import type { RunnerSpec } from '../resolve/types';
import { createExternalRunner } from './external';
import { createTrainerRunner } from './trainerProcess';
import { createSlurmRunner } from './slurm';

export { createExternalRunner, defaultPython } from './external';
export type { ExternalRunnerOptions } from './external';
export { loadExternalConfig, readExternalConfig, ExternalConfigError, type ExternalConfig } from './externalConfig';
export { stopAllTrials, runningTrialCount } from './trialRegistry';
export { sweepStale, type SweepReport } from './leftovers';
export { createSlurmRunner, type SlurmRunnerOptions } from './slurm';
export { checkSlurm } from './slurmPreflight';
export { sweepStaleSlurmJobs } from './slurmStale';
export { EXAMPLE_PLACEHOLDER_VALUES, PLACEHOLDERS, commandTemplateProblem } from './commandTemplate';

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
