// Study persistence: append-only JSONL, one file per study, one line per event. Each line is
// written with appendFileSync so a crash loses at most the line in flight; a half-written last
// line is skipped on reading. A study file is untrusted input (any workspace may hold one, and
// views read them in Restricted Mode): every line is checked against its type's shape
// (studyLines.ts), bad lines are skipped and counted, and nothing in a file can block, exhaust
// or crash the reader (regular files only, bounded size and nesting, UTF-8 checked per line).
import { isUtf8 } from 'node:buffer';
import { appendFileSync, closeSync, constants, existsSync, fstatSync, mkdirSync, openSync, readdirSync, readSync, statSync, truncateSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join, resolve } from 'node:path';
import { parseJsonBounded } from '../boundedJson';
import { DecodeError } from './decoders';
import { identityState } from './studyLock';
import { isStudyLineType, STUDY_LINE_DECODERS } from './studyLines';
import type { SkippedLine, StudyLine, StudyListEntry, StudyRecord, StudyStartLine } from './types';

export const STUDY_FILE_SUFFIX = '.study.jsonl';
/** Largest study file read: a long study writes a few MB; more is not a study of ours. */
export const MAX_STUDY_FILE_BYTES = 64 * 1024 * 1024;
/** Skipped lines whose reasons are kept (all are counted). */
const SKIPPED_KEPT = 5;

export function hashConfigText(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 16);
}

/** A sortable, file-name-safe id: 2026-11-25T04-40-00-123Z-mnist-mlp. */
export function newStudyId(configPath: string, now = new Date()): string {
  const base =
    configPath
      .split(/[\\/]/)
      .pop()
      ?.replace(/\.[^.]*$/, '')
      .replace(/[^A-Za-z0-9_-]+/g, '-') || 'study';
  return `${now.toISOString().replace(/[:.]/g, '-')}-${base}`;
}

/**
 * mkdir -p that names the real cause: Node's recursive mkdir says ENOENT on a read-only file
 * system; a plain mkdir of the last folder then tells EROFS or EACCES.
 */
function makeDir(dir: string): void {
  try {
    mkdirSync(dir, { recursive: true });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    mkdirSync(dir);
  }
}

export class StudyWriter {
  readonly file: string;
  /** Bytes of complete lines written: a failed append is cut back to this (no torn line mid-file). */
  private size = 0;
  constructor(
    private readonly dir: string,
    id: string,
  ) {
    this.file = join(dir, id + STUDY_FILE_SUFFIX);
  }
  /** True once a line is on disk (the file exists and reads as a study). */
  get written(): boolean {
    return this.size > 0;
  }
  /** Appends one line; throws when it cannot (the folder is read-only, the disk is full). */
  append(line: StudyLine): void {
    if (this.size === 0) makeDir(this.dir);
    const text = JSON.stringify(line, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v)) + '\n';
    try {
      appendFileSync(this.file, text);
      this.size += Buffer.byteLength(text);
    } catch (e) {
      try {
        if (existsSync(this.file)) truncateSync(this.file, this.size);
      } catch {
        // The file is gone or cannot be changed: a reader skips a torn last line anyway.
      }
      throw e;
    }
  }
}

type Parts = Omit<StudyRecord, 'start' | 'id' | 'startedAt'>;

/** Adds one decoded line to the record being built. */
function apply(rec: Parts, line: StudyLine): void {
  switch (line.type) {
    case 'plan':
      rec.plan = line.plan;
      break;
    case 'phase':
      rec.phases.push({ phase: line.phase, message: line.message, time: line.time });
      break;
    case 'trial-end':
      rec.trials.push({ ...line.trial, series: line.series });
      break;
    case 'noise-scale':
      rec.noiseScale = line.estimate;
      break;
    case 'recommendation':
      rec.recommendation = line.recommendation;
      break;
    case 'warning':
      rec.warnings.push(line.message);
      break;
    case 'study-end':
      rec.status = line.status;
      rec.reason = line.reason;
      rec.endedAt = line.time;
      rec.elapsedSeconds = line.elapsedSeconds;
      break;
    default:
      break; // study-start (handled by the caller), trial-start: nothing to keep
  }
}

/** One line of text as a study line; `ignored` for a type from a newer version; else why not. */
export function decodeStudyLine(raw: string): { line: StudyLine } | { ignored: true } | { problem: string } {
  const parsed = parseJsonBounded(raw);
  if ('problem' in parsed) return { problem: parsed.problem.message };
  const o = parsed.value as { type?: unknown } | null;
  if (typeof o !== 'object' || o === null || Array.isArray(o)) return { problem: 'not a JSON object' };
  if (!isStudyLineType(o.type)) return typeof o.type === 'string' ? { ignored: true } : { problem: 'no string "type"' };
  try {
    return { line: STUDY_LINE_DECODERS[o.type](o, o.type) };
  } catch (e) {
    if (e instanceof DecodeError) return { problem: e.message };
    throw e;
  }
}

/**
 * A study from its lines (text, or bytes split at newlines, each checked to be UTF-8). Without
 * an end line the status is `running` here; readStudy says whether its process still runs.
 */
