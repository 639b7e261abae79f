// The Slurm client commands the slurm runner uses (sinfo, squeue, scontrol, scancel), run without a
// shell and with a time limit, and pure readers of what they print. A controller that does not
// answer makes them fail within the limit, never hang a trial.
import { execFile, spawnSync } from 'node:child_process';

export interface SlurmCall {
  ok: boolean;
  stdout: string;
  stderr: string;
  /** Why it failed, in one line (the command's own error, or "not found", or a time-out). */
  error?: string;
}

/** Slurm's client commands wait up to MessageTimeout (10 s) per try: 20 s covers a retry. */
export const SLURM_CALL_TIMEOUT_MS = 20_000;

export function slurmCall(program: string, args: string[], env: NodeJS.ProcessEnv, timeoutMs = SLURM_CALL_TIMEOUT_MS): Promise<SlurmCall> {
  return new Promise((resolve) => {
    execFile(program, args, { env, encoding: 'utf8', timeout: timeoutMs, killSignal: 'SIGKILL', maxBuffer: 4 << 20 }, (err, stdout, stderr) => {
      if (!err) return resolve({ ok: true, stdout, stderr });
      const e = err as NodeJS.ErrnoException & { killed?: boolean };
      const why =
        e.code === 'ENOENT'
          ? `${program} was not found on PATH`
          : e.killed
            ? `${program} did not answer within ${Math.round(timeoutMs / 1000)} s`
            : firstLine(stderr) || e.message;
      resolve({ ok: false, stdout, stderr, error: why });
    });
  });
}

/** scancel now, synchronously: for the process 'exit' hook, where nothing asynchronous runs. */
export function scancelSync(args: string[], env: NodeJS.ProcessEnv): void {
  spawnSync('scancel', args, { env, stdio: 'ignore', timeout: 5000 });
}

/** scancel without waiting for it; failures are not the caller's business (the job may be gone). */
export function scancel(args: string[], env: NodeJS.ProcessEnv): Promise<SlurmCall> {
  return slurmCall('scancel', args, env);
}

function firstLine(s: string): string {
  return (
    s
      .split('\n')
      .map((l) => l.trim())
      .find((l) => l !== '') ?? ''
  );
}

/** What squeue says about one job: `%i|%T|%r|%N`. */
export interface QueuedJob {
  id: string;
  /** PENDING, RUNNING, COMPLETING, ... */
  state: string;
  /** Why it waits (Resources, Priority, PartitionDown, ...) or None. */
  reason: string;
  /** The node(s) it runs on (empty while pending). */
  nodes: string;
}

export const SQUEUE_FORMAT = '%i|%T|%r|%N';

export function parseSqueue(stdout: string): QueuedJob[] {
  return stdout
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '')
    .map((l) => {
      const [id, state, reason, nodes] = l.split('|');
      return { id: id ?? '', state: state ?? '', reason: reason ?? '', nodes: nodes ?? '' };
    })
    .filter((j) => /^\d+(_\d+)?$/.test(j.id));
}

/** `scontrol show job -o ID`: one line of Key=Value pairs (values without spaces, except Command/WorkDir at the end). */
export function parseScontrolJob(stdout: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of stdout.matchAll(/(?:^|\s)([A-Za-z/:]+)=(\S*)/g)) out[m[1]] = m[2];
  return out;
}

/** One line of `sinfo -h -o '%P|%a|%c|%D'`. */
export interface PartitionInfo {
  name: string;
  isDefault: boolean;
  up: boolean;
  /** CPUs of each node (the smallest, when the partition's nodes differ: "2+"). */
  cpusPerNode: number;
  nodes: number;
}

export const SINFO_FORMAT = '%P|%a|%c|%D';

export function parseSinfo(stdout: string): PartitionInfo[] {
  const out: PartitionInfo[] = [];
  for (const line of stdout.split('\n')) {
    const [p, avail, cpus, nodes] = line.trim().split('|');
    if (!p || cpus === undefined || nodes === undefined) continue;
    const name = p.replace(/\*$/, '');
    // One partition may span lines (nodes in different states): add them up.
    const prev = out.find((x) => x.name === name);
    const c = parseInt(cpus, 10);
    const n = parseInt(nodes, 10);
    if (!Number.isFinite(c) || !Number.isFinite(n)) continue;
    if (prev) {
      prev.nodes += n;
      prev.cpusPerNode = Math.max(prev.cpusPerNode, c);
      continue;
    }
    out.push({ name, isDefault: p.endsWith('*'), up: avail === 'up', cpusPerNode: c, nodes: n });
  }
  return out;
}

/** Job states after which nothing of the job runs any more. */
export const FINISHED_STATES = new Set([
  'COMPLETED',
  'FAILED',
  'CANCELLED',
  'TIMEOUT',
  'PREEMPTED',
  'NODE_FAIL',
  'BOOT_FAIL',
  'DEADLINE',
  'OUT_OF_MEMORY',
  'SPECIAL_EXIT',
  'REVOKED',
]);

const UNITS: Record<string, number> = { '': 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3, T: 1024 ** 4 };

/**
 * The largest MaxRSS of `sstat -n -P -a -j ID -o JobID,MaxRSS` (one line per running step; the
 * largest task of each, in KiB-based units), in bytes: memory per worker, as a device's would be.
 */
export function parseSstatMaxRss(stdout: string): number | undefined {
  let max: number | undefined;
  for (const line of stdout.split('\n')) {
    const m = /\|(\d+(?:\.\d+)?)([KMGT]?)\s*$/.exec(line.trim());
    if (!m) continue;
    const bytes = Number(m[1]) * UNITS[m[2]];
    if (Number.isFinite(bytes) && bytes > 0) max = Math.max(max ?? 0, bytes);
  }
  return max;
}
