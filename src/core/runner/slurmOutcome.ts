// How a trial's Slurm job ended, in words a person can act on: the job id, Slurm's state and
// reason, and the setting to change. The local account (srun's exit status, the script's output)
// stands unless the job's state says more: it never started, was preempted, hit its time limit,
// ran out of its memory, lost its node, or was cancelled by someone else.
import type { SlurmSettings } from '../resolve/types';
import type { TrialError } from '../types';
import type { Outcome } from './trialOutcome';
import type { ProcessEnd } from './trialProcess';

/** What the supervisor learned about a trial's job. */
export interface JobRecord {
  id?: string;
  state?: string;
  reason?: string;
  nodes?: string;
  exitCode?: string;
  seenStates: string[];
  /** Batch Tuner cancelled it (stop, pending too long). */
  cancelledByUs?: boolean;
  pendingTimeout?: { seconds: number; reason: string };
}

/** Slurm's pending reasons that need a person, with what to do. */
const PENDING_REASONS: Record<string, string> = {
  Resources: 'the nodes are busy or too small for what the job asks',
  Priority: 'jobs of higher priority are ahead of it',
  PartitionDown: 'the partition is down',
  PartitionNodeLimit: 'it asks for more nodes than the partition allows',
  PartitionTimeLimit: "its time limit is above the partition's (tuner.slurm.time_limit)",
  ReqNodeNotAvail: 'the nodes it needs are unavailable (down, drained or reserved)',
  AssocGrpCpuLimit: "the account's CPU limit is reached (tuner.slurm.account)",
  QOSMaxCpuPerUserLimit: "the QOS's CPU limit per user is reached",
};

/** Which setting an srun error is about. */
function settingFor(message: string): string {
  if (/account|association/i.test(message)) return 'tuner.slurm.account';
  if (/partition/i.test(message)) return 'tuner.slurm.partition';
  if (/gres|generic resource|gpu/i.test(message)) return 'tuner.slurm.gres';
  if (/time limit/i.test(message)) return 'tuner.slurm.time_limit';
  if (/node configuration is not available|processors|cpu count|ntasks/i.test(message))
    return 'the world size (tuner.world_size) and tuner.slurm.cpus_per_task';
  if (/contact slurm controller|connection refused|connect failure/i.test(message)) return 'the Slurm controller (scontrol ping; SLURM_CONF)';
  return 'the Slurm settings (tuner.slurm.*)';
}

function srunError(stderr: string | undefined): string | undefined {
  const lines = (stderr ?? '').split('\n').map((l) => l.trim());
  const m = lines.map((l) => /^srun: error: (.*)$/.exec(l)).find((x) => x !== null);
  return m?.[1];
}

function failed(status: Outcome['status'], kind: TrialError['kind'], message: string, end: ProcessEnd): Outcome {
  return { status, error: { kind, message, exitCode: end.code, signal: end.signal, ...(end.stderrTail ? { stderrTail: end.stderrTail } : {}) } };
}

/** The trial's outcome from srun's end, the local classification, and the job's record. */
export function explainJobEnd(job: JobRecord, end: ProcessEnd, local: Outcome, s: SlurmSettings): Outcome {
  const id = job.id ? `Slurm job ${job.id}` : "the trial's Slurm job";
  const on = job.nodes ? ` on ${job.nodes}` : '';
  if (job.pendingTimeout) {
    const r = job.pendingTimeout.reason;
    const why = PENDING_REASONS[r] ? `: ${PENDING_REASONS[r]}` : '';
    return failed(
      'failed',
      'spawn',
      `${id} never started: it was still pending after ${Math.round(job.pendingTimeout.seconds)} s (Slurm's reason: ${r}${why}) and was cancelled; ask for less (the world size, tuner.slurm.cpus_per_task, tuner.slurm.gres), use another partition (tuner.slurm.partition), or wait longer (tuner.slurm.pending_timeout_seconds, now ${s.pendingTimeoutSeconds} s)`,
      end,
    );
  }
  const queued = job.seenStates.includes('PENDING') && !job.seenStates.includes('RUNNING');
  if (queued && end.reason?.kind === 'limit')
    return failed(
      'failed',
      'spawn',
      `${id} was still waiting in the queue (Slurm's reason: ${job.reason ?? 'unknown'}) when the trial's time ran out, and was cancelled: ask for less, use another partition (tuner.slurm.partition), or run fewer trials at once (--parallel)`,
      end,
    );
  if (local.status === 'cancelled')
    return { ...local, ...(local.error ? { error: { ...local.error, message: `${local.error.message} (${id} cancelled)` } } : {}) };
  const refused = srunError(end.stderrTail);
  if (!job.seenStates.includes('RUNNING') && refused && !job.state)
    return failed('failed', 'spawn', `Slurm refused the trial's job: ${refused}; check ${settingFor(refused)}`, end);
  switch (job.state) {
    case 'PREEMPTED':
      return failed(
        'crashed',
        'crash',
        `${id} was preempted${on} (a job of higher priority took its resources): rerun the study, or use a partition or QOS without preemption (tuner.slurm.partition, tuner.slurm.extra_args)`,
        end,
      );
    case 'TIMEOUT':
      return failed(
        'timeout',
        'hang',
        `${id} reached its time limit${s.timeLimit ? ` (tuner.slurm.time_limit ${s.timeLimit})` : " (the partition's)"}${on} and was ended by Slurm: raise tuner.slurm.time_limit`,
        end,
      );
    case 'OUT_OF_MEMORY':
      return failed(
        'oom',
        'oom',
        `${id} ran out of the memory Slurm gave it${on}: this batch size does not fit (ask for more with tuner.slurm.extra_args, e.g. "--mem=16G")`,
        end,
      );
    case 'NODE_FAIL':
    case 'BOOT_FAIL':
      return failed(
        'crashed',
        'crash',
        `the node of ${id}${on} failed (${job.state}): rerun the study; if it happens again, tell the cluster's administrators`,
        end,
      );
    case 'DEADLINE':
      return failed('crashed', 'crash', `${id} passed its deadline and was ended by Slurm: remove --deadline from tuner.slurm.extra_args`, end);
    case 'CANCELLED':
      if (!job.cancelledByUs && !end.reason)
        return failed('crashed', 'crash', `${id} was cancelled outside Batch Tuner${on} (scancel, or an administrator): rerun the trial`, end);
      break;
    default:
      // COMPLETED, FAILED, or never seen: srun's exit status and the script's output say it all.
      break;
  }
  if (!local.error) return local;
  return { ...local, error: { ...local.error, message: `${local.error.message} (${id}${on})` } };
}