export function parseStudyLines(lines: Iterable<string | Buffer>, file: string): StudyRecord {
  let start: StudyStartLine | undefined;
  const rec: Parts = { file, status: 'running', phases: [], trials: [], warnings: [], skippedLines: 0 };
  const skipped: SkippedLine[] = [];
  const skip = (line: number, reason: string) => {
    rec.skippedLines++;
    if (skipped.length < SKIPPED_KEPT) skipped.push({ line, reason });
  };
  let n = 0;
  for (const item of lines) {
    n++;
    if (typeof item !== 'string' && !isUtf8(item)) {
      skip(n, 'not UTF-8 text');
      continue;
    }
    const raw = typeof item === 'string' ? item : item.toString('utf8');
    if (raw.trim() === '') continue;
    const decoded = decodeStudyLine(raw);
    if ('problem' in decoded) skip(n, decoded.problem);
    else if ('line' in decoded && decoded.line.type === 'study-start') {
      if (start) skip(n, 'a second study-start line');
      else start = decoded.line;
    } else if ('line' in decoded) apply(rec, decoded.line);
  }
  if (!start)
    throw new Error(
      `${file}:1:1: not a Batch Tuner study (no readable study-start line); delete the file or point to a *${STUDY_FILE_SUFFIX} file written by 'batch-tuner tune'`,
    );
  return { ...rec, start, id: start.id, startedAt: start.time, ...(skipped.length ? { skipped } : {}) };
}

export function parseStudyText(text: string, file: string): StudyRecord {
  return parseStudyLines(text.split('\n'), file);
}

/** The lines of a buffer (split at 0x0A, which never occurs inside a UTF-8 sequence). */
function* bufferLines(bytes: Buffer): Generator<Buffer> {
  let at = 0;
  while (at < bytes.length) {
    const nl = bytes.indexOf(0x0a, at);
    const end = nl < 0 ? bytes.length : nl;
    yield bytes.subarray(at, end);
    at = end + 1;
  }
}

/**
 * A study file's bytes: a regular file only (a FIFO or a device behind a name would block or
 * never end), at most MAX_STUDY_FILE_BYTES. Opened non-blocking, checked again on the open file.
 */
function readStudyBytes(file: string): Buffer {
  const notRegular = `${file}: not a regular file; a study is a *${STUDY_FILE_SUFFIX} file written by Batch Tuner`;
  if (!statSync(file).isFile()) throw new Error(notRegular);
  const fd = openSync(file, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new Error(notRegular);
    if (st.size > MAX_STUDY_FILE_BYTES)
      throw new Error(
        `${file}: ${(st.size / 2 ** 20).toFixed(0)} MiB is more than a study file holds (at most ${MAX_STUDY_FILE_BYTES / 2 ** 20} MiB); it is not read`,
      );
    const bytes = Buffer.alloc(st.size);
    let got = 0;
    while (got < bytes.length) {
      const n = readSync(fd, bytes, got, bytes.length - got, got);
      if (n <= 0) break;
      got += n;
    }
    return bytes.subarray(0, got);
  } finally {
    closeSync(fd);
  }
}

/** How long a study without a recorded writer may go unfinished before it counts as interrupted. */
const LEGACY_GRACE_SECONDS = 3600;

/**
 * `running` without an end line: still so while the writer runs; `interrupted` once it is gone.
 * Studies written before the writer was recorded count as interrupted an hour past their budget.
 */
export function withLiveness(rec: StudyRecord, now = Date.now()): StudyRecord {
  if (rec.status !== 'running') return rec;
  const w = rec.start.writer;
  if (w) {
    if (identityState(w) !== 'gone') return rec;
    const reason = `the Batch Tuner process that wrote it (pid ${w.pid}) ended without finishing the study (killed, crashed, or the machine restarted); what it recorded up to then is kept`;
    return { ...rec, status: 'interrupted', reason };
  }
  const started = Date.parse(rec.startedAt);
  const limit = (rec.start.settings.budgetSeconds + LEGACY_GRACE_SECONDS) * 1000;
  if (!Number.isFinite(started) || now - started <= limit) return rec;
  return {
    ...rec,
    status: 'interrupted',
    reason:
      'the study never finished: it has no end line and its budget ran out over an hour ago (written by an older Batch Tuner that did not record its process)',
  };
}

/** Reads a study file; throws a clear error when it is not one (views list only those that are). */
export function readStudy(file: string): StudyRecord {
  return withLiveness(parseStudyLines(bufferLines(readStudyBytes(file)), file));
}

function listEntry(file: string, r: StudyRecord): StudyListEntry {
  return {
    file,
    id: r.id,
    configPath: r.start.configPath,
    startedAt: r.startedAt,
    status: r.status,
    ...(r.reason !== undefined ? { reason: r.reason } : {}),
    recommendedBatchSize: r.recommendation?.batchSize,
    speedupVsCurrent: r.recommendation?.speedupVsCurrent,
    trials: r.trials.length,
  };
}

/** Studies in `dir`, newest first; files that cannot be read as studies are left out. Never throws. */
export function listStudies(dir: string): StudyListEntry[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const out: Array<StudyListEntry & { mtime: number }> = [];
  for (const name of names) {
    if (!name.endsWith(STUDY_FILE_SUFFIX)) continue;
    const file = join(dir, name);
    try {
      out.push({ ...listEntry(file, readStudy(file)), mtime: statSync(file).mtimeMs });
    } catch {
      // A foreign, empty, oversized or unreadable file: not a study.
    }
  }
  out.sort((a, b) => (a.startedAt < b.startedAt ? 1 : a.startedAt > b.startedAt ? -1 : b.mtime - a.mtime));
  return out.map(({ mtime: _m, ...e }) => e);
}

/** The newest study of `configPath` in `dir` that has a recommendation (what the CodeLens shows). Never throws. */
export function latestStudyFor(dir: string, configPath: string): StudyRecord | undefined {
  const want = resolve(configPath);
  for (const e of listStudies(dir)) {
    if (resolve(e.configPath) !== want || e.recommendedBatchSize === undefined) continue;
    try {
      return readStudy(e.file);
    } catch {
      // Changed or removed since it was listed: try the next one.
    }
  }
  return undefined;
}
