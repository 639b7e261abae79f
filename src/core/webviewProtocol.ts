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
}

export type PanelProvenance = Partial<Record<keyof Omit<PanelSettings, 'schedule'> | 'datasetSize', Provenance>>;

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
  | { v: 1; type: 'running'; running: boolean }
  | { v: 1; type: 'applied'; batchSize: number; learningRate?: number }
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
  /** Sidebar quick actions: reveal the tuner panel; start a study on the active editor's config. */
  | { v: 1; type: 'openPanel' }
  | { v: 1; type: 'tuneActiveConfig' }
  /** For the latency benchmark: the panel reports when points with `sentAt` were drawn. */
  | { v: 1; type: 'drawn'; sentAt: number; drawnAt: number };

const isPosInt = (x: unknown): x is number => typeof x === 'number' && Number.isInteger(x) && x >= 1 && x <= 1 << 24;
const isPosNum = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x) && x > 0;
const isRule = isLrRule;

/** The schedule validator's first problem, in the words config diagnostics use (undefined: none given, or valid). */
function scheduleError(s: unknown): string | undefined {
  if (s === undefined) return undefined;
  const [first] = validateSchedule(s);
  return first && scheduleProblemMessage(first);
}

function settingsError(s: unknown): string | undefined {
  if (!isObj(s)) return 'settings must be an object';
  if (!isPosInt(s.batchSize)) return 'settings.batchSize must be a positive integer';
  if (!isPosInt(s.minBatchSize) || !isPosInt(s.maxBatchSize)) return 'settings.minBatchSize/maxBatchSize must be positive integers';
  if (s.minBatchSize > s.maxBatchSize) return 'settings.minBatchSize must not exceed maxBatchSize';
  if (!isPosNum(s.memoryLimitBytes)) return 'settings.memoryLimitBytes must be a positive number';
  if (!isPosNum(s.budgetSeconds) || s.budgetSeconds > 24 * 3600) return 'settings.budgetSeconds must be between 0 and 86400';
  if (!isRule(s.lrRule)) return 'settings.lrRule must be linear, sqrt or none';
  return scheduleError(s.schedule);
}

/** Validates a message posted by a webview. Unknown or malformed messages are rejected, never acted on. */
export function validatePanelMessage(msg: unknown): { ok: true; value: PanelToHost } | { ok: false; error: string } {
  if (!isObj(msg)) return { ok: false, error: 'message is not an object' };
  if (msg.v !== WEBVIEW_PROTOCOL_VERSION) return { ok: false, error: `unsupported webview protocol version ${String(msg.v)}` };
  const ok = { ok: true as const, value: msg as unknown as PanelToHost };
  const fail = (error: string) => ({ ok: false as const, error: `${String(msg.type)}: ${error}` });
  switch (msg.type) {
    case 'ready':
    case 'stop':
    case 'openConfig':
    case 'exportReport':
    case 'openPanel':
    case 'tuneActiveConfig':
      return ok;
    case 'start':
    case 'settingsChanged': {
      const e = settingsError(msg.settings);
      return e ? fail(e) : ok;
    }
    case 'trainOnce': {
      if (!isPosInt(msg.batchSize)) return fail('batchSize must be a positive integer');
      if (msg.steps !== undefined && !isPosInt(msg.steps)) return fail('steps must be a positive integer');
      const e = scheduleError(msg.schedule);
      return e ? fail(e) : ok;
    }
    case 'apply': {
      if (!isPosInt(msg.batchSize)) return fail('batchSize must be a positive integer');
      if (msg.learningRate !== undefined && !isPosNum(msg.learningRate)) return fail('learningRate must be a positive number');
      const e = scheduleError(msg.schedule);
      return e ? fail(e) : ok;
    }
    case 'drawn':
      return typeof msg.sentAt === 'number' && typeof msg.drawnAt === 'number' ? ok : fail('sentAt and drawnAt must be numbers');
    default:
      return { ok: false, error: `unknown message type "${String(msg.type)}"` };
  }
}
