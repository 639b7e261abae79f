// What Linux's /proc says about processes, read asynchronously (the host thread never waits on
// it): each process's parent, group, state, resident memory and start time. The start time makes
// a pid into an identity: a pid from an old snapshot is only signalled while /proc/<pid>/stat
// still shows the same start time, so a pid the kernel has since reused is never killed.
// Elsewhere (macOS, Windows) every function here answers "nothing known", never an error.
import { existsSync, readFileSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';

export interface ProcStat {
  pid: number;
  ppid: number;
  pgrp: number;
  /** Resident pages. */
  rssPages: number;
  state: string;
  /** Clock ticks after boot when the process started (field 22): with the pid, its identity. */
  startTime: number;
}

/** A process as seen once: the pid alone is not enough, since pids are reused. */
export interface ProcessIdentity {
  pid: number;
  startTime: number;
}

/** Parses /proc/<pid>/stat. The command name is in parentheses and may itself hold spaces or ')'. */
export function parseProcStat(text: string): ProcStat | undefined {
  const close = text.lastIndexOf(')');
  if (close < 0) return undefined;
  const pid = Number(text.slice(0, text.indexOf(' ')));
  const rest = text.slice(close + 2).split(' ');
  // After the name: state(3) ppid(4) pgrp(5) ... starttime(22) -> index 19, rss(24) -> index 21.
  return { pid, state: rest[0], ppid: Number(rest[1]), pgrp: Number(rest[2]), rssPages: Number(rest[21]), startTime: Number(rest[19]) };
}

export const hasProcFs = (): boolean => process.platform === 'linux' && existsSync('/proc/self/stat');

export async function readStat(pid: number): Promise<ProcStat | undefined> {
  try {
    return parseProcStat(await readFile(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return undefined;
  }
}

/** For the one place that cannot wait (process 'exit' handlers). */
export function readStatSync(pid: number): ProcStat | undefined {
  try {
    return parseProcStat(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return undefined;
  }
}

/** Every process's stat, read concurrently. */
export async function allStats(): Promise<ProcStat[]> {
  let names: string[];
  try {
    names = await readdir('/proc');
  } catch {
    return [];
  }
  const stats = await Promise.all(names.filter((n) => /^\d+$/.test(n)).map((n) => readStat(Number(n))));
  return stats.filter((s): s is ProcStat => s !== undefined);
}

const live = (s: ProcStat | undefined): s is ProcStat => s !== undefined && s.state !== 'Z';

/**
 * The live processes of a trial: the root, its descendants (by parent pid) and everything in
 * its process group (a grandchild re-parented to init after its parent died still counts).
 * Zombies are excluded: they hold no memory and cannot be killed further.
 */
export async function processTree(rootPid: number, stats?: ProcStat[]): Promise<ProcStat[]> {
  if (!hasProcFs()) return [];
  const all = stats ?? (await allStats());
  const children = new Map<number, ProcStat[]>();
  for (const s of all) {
    const list = children.get(s.ppid);
    if (list) list.push(s);
    else children.set(s.ppid, [s]);
  }
  const found = new Map<number, ProcStat>();
  const queue = all.filter((s) => s.pid === rootPid || s.pgrp === rootPid);
  while (queue.length) {
    const s = queue.pop() as ProcStat;
    if (found.has(s.pid)) continue;
    found.set(s.pid, s);
    queue.push(...(children.get(s.pid) ?? []));
  }
  return [...found.values()].filter(live);
}

/** The children of a process's main thread (/proc/<pid>/task/<pid>/children; Linux >= 3.5). */
async function readChildren(pid: number): Promise<number[]> {
  try {
    return (await readFile(`/proc/${pid}/task/${pid}/children`, 'utf8')).split(' ').filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/**
 * The trial's live processes found from what is already known instead of a scan of every process:
 * the root, the members seen before (while each is still the same process) and, breadth first, the
 * children of each. Costs a few reads per member, not per process on the machine; a process born
 * and orphaned between two calls is missed here (processTree's full scan finds it).
 */
export async function knownTree(rootPid: number, known: Iterable<ProcessIdentity>): Promise<ProcStat[]> {
  const expected = new Map<number, number>();
  for (const id of known) expected.set(id.pid, id.startTime);
  expected.delete(rootPid); // our own unreaped child: its pid cannot have been reused
  const found = new Map<number, ProcStat>();
  let frontier = [rootPid, ...expected.keys()];
  while (frontier.length) {
    const stats = await Promise.all(frontier.map((pid) => readStat(pid)));
    const fresh = stats.filter((s): s is ProcStat => live(s) && !found.has(s.pid) && (expected.get(s.pid) ?? s.startTime) === s.startTime);
    for (const s of fresh) found.set(s.pid, s);
    const children = (await Promise.all(fresh.map((s) => readChildren(s.pid)))).flat();
    frontier = [...new Set(children.filter((pid) => !found.has(pid)))];
  }
  return [...found.values()];
}

/** processTree's pids. */
export async function processTreePids(rootPid: number): Promise<number[]> {
  return (await processTree(rootPid)).map((s) => s.pid);
}

let pageSize: number | undefined;
/** Bytes per page: 4096 on x86-64 and most arm64 kernels; 16/64 KiB ones announce themselves in smaps. */
async function pageBytes(): Promise<number> {
  if (pageSize === undefined) {
    try {
      const m = /KernelPageSize:\s+(\d+) kB/.exec(await readFile('/proc/self/smaps_rollup', 'utf8').catch(() => readFile('/proc/self/smaps', 'utf8')));
      pageSize = m ? Number(m[1]) * 1024 : 4096;
    } catch {
      pageSize = 4096;
    }
  }
  return pageSize;
}

/** Resident memory of processes already read, bytes (stat's rss, in pages). */
export async function rssBytesOfStats(stats: ProcStat[]): Promise<number> {
  return stats.reduce((a, s) => a + (s.rssPages || 0), 0) * (await pageBytes());
}

/** Sum of resident memory of the given processes, bytes (/proc/<pid>/statm field 2). */
export async function rssBytesOf(pids: number[]): Promise<number> {
  const pages = await Promise.all(
    pids.map(async (pid) => {
      try {
        return Number((await readFile(`/proc/${pid}/statm`, 'utf8')).split(' ')[1]) || 0;
      } catch {
        return 0; // exited between listing and reading
      }
    }),
  );
  return pages.reduce((a, b) => a + b, 0) * (await pageBytes());
}

/** Pids among `pids` (and in the group) still alive and not zombies: what a clean stop must leave empty. */
export async function livePids(pids: Iterable<number>, group?: number): Promise<number[]> {
  const alive = new Set<number>();
  for (const s of await Promise.all([...pids].map((p) => readStat(p)))) if (live(s)) alive.add(s.pid);
  if (group !== undefined && hasProcFs()) for (const s of await allStats()) if (s.pgrp === group && live(s)) alive.add(s.pid);
  return [...alive];
}

/** True while `id` names the same living process (same pid, same start time, not a zombie). */
export function isSameProcess(id: ProcessIdentity, stat: ProcStat | undefined): boolean {
  return live(stat) && stat.startTime === id.startTime;
}

/** The live members of `ids` that are still the processes they were when seen. */
export async function stillSame(ids: Iterable<ProcessIdentity>): Promise<ProcessIdentity[]> {
  const list = [...ids];
  const stats = await Promise.all(list.map((id) => readStat(id.pid)));
  return list.filter((id, i) => isSameProcess(id, stats[i]));
}

/** USER_HZ: the unit of /proc's start times, 100 on every Linux ABI Node runs on. */
const TICKS_PER_SECOND = 100;

/** When a process started, ms since the epoch (undefined: no such process, or no /proc). */
export async function processStartMs(pid: number): Promise<number | undefined> {
  const s = await readStat(pid);
  if (!live(s)) return undefined;
  try {
    const btime = /^btime (\d+)$/m.exec(await readFile('/proc/stat', 'utf8'));
    return btime ? (Number(btime[1]) + s.startTime / TICKS_PER_SECOND) * 1000 : undefined;
  } catch {
    return undefined;
  }
}
