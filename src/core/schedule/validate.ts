// The one validator of a batch schedule (BatchScheduleSpec, a config's `batch_schedule:`): its
// shape and its rules. Every entry point asks it and words its answer with scheduleProblemMessage:
// config diagnostics (config/scheduleChecks.ts maps the paths to file:line:col), messages from
// the webviews (webviewProtocol.ts), the panel's schedule editor (webview/panel/scheduleSpec.ts)
// and the schedule driver. Paths are relative to the schedule itself (e.g. ['at_steps', '2']).
// Pure (the webview bundles it; PURE_CORE in eslint.config.mjs): no Node, no packages.
import { closestKey } from '../config/suggest';
import { isObj, isPositiveInt } from '../guards';

export interface ScheduleProblem {
  path: string[];
  /** 'key': the key itself is wrong (unknown); otherwise its value is, or the whole schedule when path is []. */
  at?: 'key';
  message: string;
}

const KINDS = ['constant', 'step', 'linear_ramp', 'adaptive'] as const;
type Kind = (typeof KINDS)[number];
const KNOWN_KEYS: Record<Kind, string[]> = {
  constant: ['kind'],
  step: ['kind', 'every_steps', 'at_steps', 'at_epochs', 'factor', 'max_batch_size'],
  linear_ramp: ['kind', 'from', 'to', 'over_samples', 'round_to'],
  adaptive: ['kind', 'every_steps', 'min_batch_size', 'max_batch_size', 'allowed', 'allow_shrink', 'smoothing', 'throughput'],
};

type Obj = Record<string, unknown>;
type Problems = ScheduleProblem[];
const show = (x: unknown) => (typeof x === 'string' ? `"${x}"` : JSON.stringify(x));
// Sample counts (over_samples) can pass 2^24, the guard's default ceiling.
const isPosInt = (x: unknown): x is number => isPositiveInt(x, Number.MAX_SAFE_INTEGER);

function positiveInteger(o: Obj, key: string, what: string, out: Problems, required = false): void {
  const v = o[key];
  if (v === undefined) {
    if (required) out.push({ path: [key], message: `${key} is required: ${what}` });
    return;
  }
  if (!isPosInt(v)) out.push({ path: [key], message: `${key} must be an integer >= 1 (got ${show(v)}): ${what}` });
}

function increasingIntegers(o: Obj, key: string, out: Problems): void {
  const v = o[key];
  if (v === undefined) return;
  if (!Array.isArray(v) || v.length === 0) {
    out.push({ path: [key], message: `${key} must be a non-empty list of integers, e.g. [1000, 2000] (got ${show(v)})` });
    return;
  }
  v.forEach((x: unknown, i) => {
    const before: unknown = v[i - 1];
    if (!isPosInt(x)) out.push({ path: [key, String(i)], message: `${key}[${i}] must be an integer >= 1 (got ${show(x)})` });
    else if (i > 0 && typeof before === 'number' && x <= before)
      out.push({
        path: [key, String(i)],
        message: `${key} must be strictly increasing: ${key}[${i}] = ${x} comes after ${show(before)}; sort the list and drop repeats`,
      });
  });
}

/** adaptive's `throughput`: the tuner's step-time model t(B) = overhead + per-sample B (+ per-sample-squared B^2). */
function throughputProblems(t: unknown, out: Problems): void {
  if (t === undefined) return;
  const keys = ['overhead_seconds', 'per_sample_seconds', 'per_sample_squared_seconds'];
  if (!isObj(t)) {
    out.push({
      path: ['throughput'],
      message: `throughput must be a mapping {overhead_seconds, per_sample_seconds}, as the tuner's report gives it (got ${show(t)})`,
    });
    return;
  }
  for (const key of Object.keys(t))
    if (!keys.includes(key)) out.push({ path: ['throughput', key], message: `unknown key "${key}" in throughput; allowed: ${keys.join(', ')}` });
  for (const key of keys) {
    const v = t[key];
    if (v === undefined && key === 'per_sample_squared_seconds') continue;
    if (!(typeof v === 'number' && Number.isFinite(v) && v >= 0))
      out.push({ path: ['throughput', key], message: `${key} must be a number of seconds >= 0 (got ${show(v)})` });
  }
}

function unknownKeys(spec: Obj, kind: Kind, out: Problems): void {
  const known = KNOWN_KEYS[kind];
  for (const key of Object.keys(spec)) {
    if (known.includes(key)) continue;
    const near = closestKey(key, known);
    const hint = near ? `did you mean "${near}"? ` : '';
    out.push({ path: [key], at: 'key', message: `unknown key "${key}" for kind ${kind}; ${hint}allowed: ${known.join(', ')}` });
  }
}

