// The metrics protocol an external training script speaks (docs/metrics-protocol.md):
// JSON lines appended to $BATCH_TUNER_METRICS, or printed on stdout prefixed `batch-tuner: `.
// For scripts that know nothing of it, a fallback reads common log lines (`loss: 0.12`,
// `step 10 loss 0.5`, the Hugging Face Trainer's `{'loss': 0.12, ...}`) so loss and
// throughput still appear. Everything here is pure: no I/O, bounded memory.
import { isObj } from '../guards';
import { MAX_JSON_NESTING, parseJsonBounded } from '../boundedJson';

export const METRICS_PROTOCOL_VERSION = 1;
export const STDOUT_PREFIX = 'batch-tuner: ';
/** Longest line kept; the rest of a longer line is dropped (and the line reported malformed). */
export const MAX_LINE_CHARS = 256 * 1024;

export interface StepRecord {
  type: 'step';
  step: number;
  samples?: number;
  loss: number;
  epoch?: number;
  valLoss?: number;
  valAccuracy?: number;
  gradSqNorm?: number;
  microGradSqNorm?: number;
  microBatchSize?: number;
  memoryBytes?: number;
  /** Seconds since the script's reporter started (the script's own clock). */
  time?: number;
  batchSize?: number;
  learningRate?: number;
}

export interface EvalRecord {
  type: 'eval';
  step?: number;
  samples?: number;
  time?: number;
  valLoss: number;
  valAccuracy?: number;
}

export type MetricsRecord =
  | StepRecord
  | EvalRecord
  | { type: 'start'; batchSize?: number; learningRate?: number; backend?: string; device?: string; pid?: number; time?: number }
  | { type: 'oom'; message?: string; batchSize?: number; memoryBytes?: number }
  | { type: 'done'; steps?: number; samples?: number; time?: number }
  | { type: 'log'; level: 'info' | 'warn' | 'error'; message: string }
  | CheckpointRecord;

/** The script saved its state (where ${checkpoint} said, or anywhere): a point a study can branch from. */
export interface CheckpointRecord {
  type: 'checkpoint';
  /** As the script wrote it: relative paths are relative to its working directory. */
  path: string;
  step: number;
  /** Default: the samples of the step record with that step, else step x batch size. */
  samples?: number;
}

/** Longest checkpoint path accepted (PATH_MAX on Linux). */
const MAX_PATH_CHARS = 4096;

export type ParsedLine = { kind: 'record'; record: MetricsRecord; warning?: string } | { kind: 'malformed'; reason: string } | { kind: 'ignored' };

type Obj = Record<string, unknown>;

/** A finite number, or NaN/±Infinity for a loss (a diverged run is a measurement). */
function num(o: Obj, key: string): number | undefined {
  const v = o[key];
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}
function lossValue(o: Obj, key: string): number | undefined {
  const v = o[key];
  if (typeof v === 'number') return v;
  if (v === null || v === 'nan' || v === 'NaN') return NaN;
  if (v === 'inf' || v === 'Infinity') return Infinity;
  return undefined;
}
function defined<T extends object>(o: T): T {
  for (const k of Object.keys(o) as Array<keyof T>) if (o[k] === undefined) delete o[k];
  return o;
}

const nonNegative = (v: number) => v >= 0;
/** What each numeric field may hold: a count or a size is never negative, a batch never empty. */
const RANGES: Record<string, [(v: number) => boolean, string]> = {
  step: [(v) => Number.isInteger(v) && v >= 0, 'an integer >= 0'],
  samples: [nonNegative, 'a number >= 0'],
  epoch: [nonNegative, 'a number >= 0'],
  time: [nonNegative, 'seconds >= 0'],
  memory_bytes: [nonNegative, 'bytes >= 0'],
  batch_size: [(v) => Number.isInteger(v) && v >= 1, 'an integer >= 1'],
  micro_batch_size: [(v) => v > 0, 'a number > 0'],
  grad_sq_norm: [nonNegative, 'a squared norm >= 0'],
  micro_grad_sq_norm: [nonNegative, 'a squared norm >= 0'],
  lr: [nonNegative, 'a number >= 0'],
  learning_rate: [nonNegative, 'a number >= 0'],
};

/** The first known numeric field holding an impossible value, in words; undefined when all are fine. */
function outOfRange(o: Obj): string | undefined {
  for (const [key, [ok, what]] of Object.entries(RANGES)) {
    const v = o[key];
    if (typeof v === 'number' && Number.isFinite(v) && (!ok(v) || Math.abs(v) > Number.MAX_SAFE_INTEGER)) {
      return `"${key}" must be ${what} (got ${v})`;
    }
  }
  return undefined;
}

