// Messages between the extension host and the tuner panel / sidebar webviews.
// The webview is untrusted input: every message it posts is validated by validatePanelMessage
// before the host acts on it. Host -> webview messages are batched (at most ~20 per second).
import type { BatchScheduleSpec, EvalMetrics, LrRule, Recommendation, StepMetrics, StudyPhase, TrialSummary } from './types';
import type { Provenance } from './resolve/types';
import { isObj } from './guards';
import { isLrRule } from './tuner/lrScaling';
import { scheduleProblemMessage, validateSchedule } from './schedule/validate';

export const WEBVIEW_PROTOCOL_VERSION = 1;

export interface PanelSettings {
  /** The batch size for "Train once" (the slider). */
  batchSize: number;
  minBatchSize: number;
  maxBatchSize: number;
  memoryLimitBytes: number;
  budgetSeconds: number;
  lrRule: LrRule;
  schedule?: BatchScheduleSpec;
  /**
   * Checkpoints of an earlier `batch-tuner train --checkpoint-every` run to branch from (absolute
   * paths, picked in a file dialog by the host): the study's branch phase then trains no trunk.
   */
  fromCheckpoints?: string[];
  /** How long the real run will be (the branch phase measures the critical batch size along it); absent: the config's own length. */
  horizon?: HorizonLength;
}

/** A run's length as a person states it; the resolver turns it into samples with the config's batch size and dataset. */
export interface HorizonLength {
  value: number;
  unit: 'steps' | 'epochs' | 'samples';
}

export const HORIZON_UNITS: ReadonlyArray<HorizonLength['unit']> = ['steps', 'epochs', 'samples'];
/** At most this many checkpoints per study (a few points along the run are what the branch phase uses). */
export const MAX_CHECKPOINTS = 16;

/** The study shown: its state (`interrupted`: no end written and its process gone) and when it ran. */
export interface PanelStudyInfo {
  /** completed | stopped | failed | running | interrupted (a stored study's status, or running now). */
  status: string;
  reason?: string;
  startedAt?: string;
  endedAt?: string;
}

export interface PanelInit {
  configPath?: string;
  configLabel?: string;
  currentBatchSize?: number;
  currentLearningRate?: number;
  /** Training samples: the slider's upper end (full batch). */
  datasetSize: number;
  /** Physical memory of the machine: the memory slider's upper end. */
  totalMemoryBytes: number;
  settings: PanelSettings;
  /**
   * Which layer set each value the panel starts from (the one resolver's provenance: `default`,
   * `config`, `editor` = VS Code settings, `derived` from the data, `panel` = changed here), so the
   * panel can say when a default was used.
   */
  provenance?: PanelProvenance;
  trusted: boolean;
  running: boolean;
  trials: TrialSummary[];
  recommendation?: Recommendation;
  /** The study the trials and the recommendation come from (absent: none yet). */
  study?: PanelStudyInfo;
}

export type PanelProvenance = Partial<Record<keyof Omit<PanelSettings, 'schedule' | 'fromCheckpoints' | 'horizon'> | 'datasetSize', Provenance>>;

/** Points for one trial, appended to its series. */
export interface MetricsBatch {
  trialId: string;
  batchSize: number;
  steps: StepMetrics[];
  evals: EvalMetrics[];
}

export type HostToPanel =
  | { v: 1; type: 'init'; init: PanelInit }
  | { v: 1; type: 'metrics'; batches: MetricsBatch[]; sentAt: number }
  | { v: 1; type: 'trial'; trial: TrialSummary }
  | { v: 1; type: 'phase'; phase: StudyPhase; message: string; progress: number }
  | { v: 1; type: 'recommendation'; recommendation: Recommendation }
  /** A session started or ended; `status`: how a study ended (completed, stopped, failed). */
  | { v: 1; type: 'running'; running: boolean; status?: 'completed' | 'stopped' | 'failed' }
  | { v: 1; type: 'applied'; batchSize: number; learningRate?: number }
  /** The files the person chose in the host's "from checkpoint" dialog (absolute paths; empty: cancelled). */
  | { v: 1; type: 'checkpointsPicked'; paths: string[] }
  | { v: 1; type: 'error'; message: string };

