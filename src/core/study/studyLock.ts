// One study per config at a time, and who is writing a study. Two studies on one config (two
// VS Code windows, or the CLI beside the panel) time their trials on the same machine and each
// distorts the other's throughput and memory, so a study takes a lock next to its study file:
// a file created exclusively (link(2) of a complete temporary file: no reader ever sees it half
// written) holding the writer's pid, process start time and host. A second study is refused
// unless it is forced; a lock whose process is gone (killed, crashed) is taken over.
// The same identity, in the study-start line, tells a study that is running from one whose
// process died without writing its end (readStudy: `interrupted`).
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, linkSync, mkdirSync, openSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { hasProcFs, readStatSync } from '../runner/procfs';
import { isProcessAlive } from '../runner/processTree';
import { parseJsonBounded } from '../boundedJson';
import type { LockHolder, StudyOptions, WriterIdentity } from './types';
import { obj, opt, posInt, num, str } from './decoders';

/** This process, as a study's writer or a lock's holder. */
export function currentIdentity(): WriterIdentity {
  const startTicks = readStatSync(process.pid)?.startTime;
  return { pid: process.pid, host: hostname(), ...(startTicks !== undefined ? { startTicks } : {}) };
}

/**
 * Whether the process `id` names still runs: `unknown` on another host (its pids mean nothing
 * here). With /proc the start time must match too (a reused pid is another process); without it
 * (macOS, Windows) a live pid is taken at its word.
 */
export function identityState(id: WriterIdentity): 'alive' | 'gone' | 'unknown' {
  if (id.host !== undefined && id.host !== hostname()) return 'unknown';
  if (hasProcFs()) {
    const stat = readStatSync(id.pid);
    if (!stat || stat.state === 'Z') return 'gone';
    return id.startTicks === undefined || stat.startTime === id.startTicks ? 'alive' : 'gone';
  }
  return isProcessAlive(id.pid) ? 'alive' : 'gone';
}

/** Where the lock of `configPath`'s studies lives in `outDir`: `<config name>-<path hash>.study.lock`. */
export function studyLockFile(outDir: string, configPath: string): string {
  const name =
    basename(configPath)
      .replace(/[^A-Za-z0-9_.-]+/g, '-')
      .slice(0, 60) || 'config';
  const hash = createHash('sha256').update(resolve(configPath)).digest('hex').slice(0, 8);
  return join(outDir, `${name}-${hash}.study.lock`);
}

interface LockContent extends LockHolder {
  /** Random: tells this lock from a later one of the same process (release removes only its own). */
  token: string;
}

const lockContent = obj<LockContent>({
  pid: posInt,
  startTicks: opt(num),
  host: opt(str),
  configPath: str,
  since: str,
  studyFile: opt(str),
  token: str,
});

/** Tokens of the locks this process holds now: a lock of ours not among them was leaked (taken over). */
const heldTokens = new Set<string>();

function readLock(file: string): { content?: LockContent; ino: number } | undefined {
  try {
    const st = statSync(file);
    // A pipe, a folder or a huge file under the lock's name is no lock of ours (and must not block the read).
    if (!st.isFile() || st.size > 64 * 1024) return { ino: st.ino };
    const parsed = parseJsonBounded(readFileSync(file, 'utf8'));
    if ('problem' in parsed) return { ino: st.ino };
    try {
      return { ino: st.ino, content: lockContent(parsed.value, 'lock') };
    } catch {
      return { ino: st.ino }; // not a lock of ours: stale
    }
  } catch {
    return undefined; // gone since
  }
}

function isStale(content: LockContent | undefined): boolean {
  if (!content) return true;
  if (content.pid === process.pid && (content.host === undefined || content.host === hostname())) return !heldTokens.has(content.token);
  return identityState(content) === 'gone';
}

