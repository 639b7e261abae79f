// Whose Slurm job is this? Each trial's job carries its supervisor in its comment
// (`batch-tuner:<host>:<pid>:<start ms>`), because a job outlives a supervisor that was SIGKILLed
// (its srun killed with it leaves the job running: nothing local reaches slurmstepd's tasks). The
// next start on that host cancels the jobs of supervisors that are gone (sweepStaleSlurmJobs).
import { hostname } from 'node:os';
import { processStartMs } from './procfs';
import { isProcessAlive } from './processTree';
import { slurmCall, scancel } from './slurmCommands';

const COMMENT_RE = /^batch-tuner:([^:]+):(\d+):(\d+)$/;

let ownStart: Promise<number> | undefined;

/** This supervisor's comment for its jobs. */
export async function ownerComment(): Promise<string> {
  ownStart ??= processStartMs(process.pid).then((ms) => Math.round(ms ?? Date.now()));
  return `batch-tuner:${hostname()}:${process.pid}:${await ownStart}`;
}

export interface JobOwner {
  host: string;
  pid: number;
  startMs: number;
}

export function parseOwnerComment(comment: string): JobOwner | undefined {
  const m = COMMENT_RE.exec(comment.trim());
  return m ? { host: m[1], pid: Number(m[2]), startMs: Number(m[3]) } : undefined;
}

/** The owner still runs: same pid, started at the same time (2 s of slack: /proc's clock ticks). */
async function ownerAlive(o: JobOwner): Promise<boolean> {
  if (o.pid === process.pid) return true;
  if (!isProcessAlive(o.pid)) return false;
  const started = await processStartMs(o.pid);
  return started === undefined || Math.abs(started - o.startMs) < 2000;
}

/**
 * Cancels this user's Batch Tuner jobs whose supervisor on this host is gone. Jobs of other hosts
 * are left alone (their pids mean nothing here). Resolves with the job ids cancelled; never rejects.
 */
export async function sweepStaleSlurmJobs(env: NodeJS.ProcessEnv = process.env): Promise<string[]> {
  const q = await slurmCall('squeue', ['-h', '--me', '-o', '%i|%k'], env);
  if (!q.ok) return [];
  const stale: string[] = [];
  for (const line of q.stdout.split('\n')) {
    const [id, comment] = line.trim().split('|');
    const owner = comment ? parseOwnerComment(comment) : undefined;
    if (!id || !owner || owner.host !== hostname()) continue;
    if (!(await ownerAlive(owner))) stale.push(id);
  }
  if (stale.length > 0) await scancel(stale, env);
  return stale;
}