export type PanelToHost =
  | { v: 1; type: 'ready' }
  | { v: 1; type: 'start'; settings: PanelSettings }
  | { v: 1; type: 'stop' }
  | { v: 1; type: 'trainOnce'; batchSize: number; steps?: number; schedule?: BatchScheduleSpec }
  | { v: 1; type: 'apply'; batchSize: number; learningRate?: number; schedule?: BatchScheduleSpec }
  | { v: 1; type: 'settingsChanged'; settings: PanelSettings }
  | { v: 1; type: 'openConfig' }
  | { v: 1; type: 'exportReport' }
  /** Open a file dialog for checkpoints of an earlier run (the webview cannot read the disk itself). */
  | { v: 1; type: 'pickCheckpoints' }
  /** Sidebar quick actions: reveal the tuner panel; start a study on the active editor's config. */
  | { v: 1; type: 'openPanel' }
  | { v: 1; type: 'tuneActiveConfig' }
  /** For the latency benchmark: the panel reports when points with `sentAt` were drawn. */
  | { v: 1; type: 'drawn'; sentAt: number; drawnAt: number };

const isPosInt = (x: unknown): x is number => typeof x === 'number' && Number.isInteger(x) && x >= 1 && x <= 1 << 24;
const isPosNum = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x) && x > 0;
const isRule = isLrRule;

/** Bounds of a message's data: a real message is a few levels and a few dozen values. */
const MAX_MESSAGE_DEPTH = 16;
const MAX_MESSAGE_VALUES = 10_000;
const MAX_MESSAGE_STRING = 64 * 1024;

/**
 * True when `x` is plain JSON-like data within the bounds: null, booleans, numbers, short strings,
 * arrays and plain objects, acyclic (a cycle never ends, so it runs into the depth bound).
 * Checked without recursion before anything reads the message: structured clone carries cycles
 * and any depth, and the validators below print values with JSON.stringify.
 */
function isPlainData(x: unknown): boolean {
  const stack: Array<[unknown, number]> = [[x, 0]];
  let seen = 0;
  while (stack.length > 0) {
    const [v, depth] = stack.pop() as [unknown, number];
    if (++seen > MAX_MESSAGE_VALUES || depth > MAX_MESSAGE_DEPTH) return false;
    if (v === null || typeof v === 'boolean' || typeof v === 'number') continue;
    if (typeof v === 'string') {
      if (v.length > MAX_MESSAGE_STRING) return false;
      continue;
    }
    if (typeof v !== 'object') return false; // undefined, functions, symbols, bigints
    const proto = Object.getPrototypeOf(v) as unknown;
    if (Array.isArray(v)) for (const item of v as unknown[]) stack.push([item, depth + 1]);
    else if (proto === Object.prototype || proto === null) for (const item of Object.values(v)) stack.push([item, depth + 1]);
    else return false; // Date, Map, typed arrays, class instances: not something a panel sends
  }
  return true;
}

/** A value in an error message: short, and never a throw. */
function describe(x: unknown): string {
  const text = typeof x === 'string' ? x : typeof x === 'number' || typeof x === 'boolean' || x === null || x === undefined ? String(x) : typeof x;
  return text.length > 60 ? `${text.slice(0, 60)}…` : text;
}

/** The schedule validator's first problem, in the words config diagnostics use (undefined: none given, or valid). */
function scheduleError(s: unknown): string | undefined {
  if (s === undefined) return undefined;
  const [first] = validateSchedule(s);
  return first && scheduleProblemMessage(first);
}

/** An absolute path without NUL or line breaks (POSIX `/...`, Windows `C:\...` or `\\server\...`). */
function isAbsolutePath(p: unknown): p is string {
  return (
    typeof p === 'string' && p.length > 1 && p.length <= 4096 && !/[\0\r\n]/.test(p) && (p.startsWith('/') || /^[A-Za-z]:[\\/]/.test(p) || p.startsWith('\\\\'))
  );
}

function checkpointsError(paths: unknown): string | undefined {
  if (paths === undefined) return undefined;
  if (!Array.isArray(paths) || paths.length > MAX_CHECKPOINTS) return `settings.fromCheckpoints must be a list of at most ${MAX_CHECKPOINTS} files`;
  const bad = paths.findIndex((p) => !isAbsolutePath(p));
  return bad >= 0 ? `settings.fromCheckpoints[${bad}] must be an absolute file path` : undefined;
}

function horizonError(h: unknown): string | undefined {
  if (h === undefined) return undefined;
  if (!isObj(h) || !isPosNum(h.value) || h.value > 1e15) return 'settings.horizon.value must be a positive number';
  return HORIZON_UNITS.includes(h.unit as HorizonLength['unit']) ? undefined : `settings.horizon.unit must be one of ${HORIZON_UNITS.join(', ')}`;
}

