// What a training script cannot easily report about itself: the resident memory of its whole
// process tree (data-loader workers included) from /proc, and its GPU memory from nvidia-smi.
// Linux reads /proc; elsewhere the RSS sample is simply absent (never an error).
import { execFile, execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { listDescendants } from './processTree';

interface ProcStat {
  pid: number;
  ppid: number;
  pgrp: number;
  /** Resident pages. */
  rssPages: number;
  state: string;
}

let pageSize: number | undefined;
function pageBytes(): number {
  if (pageSize === undefined) {
    try {
      pageSize = Number(execFileSync('getconf', ['PAGESIZE'], { encoding: 'utf8', timeout: 2000 }).trim()) || 4096;
    } catch {
      pageSize = 4096;
    }
  }
  return pageSize;
}

/** Parses /proc/<pid>/stat. The command name is in parentheses and may itself hold spaces or ')'. */
export function parseProcStat(text: string): ProcStat | undefined {
  const close = text.lastIndexOf(')');
  if (close < 0) return undefined;
  const pid = Number(text.slice(0, text.indexOf(' ')));
  const rest = text.slice(close + 2).split(' ');
  // After the name: state(3) ppid(4) pgrp(5) ... rss is field 24 -> index 21 in `rest`.
  return { pid, state: rest[0], ppid: Number(rest[1]), pgrp: Number(rest[2]), rssPages: Number(rest[21]) };
}

function readStat(pid: number): ProcStat | undefined {
  try {
    return parseProcStat(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return undefined;
  }
}

export const hasProcFs = (): boolean => process.platform === 'linux' && existsSync('/proc/self/stat');

function allStats(): ProcStat[] {
  const out: ProcStat[] = [];
  let names: string[];
  try {
    names = readdirSync('/proc');
  } catch {
    return out;
  }
  for (const name of names) {
    if (!/^\d+$/.test(name)) continue;
    const s = readStat(Number(name));
    if (s) out.push(s);
  }
  return out;
}

/**
 * The live processes of a trial: the root, its descendants (by parent pid) and everything in
 * its process group (a grandchild re-parented to init after its parent died still counts).
 * Zombies are excluded: they hold no memory and cannot be killed further.
 */
export function processTreePids(rootPid: number, extraGroups: number[] = []): number[] {
  if (!hasProcFs()) return [];
  const stats = allStats();
  const children = new Map<number, number[]>();
  for (const s of stats) {
    const list = children.get(s.ppid);
    if (list) list.push(s.pid);
    else children.set(s.ppid, [s.pid]);
  }
  const byPid = new Map(stats.map((s) => [s.pid, s]));
  const found = new Set<number>();
  const queue = [rootPid];
  while (queue.length) {
    const pid = queue.pop() as number;
    if (found.has(pid) || !byPid.has(pid)) continue;
    found.add(pid);
    queue.push(...(children.get(pid) ?? []));
  }
  const groups = new Set([rootPid, ...extraGroups]);
  for (const s of stats) if (groups.has(s.pgrp)) found.add(s.pid);
  return [...found].filter((pid) => byPid.get(pid)?.state !== 'Z');
}

/** Sum of resident memory of the given processes, bytes (/proc/<pid>/statm field 2). */
export function rssBytesOf(pids: number[]): number {
  let pages = 0;
  for (const pid of pids) {
    try {
      pages += Number(readFileSync(`/proc/${pid}/statm`, 'utf8').split(' ')[1]) || 0;
    } catch {
      // Exited between listing and reading.
    }
  }
  return pages * pageBytes();
}

// ---------------------------------------------------------------------------------------------
// nvidia-smi

let nvidiaSmiPath: string | null | undefined;
/** The nvidia-smi executable on PATH, or null when there is none (no NVIDIA GPU or driver). */
export function findNvidiaSmi(env: NodeJS.ProcessEnv = process.env): string | null {
  if (nvidiaSmiPath !== undefined) return nvidiaSmiPath;
  const exe = process.platform === 'win32' ? 'nvidia-smi.exe' : 'nvidia-smi';
  nvidiaSmiPath = null;
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (dir && existsSync(join(dir, exe))) {
      nvidiaSmiPath = join(dir, exe);
      break;
    }
  }
  return nvidiaSmiPath;
}

/** Parses `nvidia-smi --query-compute-apps=pid,used_memory --format=csv,noheader,nounits` (MiB). */
export function parseNvidiaSmiApps(text: string): Map<number, number> {
  const out = new Map<number, number>();
  for (const line of text.split('\n')) {
    const [pid, mib] = line.split(',').map((s) => s.trim());
    const p = Number(pid);
    const m = Number(mib);
    if (pid && Number.isInteger(p) && Number.isFinite(m)) out.set(p, (out.get(p) ?? 0) + m * 1024 * 1024);
  }
  return out;
}

function queryGpuApps(smi: string): Promise<Map<number, number>> {
  return new Promise((resolve) => {
    execFile(smi, ['--query-compute-apps=pid,used_memory', '--format=csv,noheader,nounits'], { timeout: 5000 }, (err, stdout) => {
      resolve(err ? new Map() : parseNvidiaSmiApps(stdout));
    });
  });
}

// ---------------------------------------------------------------------------------------------

export interface ResourceSample {
  rssBytes?: number;
  gpuBytes?: number;
  pids: number[];
}

/**
 * Samples a trial's process tree every `intervalMs` (RSS) and every `gpuEveryMs` (nvidia-smi,
 * which is slower to call). Keeps the peaks and every pid ever seen (for the final kill check).
 */
export class ResourceSampler {
  peakRssBytes = 0;
  peakGpuBytes = 0;
  latest: ResourceSample = { pids: [] };
  readonly seenPids = new Set<number>();
  private timer?: NodeJS.Timeout;
  private gpuTimer?: NodeJS.Timeout;
  private readonly smi: string | null;

  constructor(
    private readonly rootPid: number,
    private readonly intervalMs = 250,
    private readonly gpuEveryMs = 1000,
    env: NodeJS.ProcessEnv = process.env,
    /** 'auto': /proc where there is one (Linux), else `ps` (macOS, BSD); nothing on Windows. */
    private readonly source: 'auto' | 'proc' | 'ps' = 'auto',
  ) {
    this.smi = findNvidiaSmi(env);
  }

  /** Without /proc: the tree from `ps` (processTree.ts) and its RSS from `ps -o rss=` (KiB). */
  private samplePs(): ResourceSample {
    if (process.platform === 'win32') return this.latest;
    const pids = [this.rootPid, ...listDescendants(this.rootPid)];
    let kib = 0;
    try {
      const out = execFileSync('ps', ['-o', 'rss=', '-p', pids.join(',')], { encoding: 'utf8', timeout: 2000 });
      for (const line of out.split('\n')) kib += Number(line.trim()) || 0;
    } catch {
      return this.latest; // the root has exited
    }
    for (const p of pids) this.seenPids.add(p);
    const rss = kib * 1024;
    this.peakRssBytes = Math.max(this.peakRssBytes, rss);
    this.latest = { ...this.latest, pids, rssBytes: rss };
    return this.latest;
  }

  start(): void {
    this.sample();
    // `ps` costs a process per sample: sample less often where there is no /proc.
    const every = this.source === 'ps' || (this.source === 'auto' && !hasProcFs()) ? Math.max(this.intervalMs, 1000) : this.intervalMs;
    this.timer = setInterval(() => this.sample(), every);
    this.timer.unref();
    if (this.smi) {
      const smi = this.smi;
      const tick = async () => {
        const apps = await queryGpuApps(smi);
        let bytes = 0;
        for (const pid of this.latest.pids) bytes += apps.get(pid) ?? 0;
        if (bytes > 0) {
          this.latest.gpuBytes = bytes;
          this.peakGpuBytes = Math.max(this.peakGpuBytes, bytes);
        }
      };
      void tick();
      this.gpuTimer = setInterval(() => void tick(), this.gpuEveryMs);
      this.gpuTimer.unref();
    }
  }

  sample(): ResourceSample {
    const useProc = this.source === 'proc' || (this.source === 'auto' && hasProcFs());
    if (!useProc) return this.samplePs();
    const pids = processTreePids(this.rootPid);
    for (const p of pids) this.seenPids.add(p);
    if (pids.length) {
      const rss = rssBytesOf(pids);
      this.peakRssBytes = Math.max(this.peakRssBytes, rss);
      this.latest = { ...this.latest, pids, rssBytes: rss };
    }
    return this.latest;
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    if (this.gpuTimer) clearInterval(this.gpuTimer);
  }
}

/** Pids among `pids` (and in the group) still alive and not zombies: what a clean stop must leave empty. */
export function livePids(pids: Iterable<number>, group?: number): number[] {
  const alive: number[] = [];
  for (const pid of pids) {
    const s = readStat(pid);
    if (s && s.state !== 'Z') alive.push(pid);
  }
  if (group !== undefined && hasProcFs()) {
    for (const s of allStats()) if (s.pgrp === group && s.state !== 'Z' && !alive.includes(s.pid)) alive.push(s.pid);
  }
  return alive;
}
