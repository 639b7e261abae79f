// The slurm runner (issue 13): each trial is its own Slurm job, one allocation per trial with the
// CPUs (and GPUs) it asks for, so trials run side by side (--parallel N) do not share hardware.
// It is the external runner — the same trial preparation, the same one TrialProcess supervising
// srun, the same metrics — with a launcher that wraps the command in srun and speaks for the job
// (slurmJob.ts). Slurm is checked once, before the first job (slurmPreflight.ts).
import type { SlurmSettings } from '../resolve/types';
import type { TrialRunner } from '../types';
import { createExternalRunner, type ExternalRunnerOptions } from './external';
import { checkSlurm, type SlurmReady } from './slurmPreflight';
import { SlurmJob } from './slurmJob';
import { ownerComment } from './slurmStale';
import type { TrialLauncher } from './trialLauncher';

export interface SlurmRunnerOptions extends Omit<ExternalRunnerOptions, 'launcher'> {
  slurm: SlurmSettings;
  /** Squeue polling interval (tests). */
  pollMs?: number;
}

export function createSlurmRunner(opts: SlurmRunnerOptions): TrialRunner {
  let ready: Promise<SlurmReady | { error: string }> | undefined;
  const launcher: TrialLauncher = async (spec, command, env, split, signal) => {
    ready ??= checkSlurm(opts.slurm, split.worldSize, env, process.cwd());
    const r = await ready;
    if ('error' in r) return r;
    return new SlurmJob({
      spec,
      command,
      env,
      split,
      settings: opts.slurm,
      comment: await ownerComment(),
      signal,
      ...(opts.pollMs ? { pollMs: opts.pollMs } : {}),
    });
  };
  return createExternalRunner({ ...opts, launcher });
}
