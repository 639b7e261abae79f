// What a training script cannot easily report about itself: the resident memory of its whole
// process tree (data-loader workers included) from /proc, and its GPU memory from nvidia-smi.
// Sampling is asynchronous (the host thread never blocks on it) and remembers the identity of
// every process it saw, so the end of a trial can reap them without trusting a reused pid.
// Linux reads /proc; elsewhere `ps` (macOS, BSD); on Windows the sample is simply absent.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { promisify } from 'node:util';
import { hasProcFs, knownTree, processTree, rssBytesOfStats, type ProcessIdentity } from './procfs';
import { listDescendants } from './processTree';

const execFileAsync = promisify(execFile);

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

/** One sample in this many scans every process (the others follow the known tree). */
const FULL_SCAN_EVERY = 8;

/**
 * Samples a trial's process tree every `intervalMs` (RSS) and every `gpuEveryMs` (nvidia-smi,
 * which is slower to call). Keeps the peaks and the identities of the tree's processes (for the
 * final reap). One sample at a time: a slow one delays the next instead of piling up.
 */
export class ResourceSampler {
  peakRssBytes = 0;
  peakGpuBytes = 0;
  latest: ResourceSample = { pids: [] };
  /** The trial's processes at the last sample, as identities: followed by the next sample, signalled by the reap. */
  members = new Map<number, ProcessIdentity>();
  /** Pids that are not the trial's own work (the lifeline guardian): not measured, not reported. */
  readonly excluded = new Set<number>();
  private timer?: NodeJS.Timeout;
  private gpuTimer?: NodeJS.Timeout;
  private stopped = false;
  private samples = 0;
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

  private get useProc(): boolean {
    return this.source === 'proc' || (this.source === 'auto' && hasProcFs());
  }

  start(): void {
    // `ps` costs a process per sample: sample less often where there is no /proc.
    const every = this.useProc ? this.intervalMs : Math.max(this.intervalMs, 1000);
    const loop = async () => {
      await this.sample();
      if (!this.stopped) this.timer = setTimeout(() => void loop(), every).unref();
    };
    void loop();
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
      this.gpuTimer = setInterval(() => void tick(), this.gpuEveryMs).unref();
    }
  }

  async sample(): Promise<ResourceSample> {
    if (!this.useProc) return this.samplePs();
    // Most samples follow the known tree (a few reads); every FULL_SCAN_EVERY-th scans all of
    // /proc for group members re-parented before they were seen.
    const full = this.samples++ % FULL_SCAN_EVERY === 0;
    const stats = full ? await processTree(this.rootPid) : await knownTree(this.rootPid, this.members.values());
    const tree = stats.filter((s) => !this.excluded.has(s.pid));
    if (tree.length) {
      this.members = new Map(tree.map((s) => [s.pid, { pid: s.pid, startTime: s.startTime }]));
      this.record(
        tree.map((s) => s.pid),
        await rssBytesOfStats(tree),
      );
    }
    return this.latest;
  }

  /** Without /proc: the tree from `ps` (processTree.ts) and its RSS from `ps -o rss=` (KiB). */
  private async samplePs(): Promise<ResourceSample> {
    if (process.platform === 'win32') return this.latest;
    const pids = [this.rootPid, ...(await listDescendants(this.rootPid))].filter((p) => !this.excluded.has(p));
    let kib = 0;
    try {
      const { stdout } = await execFileAsync('ps', ['-o', 'rss=', '-p', pids.join(',')], { encoding: 'utf8', timeout: 2000 });
      for (const line of stdout.split('\n')) kib += Number(line.trim()) || 0;
    } catch {
      return this.latest; // the root has exited
    }
    this.record(pids, kib * 1024);
    return this.latest;
  }

  private record(pids: number[], rss: number): void {
    this.peakRssBytes = Math.max(this.peakRssBytes, rss);
    this.latest = { ...this.latest, pids, rssBytes: rss };
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    if (this.gpuTimer) clearInterval(this.gpuTimer);
  }
}