function checkStep(spec: Obj, out: Problems): void {
  const given = ['at_steps', 'at_epochs', 'every_steps'].filter((x) => spec[x] !== undefined);
  if (given.length === 0) out.push({ path: [], message: 'a step schedule needs one of at_steps, at_epochs or every_steps: when to multiply the batch size' });
  if (given.length > 1) out.push({ path: [given[1]], message: `give only one of at_steps, at_epochs, every_steps (got ${given.join(' and ')})` });
  increasingIntegers(spec, 'at_steps', out);
  increasingIntegers(spec, 'at_epochs', out);
  positiveInteger(spec, 'every_steps', 'the batch size is multiplied every this many steps', out);
  positiveInteger(spec, 'max_batch_size', 'the batch size stops growing here', out);
  const f = spec.factor;
  if (f !== undefined && !(typeof f === 'number' && Number.isFinite(f) && f > 1))
    out.push({ path: ['factor'], message: `factor must be a number > 1 (got ${show(f)}); it multiplies the batch size at each step (default 2)` });
}

function checkLinearRamp(spec: Obj, out: Problems): void {
  positiveInteger(spec, 'from', 'the batch size at the start of training', out, true);
  positiveInteger(spec, 'to', 'the batch size at the end of the ramp', out, true);
  positiveInteger(spec, 'over_samples', 'how many training samples the ramp takes', out, true);
  positiveInteger(spec, 'round_to', 'sizes inside the ramp are rounded to a multiple of this', out);
  if (isPosInt(spec.from) && isPosInt(spec.to) && spec.from > spec.to)
    out.push({
      path: ['from'],
      message: `from (${spec.from}) must not be larger than to (${spec.to}): the ramp grows the batch; swap them or use kind: constant`,
    });
}

function checkAllowed(spec: Obj, out: Problems): void {
  const a = spec.allowed;
  if (a === undefined) return;
  if (!Array.isArray(a) || a.length === 0) {
    out.push({ path: ['allowed'], message: `allowed must be a non-empty list of batch sizes, e.g. [32, 64, 128] (got ${show(a)})` });
    return;
  }
  increasingIntegers(spec, 'allowed', out);
  const lo = isPosInt(spec.min_batch_size) ? spec.min_batch_size : 1;
  const hi = isPosInt(spec.max_batch_size) ? spec.max_batch_size : Infinity;
  if (a.every((x) => typeof x === 'number' && (x < lo || x > hi)))
    out.push({ path: ['allowed'], message: `no allowed size lies within [min_batch_size, max_batch_size] = [${lo}, ${hi}]` });
}

function checkAdaptive(spec: Obj, out: Problems): void {
  positiveInteger(spec, 'every_steps', 'how often the batch size is re-set to the measured noise scale', out);
  positiveInteger(spec, 'min_batch_size', 'the smallest batch size the schedule may pick', out);
  positiveInteger(spec, 'max_batch_size', 'the largest batch size the schedule may pick', out);
  if (isPosInt(spec.min_batch_size) && isPosInt(spec.max_batch_size) && spec.min_batch_size > spec.max_batch_size)
    out.push({
      path: ['min_batch_size'],
      message: `min_batch_size (${spec.min_batch_size}) must not be larger than max_batch_size (${spec.max_batch_size})`,
    });
  checkAllowed(spec, out);
  if (spec.allow_shrink !== undefined && typeof spec.allow_shrink !== 'boolean')
    out.push({ path: ['allow_shrink'], message: `allow_shrink must be true or false (got ${show(spec.allow_shrink)})` });
  const s = spec.smoothing;
  if (s !== undefined && !(typeof s === 'number' && s >= 0 && s < 1))
    out.push({ path: ['smoothing'], message: `smoothing must be a number in [0, 1) (got ${show(s)}): the EMA weight of past gradient statistics` });
  throughputProblems(spec.throughput, out);
}

const CHECKS: Record<Kind, (spec: Obj, out: Problems) => void> = {
  constant: () => undefined,
  step: checkStep,
  linear_ramp: checkLinearRamp,
  adaptive: checkAdaptive,
};

/** Every problem of a schedule (empty: valid). */
export function validateSchedule(spec: unknown): ScheduleProblem[] {
  if (!isObj(spec))
    return [{ path: [], message: `batch_schedule must be a mapping with a "kind" (got ${show(spec)}), e.g. {kind: adaptive, every_steps: 25}` }];
  const kind = spec.kind;
  if (typeof kind !== 'string' || !(KINDS as readonly string[]).includes(kind)) {
    return [{ path: ['kind'], message: `kind must be one of ${KINDS.join(', ')} (got ${show(kind)})` }];
  }
  const out: Problems = [];
  unknownKeys(spec, kind as Kind, out);
  CHECKS[kind as Kind](spec, out);
  return out;
}

/**
 * A problem as one line that names its place under `batch_schedule`, the words every entry point
 * shows: `batch_schedule.from (512) must not be larger than to (64): ...`,
 * `batch_schedule: a step schedule needs one of at_steps, ...`.
 */
export function scheduleProblemMessage(p: ScheduleProblem): string {
  if (p.message.startsWith('batch_schedule')) return p.message;
  if (p.path.length > 0 && p.message.startsWith(p.path[0])) return `batch_schedule.${p.message}`;
  return `batch_schedule: ${p.message}`;
}
