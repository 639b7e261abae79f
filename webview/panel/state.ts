// What the panel remembers across hiding and reloads (vscode.getState/setState), and the rules
// that keep settings consistent with the dataset and the machine. Pure: unit-tested in node.
import { HORIZON_UNITS, MAX_CHECKPOINTS, type HorizonLength, type PanelInit, type PanelSettings } from '../../src/core/webviewProtocol';
import { LR_RULES } from '../../src/core/tuner/lrScaling';
import type { ScheduleFieldValues, ScheduleKind } from './scheduleSpec';

export interface PersistedPanelState {
  /** Settings are kept per config: another config's settings must not leak into this one. */
  configPath?: string;
  settings?: PanelSettings;
  /** The schedule editor's raw fields (kept even while invalid, so typing is not lost). */
  scheduleKind?: ScheduleKind;
  scheduleValues?: ScheduleFieldValues;
  applyLearningRate?: boolean;
  /** The live curves (decimated), for the config in configPath: the webview is destroyed while hidden. */
  series?: unknown;
}

const clampInt = (v: unknown, lo: number, hi: number, fallback: number): number => {
  const n = typeof v === 'number' && Number.isFinite(v) ? Math.round(v) : fallback;
  return Math.min(hi, Math.max(lo, n));
};

/**
 * Settings inside their bounds: batch sizes in [1, datasetSize] with min <= max, memory in
 * (0, totalMemory], a budget of 1 s to 24 h, a known learning-rate rule.
 */
export function normalizeSettings(
  s: Partial<PanelSettings> | undefined,
  init: Pick<PanelInit, 'datasetSize' | 'totalMemoryBytes' | 'settings'>,
): PanelSettings {
  const base = init.settings;
  const n = Math.max(1, Math.floor(init.datasetSize));
  const total = Math.max(1, init.totalMemoryBytes);
  const minBatchSize = clampInt(s?.minBatchSize, 1, n, base.minBatchSize);
  const maxBatchSize = clampInt(s?.maxBatchSize, minBatchSize, n, Math.max(minBatchSize, base.maxBatchSize));
  const memory = typeof s?.memoryLimitBytes === 'number' && s.memoryLimitBytes > 0 ? s.memoryLimitBytes : base.memoryLimitBytes;
  const budget = typeof s?.budgetSeconds === 'number' && s.budgetSeconds > 0 ? s.budgetSeconds : base.budgetSeconds;
  const settings: PanelSettings = {
    batchSize: clampInt(s?.batchSize, 1, n, base.batchSize),
    minBatchSize,
    maxBatchSize,
    memoryLimitBytes: Math.min(total, Math.max(1, Math.round(memory))),
    budgetSeconds: Math.min(86400, Math.max(1, Math.round(budget))),
    lrRule: s?.lrRule && LR_RULES.includes(s.lrRule) ? s.lrRule : base.lrRule,
  };
  const schedule = s && 'schedule' in s ? s.schedule : base.schedule;
  if (schedule && schedule.kind !== 'constant') settings.schedule = schedule;
  const checkpoints = normalizeCheckpoints(s && 'fromCheckpoints' in s ? s.fromCheckpoints : base.fromCheckpoints);
  if (checkpoints.length > 0) settings.fromCheckpoints = checkpoints;
  const horizon = s && 'horizon' in s ? s.horizon : base.horizon;
  if (horizon && isHorizon(horizon)) settings.horizon = { value: horizon.value, unit: horizon.unit };
  return settings;
}

/** Checkpoint paths in order, each once, at most MAX_CHECKPOINTS (the host validates them again). */
export function normalizeCheckpoints(paths: unknown): string[] {
  if (!Array.isArray(paths)) return [];
  const out: string[] = [];
  for (const p of paths) if (typeof p === 'string' && p.trim() !== '' && !out.includes(p)) out.push(p);
  return out.slice(0, MAX_CHECKPOINTS);
}

function isHorizon(h: unknown): h is HorizonLength {
  const x = h as Partial<HorizonLength> | undefined;
  return typeof x?.value === 'number' && Number.isFinite(x.value) && x.value > 0 && x.value <= 1e15 && HORIZON_UNITS.includes(x.unit as HorizonLength['unit']);
}

/**
 * What a person types as the run's length: "20000", "20k", "1.5M" (k = 10^3, M = 10^6), in the
 * chosen unit; empty = the config's own length (undefined, ok); anything else is an error.
 */
export function parseHorizon(text: string, unit: HorizonLength['unit']): { ok: true; value?: HorizonLength } | { ok: false; error: string } {
  const t = text.trim().replace(/[,_\s]/g, '');
  if (t === '') return { ok: true };
  const m = /^(\d+(?:\.\d+)?)([kKmM]?)$/.exec(t);
  const value = m ? Number(m[1]) * (m[2] === '' ? 1 : /k/i.test(m[2]) ? 1e3 : 1e6) : NaN;
  if (!(value > 0) || value > 1e15)
    return { ok: false, error: `Enter the run's length in ${unit}, e.g. 20000 or 20k; leave it empty for the config's own length.` };
  // Steps and samples are whole numbers; epochs may be fractional (2.5 epochs).
  return { ok: true, value: { value: unit === 'epochs' ? value : Math.round(value), unit } };
}

/** The settings to start from: the saved ones when they belong to this config, else the host's. */
export function initialSettings(init: PanelInit, saved: Partial<PersistedPanelState> | undefined): PanelSettings {
  const same = saved?.settings && saved.configPath === init.configPath;
  return normalizeSettings(same ? saved.settings : init.settings, init);
}

export function settingsEqual(a: PanelSettings, b: PanelSettings): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** When one end of the search range moves past the other, the other follows. */
export function withRange(s: PanelSettings, which: 'min' | 'max', value: number): PanelSettings {
  if (which === 'min') return { ...s, minBatchSize: value, maxBatchSize: Math.max(value, s.maxBatchSize) };
  return { ...s, maxBatchSize: value, minBatchSize: Math.min(value, s.minBatchSize) };
}

/** The file's name (the checkpoint list shows names; the full path is the tooltip). */
export function baseName(path: string): string {
  const parts = path.split(/[\\/]/);
  return parts[parts.length - 1] || path;
}
