// A trial whose work runs outside this machine's process tree (a Slurm job: its tasks are children
// of slurmstepd, not of the supervisor). The external runner still prepares, starts, watches and
// ends the local process (srun) with the one TrialProcess; a launcher only wraps the command line,
// watches what the scheduler says, ends the job there, and explains how it ended.
import type { TrialSpec } from '../types';
import type { ResolvedCommand } from './commandTemplate';
import type { GlobalBatchSplit } from './externalCommand';
import type { Outcome } from './trialOutcome';
import type { EndReason, ProcessEnd } from './trialProcess';

/** What a launch may do to the local process while it runs. */
export interface LaunchControl {
  /** A sign of life: a job waiting in the queue is not a hung trial. */
  alive(): void;
  /** Ends the local process (and so the trial) for this reason. */
  stop(reason: EndReason): void;
  warn(message: string): void;
}

export interface TrialLaunch {
  /** What to spawn instead of the command itself (it runs the command elsewhere). */
  file: string;
  args: string[];
  env: NodeJS.ProcessEnv;
  /** Once the local process runs: start watching the job. */
  started(ctl: LaunchControl): void;
  /**
   * After the local process has ended: makes sure the job has ended too, and returns the trial's
   * outcome, the job's account (its id, its state, what to do) added to what the exit status says.
   */
  finished(end: ProcessEnd, local: Outcome): Promise<Outcome>;
  /** Where the trial ran, for its result ("Slurm job 12 on node1"). */
  describe(): string;
  /** Peak memory per worker measured where it ran, when the scheduler measures it (used when the script reports none). */
  peakMemoryBytes(): number | undefined;
}

/** One launch per trial, or why the trial cannot be launched (a message naming the setting). */
export type TrialLauncher = (
  spec: TrialSpec,
  command: ResolvedCommand,
  env: NodeJS.ProcessEnv,
  split: GlobalBatchSplit,
  signal: AbortSignal,
) => Promise<TrialLaunch | { error: string }>;
