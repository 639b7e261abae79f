// Killing a process and everything it started, so that no trial leaves a process behind.
// Linux/macOS: descendants are found through `ps -A -o pid=,ppid=`; Windows: `taskkill /T`.
import { execFileSync, spawnSync } from 'node:child_process';

/** True while a process with this pid exists (signal 0 probes without killing). */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Every descendant of `pid` (children first-level first), from one `ps` snapshot. */
export function listDescendants(pid: number): number[] {
  if (process.platform === 'win32') return [];
  const ps = spawnSync('ps', ['-A', '-o', 'pid=,ppid='], { encoding: 'utf8', timeout: 2000 });
  if (ps.status !== 0 || typeof ps.stdout !== 'string') return [];
  const out = ps.stdout;
  const children = new Map<number, number[]>();
  for (const line of out.split('\n')) {
    const [c, p] = line.trim().split(/\s+/).map(Number);
    // Skip `ps` itself: it is our child while it runs.
    if (!Number.isFinite(c) || !Number.isFinite(p) || c === ps.pid) continue;
    const list = children.get(p) ?? [];
    list.push(c);
    children.set(p, list);
  }
  const result: number[] = [];
  const queue = [pid];
  while (queue.length) {
    for (const c of children.get(queue.shift()!) ?? []) { result.push(c); queue.push(c); }
  }
  return result;
}

/** Sends `signal` to the process and all its descendants (descendants first are listed before the kill). */
export function killProcessTree(pid: number, signal: NodeJS.Signals = 'SIGKILL'): void {
  if (process.platform === 'win32') {
    try { execFileSync('taskkill', ['/pid', String(pid), '/T', '/F'], { stdio: 'ignore' }); } catch { /* already gone */ }
    return;
  }
  // Snapshot first: once the parent dies its children are re-parented and can't be found.
  const tree = [pid, ...listDescendants(pid)];
  for (const p of tree) {
    try { process.kill(p, signal); } catch { /* already gone */ }
  }
}
