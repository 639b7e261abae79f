// Files a trial leaves while it runs — its temp folder (metrics file, control file, scratch
// checkpoint) and the per-trial copy of the config next to the user's — carry the pid of the
// process that supervises it, so that after a crash or a SIGKILL (when no cleanup of ours ran) the
// next start can tell leftovers of a dead supervisor from files of one that is still running, in
// this window or another, and remove only the former (sweepStale).
import { mkdtempSync } from 'node:fs';
import { lstat, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hasProcFs, processStartMs } from './procfs';
import { isProcessAlive } from './processTree';

/** `batch-tuner-pid<owner>-…` in the temp folder. */
const TEMP_DIR_RE = /^batch-tuner-pid(\d+)-/;
/** `.batch-tuner-pid<owner>-<trial>-<random>.<ext>` next to a config (writeTrialConfig's name with ownerTag()). */
const CONFIG_COPY_RE = /^\.batch-tuner-pid(\d+)-/;

/** What goes into leftover names to say whose they are. */
export function ownerTag(pid = process.pid): string {
  return `pid${pid}`;
}

/** A fresh private temp folder for one trial: `<tmp>/batch-tuner-pid<owner>-XXXXXX` (mode 0700). */
export function makeTrialTempDir(): string {
  return mkdtempSync(join(tmpdir(), `batch-tuner-${ownerTag()}-`));
}

/** The trial id to give writeTrialConfig so its copy is named `.batch-tuner-pid<owner>-<trial>-…`. */
export function configCopyId(trialId: string): string {
  return `${ownerTag()}-${trialId}`;
}

/**
 * Is the process that made `mtimeMs`'s file still running? Alive, and (where /proc says when it
 * started) started before the file was last written: a younger process has merely reused the pid.
 */
async function ownerAlive(pid: number, mtimeMs: number): Promise<boolean> {
  if (pid === process.pid) return true;
  if (!isProcessAlive(pid)) return false;
  if (!hasProcFs()) return true;
  const started = await processStartMs(pid);
  // 2 s of slack: the start time is in 10 ms ticks and the boot time in whole seconds.
  return started === undefined ? false : started <= mtimeMs + 2000;
}

export interface SweepReport {
  /** Paths removed. */
  removed: string[];
  /** Paths that could not be removed, with why. */
  failed: Array<{ path: string; error: string }>;
}

/**
 * Removes the leftovers of supervisors that are gone: `batch-tuner-pid<N>-*` folders in the temp
 * folder, and `.batch-tuner-pid<N>-*` config copies in `configDirs` (the folders of the configs
 * about to be tuned; not recursive). Never follows a symlink, never touches an entry of a live
 * owner. Call it at start (CLI, extension activation). Never rejects.
 */
export async function sweepStale(opts: { configDirs?: string[]; tempDir?: string } = {}): Promise<SweepReport> {
  const report: SweepReport = { removed: [], failed: [] };
  await sweepDir(opts.tempDir ?? tmpdir(), TEMP_DIR_RE, 'dir', report);
  for (const dir of new Set(opts.configDirs ?? [])) await sweepDir(dir, CONFIG_COPY_RE, 'file', report);
  return report;
}

async function sweepDir(dir: string, pattern: RegExp, kind: 'dir' | 'file', report: SweepReport): Promise<void> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return;
  }
  for (const name of names) {
    const m = pattern.exec(name);
    if (!m) continue;
    const path = join(dir, name);
    try {
      const st = await lstat(path);
      const right = kind === 'dir' ? st.isDirectory() : st.isFile();
      // Only our own: not a symlink, not another user's (where uids exist).
      if (!right || (process.getuid && st.uid !== process.getuid())) continue;
      if (await ownerAlive(Number(m[1]), st.mtimeMs)) continue;
      await rm(path, { recursive: kind === 'dir', force: true });
      report.removed.push(path);
    } catch (e) {
      report.failed.push({ path, error: e instanceof Error ? e.message : String(e) });
    }
  }
}
