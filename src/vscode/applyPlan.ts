// What Apply writes, as pure text edits (no `vscode` here: unit-testable in node). Values are
// validated first (a batch size is a whole number >= 1, a learning rate a finite number > 0, a
// schedule passes the one schedule validator); the batch goes through the global-batch model, so a
// family of keys (DeepSpeed, Hugging Face, Lightning, ours) stays consistent: global = micro x
// accumulation x workers; and the result is checked to change whitelisted keys only, whatever a
// study file asked for.
import type { BatchScheduleSpec } from '../core/types';
import type { ConfigDiagnostic, TextEdit } from '../core/config/types';
import { applyConfigEdits, applyTextEdits, detectFormat, readGlobalBatch, withGlobalBatch, ConfigError, GLOBAL_BATCH_KEYS, BATCH_SIZE_KEYS, LEARNING_RATE_KEYS } from '../core/config';
import { flattenTree, sourceTreeOf, type FlatEntry } from '../core/config/sites';
import { tomlEntries } from '../core/config/toml';
import { isOurTrainingFormat } from '../core/resolve/classify';
import { validateSchedule } from '../core/schedule/validate';
import { isPositiveInt, isPositiveNumber } from '../core/guards';

export interface ApplyChanges {
  /** The global batch: samples per optimizer step over all workers (what a study measures and recommends). */
  batchSize: number;
  learningRate?: number;
  schedule?: BatchScheduleSpec;
  /** How to split the global batch (issue 13); default: the config's own accumulation steps and workers. */
  accumulationSteps?: number;
  worldSize?: number;
}

export type ApplyPlan =
  | { ok: true; text: string; edits: TextEdit[]; notes: string[] }
  | { ok: false; reason: string; diagnostic?: ConfigDiagnostic };

/** Keys Apply may write: batch sizes, their accumulation, learning rates, and our batch_schedule. */
const WRITABLE = new Set<string>([
  ...BATCH_SIZE_KEYS,
  ...LEARNING_RATE_KEYS,
  ...Object.values(GLOBAL_BATCH_KEYS).flatMap((f) => [('micro' in f ? f.micro : ''), ('global' in f ? f.global : ''), f.accumulation]),
  'batch_schedule',
]);

const show = (x: unknown) => JSON.stringify(x) ?? String(x);

/** Why a value cannot be written, or undefined. */
export function invalidChange(c: ApplyChanges): string | undefined {
  if (!isPositiveInt(c.batchSize)) return `batch size must be a positive integer (got ${show(c.batchSize)})`;
  if (c.learningRate !== undefined && !isPositiveNumber(c.learningRate)) return `learning rate must be a positive finite number (got ${show(c.learningRate)})`;
  if (c.accumulationSteps !== undefined && !isPositiveInt(c.accumulationSteps)) return `accumulation steps must be a positive integer (got ${show(c.accumulationSteps)})`;
  if (c.worldSize !== undefined && !isPositiveInt(c.worldSize)) return `world size must be a positive integer (got ${show(c.worldSize)})`;
  if (c.schedule !== undefined) {
    const problem = validateSchedule(c.schedule)[0];
    if (problem) return `batch_schedule${problem.path.length ? `.${problem.path.join('.')}` : ''}: ${problem.message}`;
  }
  return undefined;
}

/** `file:line:col: message` of a positioned refusal (withGlobalBatch's ConfigError). */
function positioned(d: ConfigDiagnostic, rel: string): string {
  return `${rel}:${d.line}:${d.column}: ${d.message}`;
}