/** Validates one decoded JSON object as a protocol record. Unknown fields are ignored. */
export function recordFromObject(o: unknown): ParsedLine {
  if (!isObj(o)) return { kind: 'malformed', reason: 'not a JSON object' };
  let warning: string | undefined;
  if (o.v !== undefined && o.v !== METRICS_PROTOCOL_VERSION) {
    if (typeof o.v !== 'number') return { kind: 'malformed', reason: `"v" must be a number (got ${preview(printable(o.v), 60)})` };
    // A newer reporter: read the fields v1 knows, say so once.
    warning = `metrics protocol version ${o.v} is newer than this Batch Tuner understands (v${METRICS_PROTOCOL_VERSION}): only v1 fields were read; update Batch Tuner`;
  }
  const bad = outOfRange(o);
  if (bad) return { kind: 'malformed', reason: bad };
  switch (o.type) {
    case 'step':
      return stepRecord(o, warning);
    case 'eval': {
      const valLoss = lossValue(o, 'val_loss') ?? lossValue(o, 'loss');
      if (valLoss === undefined) return { kind: 'malformed', reason: 'eval record needs a numeric "val_loss"' };
      const record: EvalRecord = defined({
        type: 'eval' as const,
        valLoss,
        step: num(o, 'step'),
        samples: num(o, 'samples'),
        time: num(o, 'time'),
        valAccuracy: num(o, 'val_accuracy') ?? num(o, 'accuracy'),
      });
      return { kind: 'record', record, warning };
    }
    case 'start':
      return {
        kind: 'record',
        warning,
        record: defined({
          type: 'start' as const,
          batchSize: num(o, 'batch_size'),
          learningRate: num(o, 'lr') ?? num(o, 'learning_rate'),
          backend: typeof o.backend === 'string' ? o.backend : undefined,
          device: typeof o.device === 'string' ? o.device : undefined,
          pid: num(o, 'pid'),
          time: num(o, 'time'),
        }),
      };
    case 'oom':
      return {
        kind: 'record',
        warning,
        record: defined({
          type: 'oom' as const,
          message: typeof o.message === 'string' ? o.message : undefined,
          batchSize: num(o, 'batch_size'),
          memoryBytes: num(o, 'memory_bytes'),
        }),
      };
    case 'done':
      return { kind: 'record', warning, record: defined({ type: 'done' as const, steps: num(o, 'steps'), samples: num(o, 'samples'), time: num(o, 'time') }) };
    case 'checkpoint':
      return checkpointRecord(o, warning);
    case 'log': {
      const level = o.level === 'warn' || o.level === 'error' ? o.level : 'info';
      return { kind: 'record', warning, record: { type: 'log', level, message: typeof o.message === 'string' ? o.message : printable(o.message) } };
    }
    default:
      // Unknown record types from a newer reporter are skipped, not errors.
      return typeof o.type === 'string' ? { kind: 'ignored' } : { kind: 'malformed', reason: 'record has no string "type"' };
  }
}

function stepRecord(o: Obj, warning: string | undefined): ParsedLine {
  const step = num(o, 'step');
  const loss = lossValue(o, 'loss');
  if (step === undefined) return { kind: 'malformed', reason: 'step record needs a numeric "step"' };
  if (loss === undefined) return { kind: 'malformed', reason: 'step record needs a numeric "loss"' };
  const record: StepRecord = defined({
    type: 'step' as const,
    step,
    loss,
    samples: num(o, 'samples'),
    epoch: num(o, 'epoch'),
    valLoss: num(o, 'val_loss'),
    valAccuracy: num(o, 'val_accuracy'),
    gradSqNorm: num(o, 'grad_sq_norm'),
    microGradSqNorm: num(o, 'micro_grad_sq_norm'),
    microBatchSize: num(o, 'micro_batch_size'),
    memoryBytes: num(o, 'memory_bytes'),
    time: num(o, 'time'),
    batchSize: num(o, 'batch_size'),
    learningRate: num(o, 'lr') ?? num(o, 'learning_rate'),
  });
  return { kind: 'record', record, warning };
}

function checkpointRecord(o: Obj, warning: string | undefined): ParsedLine {
  const path = o.path;
  if (typeof path !== 'string' || !path.trim() || path.length > MAX_PATH_CHARS || path.includes('\0')) {
    return {
      kind: 'malformed',
      reason: `checkpoint record needs a "path": the file the state was saved to (got ${preview(path === undefined ? 'nothing' : printable(path), 60)})`,
    };
  }
  const step = o.step;
  if (typeof step !== 'number' || !Number.isInteger(step) || step < 0)
    return { kind: 'malformed', reason: 'checkpoint record needs "step": optimizer steps done, an integer >= 0' };
  const samples = o.samples;
  if (samples !== undefined && !(typeof samples === 'number' && Number.isFinite(samples) && samples >= 0)) {
    return { kind: 'malformed', reason: 'checkpoint record: "samples" must be a number >= 0 (training samples seen)' };
  }
  return { kind: 'record', warning, record: defined({ type: 'checkpoint' as const, path, step, samples }) };
}

/** JSON text of a value for a message; never throws (a cyclic or too-deep value has none). */
function printable(v: unknown): string {
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return '(a value that cannot be shown)';
  }
}

/**
 * One line of the metrics file. Blank lines are ignored. Nesting is bounded before JSON.parse
 * (a record is flat; a deeply nested `message` would overflow JSON.stringify's stack).
 */