function settingsError(s: unknown): string | undefined {
  if (!isObj(s)) return 'settings must be an object';
  if (!isPosInt(s.batchSize)) return 'settings.batchSize must be a positive integer';
  if (!isPosInt(s.minBatchSize) || !isPosInt(s.maxBatchSize)) return 'settings.minBatchSize/maxBatchSize must be positive integers';
  if (s.minBatchSize > s.maxBatchSize) return 'settings.minBatchSize must not exceed maxBatchSize';
  if (!isPosNum(s.memoryLimitBytes)) return 'settings.memoryLimitBytes must be a positive number';
  if (!isPosNum(s.budgetSeconds) || s.budgetSeconds > 24 * 3600) return 'settings.budgetSeconds must be between 0 and 86400';
  if (!isRule(s.lrRule)) return 'settings.lrRule must be linear, sqrt or none';
  return checkpointsError(s.fromCheckpoints) ?? horizonError(s.horizon) ?? scheduleError(s.schedule);
}

/** The validated settings, with only the fields PanelSettings has. */
function settingsOf(s: Record<string, unknown>): PanelSettings {
  const { batchSize, minBatchSize, maxBatchSize, memoryLimitBytes, budgetSeconds, lrRule, schedule } = s as unknown as PanelSettings;
  return { batchSize, minBatchSize, maxBatchSize, memoryLimitBytes, budgetSeconds, lrRule, ...(schedule !== undefined ? { schedule } : {}) };
}

type Checked = { ok: true; value: PanelToHost } | { ok: false; error: string };

/**
 * Validates a message posted by a webview. Unknown or malformed messages are rejected, never
 * acted on; an accepted one comes back rebuilt with only the fields its type has.
 */
export function validatePanelMessage(msg: unknown): Checked {
  if (!isObj(msg)) return { ok: false, error: 'message is not an object' };
  if (!isPlainData(msg))
    return {
      ok: false,
      error: `message is not plain data (a cycle, over ${MAX_MESSAGE_DEPTH} levels, over ${MAX_MESSAGE_VALUES} values or a string over ${MAX_MESSAGE_STRING} characters)`,
    };
  if (msg.v !== WEBVIEW_PROTOCOL_VERSION) return { ok: false, error: `unsupported webview protocol version ${describe(msg.v)}` };
  // Cut short: a schedule's error quotes the value it got, and a list can be long.
  const fail = (error: string): Checked => ({ ok: false, error: `${describe(msg.type)}: ${error.length > 300 ? `${error.slice(0, 300)}…` : error}` });
  const ok = (value: PanelToHost): Checked => ({ ok: true, value });
  switch (msg.type) {
    case 'ready':
    case 'stop':
    case 'openConfig':
    case 'exportReport':
    case 'pickCheckpoints':
    case 'openPanel':
    case 'tuneActiveConfig':
      return ok({ v: 1, type: msg.type });
    case 'start':
    case 'settingsChanged': {
      const e = settingsError(msg.settings);
      return e ? fail(e) : ok({ v: 1, type: msg.type, settings: settingsOf(msg.settings as Record<string, unknown>) });
    }
    case 'trainOnce':
    case 'apply':
      return batchMessage(msg, fail, ok);
    case 'drawn':
      return isFiniteNum(msg.sentAt) && isFiniteNum(msg.drawnAt)
        ? ok({ v: 1, type: 'drawn', sentAt: msg.sentAt, drawnAt: msg.drawnAt })
        : fail('sentAt and drawnAt must be numbers');
    default:
      return { ok: false, error: `unknown message type "${describe(msg.type)}"` };
  }
}

const isFiniteNum = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x);

/** trainOnce and apply: a batch size, and a step count or a learning rate, and a schedule. */
function batchMessage(msg: Record<string, unknown>, fail: (e: string) => Checked, ok: (v: PanelToHost) => Checked): Checked {
  if (!isPosInt(msg.batchSize)) return fail('batchSize must be a positive integer');
  const e = scheduleError(msg.schedule);
  const schedule = msg.schedule !== undefined ? { schedule: msg.schedule as BatchScheduleSpec } : {};
  if (msg.type === 'trainOnce') {
    if (msg.steps !== undefined && !isPosInt(msg.steps)) return fail('steps must be a positive integer');
    return e ? fail(e) : ok({ v: 1, type: 'trainOnce', batchSize: msg.batchSize, ...(msg.steps !== undefined ? { steps: msg.steps } : {}), ...schedule });
  }
  if (msg.learningRate !== undefined && !isPosNum(msg.learningRate)) return fail('learningRate must be a positive number');
  return e
    ? fail(e)
    : ok({ v: 1, type: 'apply', batchSize: msg.batchSize, ...(msg.learningRate !== undefined ? { learningRate: msg.learningRate } : {}), ...schedule });
}
