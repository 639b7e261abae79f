// Signals to a trial's processes. A trial runs in its own process group (POSIX), so the group is
// the unit: one kill(-pgid) reaches every member. Pids that left the group (setsid) are signalled
// one by one, and only while /proc shows they are still the processes that were seen (procfs.ts).
// Without /proc (macOS) the descendants come from a fresh `ps`; Windows uses `taskkill /T`.
import { execFile } from 'node:child_process';
import { hasProcFs, isSameProcess, readStatSync, type ProcessIdentity } from './procfs';

/** True while a process with this pid exists (signal 0 probes without killing). */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Sends a signal; a process that is already gone is not an error. */
export function signalPid(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // Already gone.
  }
}

/** Every descendant of `pid` (breadth first), from one `ps` snapshot taken now. */
export async function listDescendants(pid: number): Promise<number[]> {
  if (process.platform === 'win32') return [];
  let psPid: number | undefined;
  const out = await new Promise<string | undefined>((resolve) => {
    psPid = execFile('ps', ['-A', '-o', 'pid=,ppid='], { encoding: 'utf8', timeout: 2000 }, (err, stdout) => resolve(err ? undefined : stdout)).pid;
  });
  if (out === undefined) return [];
  const children = new Map<number, number[]>();
  for (const line of out.split('\n')) {
    const [c, p] = line.trim().split(/\s+/).map(Number);
    // Skip `ps` itself: it is our child while it runs.
    if (!Number.isFinite(c) || !Number.isFinite(p) || c === psPid) continue;
    const list = children.get(p) ?? [];
    list.push(c);
    children.set(p, list);
  }
  const result: number[] = [];
  const queue = [pid];
  while (queue.length) {
    for (const c of children.get(queue.shift() as number) ?? []) {
      result.push(c);
      queue.push(c);
    }
  }
  return result;
}

/**
 * Signals a trial's process tree: its group (the root is the group leader), and each tracked pid
 * that is still the process it was when seen. `sync` is for process 'exit' handlers only.
 */
export function signalTrialTree(rootPid: number, sig: NodeJS.Signals, tracked: Iterable<ProcessIdentity> = []): void {
  if (process.platform === 'win32') {
    // No process groups: taskkill walks the tree by parent pid. (A job object is the real fix: lifeline.ts.)
    execFile('taskkill', ['/pid', String(rootPid), '/T', '/F'], { windowsHide: true }, () => undefined);
    return;
  }
  signalPid(-rootPid, sig);
  if (hasProcFs()) {
    signalIfSame(
      [...tracked].filter((id) => id.pid !== rootPid),
      sig,
    );
    return;
  }
  // Without /proc there are no identities to check: only a snapshot taken now is safe to use.
  void listDescendants(rootPid).then((pids) => pids.forEach((p) => signalPid(p, sig)));
}

/**
 * Signals each process that is still the one `id` names (same pid, same start time); a pid the
 * kernel has reused for another process since is left alone. Returns the pids signalled.
 */
export function signalIfSame(ids: Iterable<ProcessIdentity>, sig: NodeJS.Signals): number[] {
  const sent: number[] = [];
  for (const id of ids) {
    if (id.pid > 1 && id.pid !== process.pid && isSameProcess(id, readStatSync(id.pid))) {
      signalPid(id.pid, sig);
      sent.push(id.pid);
    }
  }
  return sent;
}