/** Creates `file` with `text`, atomically and only if absent (false: it exists). */
function createExclusive(file: string, text: string): boolean {
  const temp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  writeFileSync(temp, text, { flag: 'wx', mode: 0o644 });
  try {
    linkSync(temp, file);
    return true;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return false;
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP') throw e;
    // No hard links here (some network or FAT file systems): an exclusive create, then the content.
    let fd: number;
    try {
      fd = openSync(file, 'wx', 0o644);
    } catch (e2) {
      if ((e2 as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw e2;
    }
    writeSync(fd, text);
    closeSync(fd);
    return true;
  } finally {
    try {
      unlinkSync(temp);
    } catch {
      // Already gone.
    }
  }
}

/**
 * Removes a stale lock, only if it is still the one judged stale (same inode): renamed aside
 * first, so a fresh lock that replaced it meanwhile is put back, not deleted.
 */
function removeStale(file: string, ino: number): void {
  const aside = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.stale`;
  try {
    renameSync(file, aside);
  } catch {
    return; // someone else removed it first
  }
  try {
    if (statSync(aside).ino !== ino) linkSync(aside, file); // a fresh lock: put it back (if a third got in, that one stands)
  } catch {
    // Someone holds it now either way.
  }
  try {
    unlinkSync(aside);
  } catch {
    // Already gone.
  }
}

export type LockClaim = { held: () => void } | { holder: LockHolder };

/**
 * Takes the lock of `configPath`'s studies in `outDir`. `held` releases it; `holder` is the live
 * study that has it. Throws only when the folder cannot be written (the caller goes on unlocked).
 */
export function claimLock(outDir: string, configPath: string, studyFile?: string): LockClaim {
  mkdirSync(outDir, { recursive: true });
  const file = studyLockFile(outDir, configPath);
  const token = randomBytes(8).toString('hex');
  const content: LockContent = { ...currentIdentity(), configPath, since: new Date().toISOString(), token, ...(studyFile ? { studyFile } : {}) };
  for (let attempt = 0; attempt < 5; attempt++) {
    if (createExclusive(file, JSON.stringify(content) + '\n')) {
      heldTokens.add(token);
      return { held: () => releaseLock(file, token) };
    }
    const existing = readLock(file);
    if (!existing) continue; // released meanwhile: try again
    if (!isStale(existing.content)) {
      const { token: _t, ...holder } = existing.content as LockContent;
      return { holder };
    }
    removeStale(file, existing.ino);
  }
  throw new Error(`could not take the study lock ${file}: it keeps changing hands`);
}

function releaseLock(file: string, token: string): void {
  heldTokens.delete(token);
  if (readLock(file)?.content?.token !== token) return; // taken over meanwhile: not ours to remove
  try {
    unlinkSync(file);
  } catch {
    // Already gone.
  }
}

function holderText(h: LockHolder): string {
  const where = h.host && h.host !== hostname() ? ` on ${h.host}` : '';
  return `another study on ${h.configPath} is running in pid ${h.pid}${where} since ${h.since}${h.studyFile ? ` (${h.studyFile})` : ''}`;
}

/** What runStudy does about the lock: refuse, warn, or nothing; and how to let it go. */
export interface StudyLockOutcome {
  /** Why the study does not run (another one holds the lock and `force` was not given). */
  refused?: string;
  holder?: LockHolder;
  /** Said once the study runs (forced beside another one). */
  warning?: string;
  release(): void;
}

/**
 * The lock for a persisted study (`outDir` set): taken, or refused because a live study holds it,
 * or (with `force`) run anyway with a warning. A folder that cannot be written runs unlocked: the
 * study file cannot be written there either, and says so (StudyContext.persist).
 */
export function lockStudy(options: StudyOptions, studyFile: string | undefined): StudyLockOutcome {
  const none = { release: () => undefined };
  if (options.outDir === undefined) return none;
  let claim: LockClaim;
  try {
    claim = claimLock(options.outDir, options.configPath, studyFile);
  } catch {
    return none;
  }
  if ('held' in claim) return { release: claim.held };
  const distort = `${holderText(claim.holder)}: two studies on one config time their trials on the same machine and results would distort each other`;
  if (options.force) return { ...none, holder: claim.holder, warning: `${distort}; running anyway (forced)` };
  return {
    ...none,
    holder: claim.holder,
    refused: `${distort}. Wait for it to end or stop it, or run both anyway (batch-tuner tune --force, or Run Anyway in VS Code)`,
  };
}