export function parseMetricsLine(line: string): ParsedLine {
  const text = line.trim();
  if (!text) return { kind: 'ignored' };
  const parsed = parseJsonBounded(text, MAX_JSON_NESTING);
  if ('problem' in parsed) return { kind: 'malformed', reason: `${parsed.problem.message}: ${preview(text)}` };
  return recordFromObject(parsed.value);
}

/** One line of stdout: a protocol record when it starts with `batch-tuner: `, else nothing. */
export function parseStdoutLine(line: string): ParsedLine | undefined {
  const at = line.indexOf(STDOUT_PREFIX);
  // Allow leading whitespace/carriage returns (progress bars), nothing else, before the prefix.
  if (at < 0 || line.slice(0, at).trim() !== '') return undefined;
  return parseMetricsLine(line.slice(at + STDOUT_PREFIX.length));
}

export function preview(text: string, max = 120): string {
  return text.length > max ? `${text.slice(0, max)}… (${text.length} chars)` : text;
}

// ---------------------------------------------------------------------------------------------
// Fallback: common log lines of scripts that do not speak the protocol.

export interface LogLineMetrics {
  step?: number;
  epoch?: number;
  loss?: number;
  valLoss?: number;
  valAccuracy?: number;
  learningRate?: number;
}

const NUMBER = String.raw`[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?|nan|inf`;
// `loss: 0.12`, `loss=0.12`, `Loss 0.12`, `val_loss: 0.3`, `val loss 0.3`, `Step [100/600]`, `Epoch 1/10`.
// Each optional separator owns the whitespace after it, so no two `\s*` compete for the same
// characters: time is linear in the line (adjacent `\s*\s*\s*` took minutes on 4 KB of spaces).
const KEY_VALUE = new RegExp(
  String.raw`(?<![A-Za-z0-9_])((?:val|valid|validation|eval|test|train|training)[_ ]?)?` +
    String.raw`(loss|acc|accuracy|lr|learning_rate|step|iter|iteration|epoch)(?![A-Za-z0-9_])` +
    String.raw`\s*(?:[:=]\s*)?(?:\[\s*)?(${NUMBER})`,
  'gi',
);

/** Reads loss/step/epoch/lr from one human log line; undefined when the line carries no loss. */
export function parseLogLine(line: string): LogLineMetrics | undefined {
  const text = line.length > 4096 ? line.slice(0, 4096) : line;
  const dict = parseDictLine(text);
  if (dict) return dict;
  const out: LogLineMetrics = {};
  for (const m of text.matchAll(KEY_VALUE)) {
    const prefix = (m[1] ?? '').toLowerCase().trim().replace(/_$/, '');
    const key = m[2].toLowerCase();
    const value = parseNumber(m[3]);
    const isEval = prefix !== '' && !prefix.startsWith('train');
    if (key === 'loss') {
      if (isEval) out.valLoss ??= value;
      else out.loss ??= value;
    } else if (key === 'acc' || key === 'accuracy') {
      if (isEval) out.valAccuracy ??= value;
    } else if (key === 'lr' || key === 'learning_rate') out.learningRate ??= value;
    else if (key === 'epoch') out.epoch ??= value;
    else out.step ??= value;
  }
  return out.loss !== undefined || out.valLoss !== undefined ? out : undefined;
}

function parseNumber(s: string): number {
  const t = s.toLowerCase();
  if (t === 'nan') return NaN;
  if (t === 'inf') return Infinity;
  return Number(s);
}

/**
 * The Hugging Face Trainer logs Python dict reprs: `{'loss': 0.12, 'learning_rate': 5e-05, 'epoch': 0.5}`
 * and `{'eval_loss': 0.3, 'eval_accuracy': 0.9, ...}`. Also plain JSON dicts printed without the prefix.
 */
function parseDictLine(text: string): LogLineMetrics | undefined {
  const start = text.indexOf('{');
  const end = text.lastIndexOf('}');
  if (start < 0 || end <= start) return undefined;
  const body = text.slice(start, end + 1);
  if (!/['"](?:eval_|val_|train_)?loss['"]\s*:/.test(body)) return undefined;
  const json = body
    .replace(/'([^'\\]*)'/g, (_m, s: string) => JSON.stringify(s))
    .replace(/\bTrue\b/g, 'true')
    .replace(/\bFalse\b/g, 'false')
    .replace(/\bNone\b/g, 'null')
    .replace(/:\s*(-?)(?:nan|inf)\b/gi, ': null');
  let o: unknown;
  try {
    o = JSON.parse(json);
  } catch {
    return undefined;
  }
  if (!isObj(o)) return undefined;
  const out: LogLineMetrics = defined({
    loss: num(o, 'loss') ?? num(o, 'train_loss'),
    valLoss: num(o, 'eval_loss') ?? num(o, 'val_loss'),
    valAccuracy: num(o, 'eval_accuracy') ?? num(o, 'val_accuracy'),
    learningRate: num(o, 'learning_rate') ?? num(o, 'lr'),
    epoch: num(o, 'epoch'),
    step: num(o, 'step') ?? num(o, 'global_step'),
  });
  return out.loss !== undefined || out.valLoss !== undefined ? out : undefined;
}
