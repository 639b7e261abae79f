// Study persistence: append-only JSONL, one file per study, one line per event. Each line is
// written with appendFileSync so a crash loses at most the line in flight; a half-written last
// line is skipped on reading.
import { appendFileSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join, resolve } from 'node:path';
import type { StudyLine, StudyListEntry, StudyRecord, StudyStartLine } from './types';

export const STUDY_FILE_SUFFIX = '.study.jsonl';

export function hashConfigText(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 16);
}

/** A sortable, file-name-safe id: 2026-11-25T04-40-00-123Z-mnist-mlp. */
export function newStudyId(configPath: string, now = new Date()): string {
  const base = configPath.split(/[\\/]/).pop()?.replace(/\.[^.]*$/, '').replace(/[^A-Za-z0-9_-]+/g, '-') || 'study';
  return `${now.toISOString().replace(/[:.]/g, '-')}-${base}`;
}

export class StudyWriter {
  readonly file: string;
  constructor(dir: string, id: string) {
    mkdirSync(dir, { recursive: true });
    this.file = join(dir, id + STUDY_FILE_SUFFIX);
  }
  append(line: StudyLine): void {
    appendFileSync(this.file, JSON.stringify(line, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v)) + '\n');
  }
}

/** JSON has no NaN/Infinity: they are written as strings and restored here. */
function revive(_k: string, v: unknown): unknown {
  if (v === 'NaN') return NaN;
  if (v === 'Infinity') return Infinity;
  if (v === '-Infinity') return -Infinity;
  return v;
}

export function parseStudyText(text: string, file: string): StudyRecord {
  let start: StudyStartLine | undefined;
  let skipped = 0;
  const rec: Omit<StudyRecord, 'start' | 'id' | 'startedAt'> = { file, status: 'running', phases: [], trials: [], warnings: [], skippedLines: 0 };
  for (const raw of text.split('\n')) {
    if (raw.trim() === '') continue;
    let line: StudyLine;
    try {
      line = JSON.parse(raw, revive) as StudyLine;
    } catch {
      skipped++;
      continue;
    }
    if (typeof line !== 'object' || line === null || typeof line.type !== 'string') {
      skipped++;
      continue;
    }
    switch (line.type) {
      case 'study-start':
        start = line;
        break;
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
        break; // trial-start and lines from newer versions: nothing to keep
    }
  }
  if (!start) throw new Error(`${file}:1:1: not a Batch Tuner study (no study-start line); delete the file or point to a *${STUDY_FILE_SUFFIX} file written by 'batch-tuner tune'`);
  return { ...rec, start, id: start.id, startedAt: start.time, skippedLines: skipped };
}

export function readStudy(file: string): StudyRecord {
  return parseStudyText(readFileSync(file, 'utf8'), file);
}

/** Studies in `dir`, newest first; files that cannot be read are left out. */
export function listStudies(dir: string): StudyListEntry[] {
  if (!existsSync(dir)) return [];
  const out: Array<StudyListEntry & { mtime: number }> = [];
  for (const name of readdirSync(dir)) {
    if (!name.endsWith(STUDY_FILE_SUFFIX)) continue;
    const file = join(dir, name);
    try {
      const r = readStudy(file);
      out.push({
        file,
        id: r.id,
        configPath: r.start.configPath,
        startedAt: r.startedAt,
        status: r.status,
        recommendedBatchSize: r.recommendation?.batchSize,
        speedupVsCurrent: r.recommendation?.speedupVsCurrent,
        trials: r.trials.length,
        mtime: statSync(file).mtimeMs,
      });
    } catch {
      // A foreign or empty file: not a study.
    }
  }
  out.sort((a, b) => (a.startedAt < b.startedAt ? 1 : a.startedAt > b.startedAt ? -1 : b.mtime - a.mtime));
  return out.map(({ mtime: _m, ...e }) => e);
}

/** The newest study of `configPath` in `dir` that has a recommendation (what the CodeLens shows). */
export function latestStudyFor(dir: string, configPath: string): StudyRecord | undefined {
  const want = resolve(configPath);
  for (const e of listStudies(dir)) {
    if (resolve(e.configPath) !== want || e.recommendedBatchSize === undefined) continue;
    return readStudy(e.file);
  }
  return undefined;
}