/** The edits that write `c` into `text` (file: the config's path; rel: how to name it to the person). */
export function planApply(text: string, file: string, rel: string, c: ApplyChanges): ApplyPlan {
  const invalid = invalidChange(c);
  if (invalid) return { ok: false, reason: invalid };
  const format = detectFormat(file, text);
  const reading = readGlobalBatch(text, format, file);
  if (!reading) return { ok: false, reason: `${rel} has no batch-size key to set (looked for ${BATCH_SIZE_KEYS.join(', ')}, ...): add one first` };
  const accumulation = c.accumulationSteps ?? reading.accumulation ?? 1;
  const workers = c.worldSize ?? reading.world ?? 1;
  if (c.batchSize % (accumulation * workers) !== 0)
    return { ok: false, reason: `${rel}: batch size ${c.batchSize} is not ${accumulation} accumulation step(s) x ${workers} worker(s) x a whole micro-batch; pick a multiple of ${accumulation * workers} or change the accumulation in the config` };
  const notes: string[] = [];
  let edits: TextEdit[];
  try {
    const g = withGlobalBatch(text, file, { micro: c.batchSize / (accumulation * workers), accumulation, ...(c.worldSize ? { world: c.worldSize } : {}), ...(c.learningRate !== undefined ? { learningRate: c.learningRate } : {}) });
    edits = g.edits;
    for (const a of g.added) notes.push(`added ${a.key}: ${a.value} (${a.why})`);
  } catch (e) {
    if (e instanceof ConfigError && e.diagnostics[0]) return { ok: false, reason: positioned(e.diagnostics[0], rel), diagnostic: e.diagnostics[0] };
    return { ok: false, reason: `cannot write the batch size into ${rel}: ${e instanceof Error ? e.message : String(e)}` };
  }
  const ours = (format === 'yaml' || format === 'json') && isOurTrainingFormat(file, text, format);
  if (c.learningRate !== undefined && !reading.learningRate && !ours) notes.push(`no learning-rate key next to the batch size: only the batch size was written`);
  if (c.schedule) {
    if (!ours) return { ok: false, reason: `${rel}: a batch-size schedule can only be written into a Batch Tuner training config (YAML/JSON)` };
    edits = merge(edits, applyConfigEdits(text, format, [{ path: ['batch_schedule'], value: c.schedule }]).edits);
    if (!edits.length) return { ok: false, reason: `${rel}: the batch size and the schedule edit the same place; apply them one at a time` };
  }
  const out = applyTextEdits(text, edits);
  const stray = format === 'python' ? undefined : strayChange(text, out, format);
  if (stray) return { ok: false, reason: `${rel}: Apply would change ${stray}, which it never writes; nothing was changed (a Batch Tuner bug: please report it)` };
  return { ok: true, text: out, edits, notes };
}

/** Two sets of edits of one text, in order; empty when they overlap. */
function merge(a: TextEdit[], b: TextEdit[]): TextEdit[] {
  const all = [...a, ...b].sort((x, y) => x.offset - y.offset);
  for (let i = 1; i < all.length; i++) if (all[i].offset < all[i - 1].offset + all[i - 1].length) return [];
  return all;
}

/** The first key outside the writable ones whose value differs between the two texts (YAML/JSON/TOML). */
export function strayChange(before: string, after: string, format: 'yaml' | 'json' | 'toml'): string | undefined {
  const entries = (t: string): FlatEntry[] => (format === 'toml' ? tomlEntries(t) : flattenTree(sourceTreeOf(t, format)));
  const index = (t: string) => new Map(entries(t).map((e) => [e.path.join('\u0000'), t.slice(e.valueStart, e.valueEnd).trim()]));
  const a = index(before);
  const b = index(after);
  const writable = (path: string[]) => path.some((k, i) => k === 'batch_schedule' && i === 0) || WRITABLE.has(path[path.length - 1]);
  const parentOfWritable = (key: string) => [...a.keys(), ...b.keys()].some((k) => k.startsWith(key + '\u0000') && writable(k.split('\u0000')));
  for (const key of new Set([...a.keys(), ...b.keys()])) {
    const path = key.split('\u0000');
    if (writable(path)) continue;
    if (a.has(key) !== b.has(key)) return path.join('.');
    if (!parentOfWritable(key) && a.get(key) !== b.get(key)) return path.join('.');
  }
  return undefined;
}
