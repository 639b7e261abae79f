// Apply for the global batch: writes micro-batch, accumulation (and the global batch where the
// family states it) so that global = micro x accumulation x world holds afterwards. Only the
// values change; a key is added only where the family's invariant needs it (each one reported).
// Bad input stops everything with file:line:col errors: nothing is half-edited.
import type { ConfigFormat, KeyMatch, TextEdit } from './types';
import { ConfigError, LineIndex, makeDiagnostic } from './diagnostics';
import { resolveFormat } from './format';
import { formatConfigNumber } from './numberFormat';
import { applyConfigEdits, applyTextEdits, type ConfigChange } from './edit';
import { readGlobalBatch, type GlobalBatchReading, type GlobalBatchSite } from './globalBatch';
import { BATCH_SIZE_KEYS, GLOBAL_BATCH_KEYS, type GlobalBatchRole } from './keyNames';
import { isPositiveInt, isPositiveNumber } from '../guards';

export interface GlobalBatchTarget {
  /** Samples per worker per forward/backward pass. */
  micro: number;
  accumulation: number;
  /** Data-parallel workers (default: what the file says, else 1). */
  world?: number;
  /** Written next to the batch keys when there is a learning-rate key (our format: optimizer.learning_rate). */
  learningRate?: number;
}

export interface AddedKey {
  key: string;
  value: number;
  /** Why the family needs it (a key is never added otherwise). */
  why: string;
}

export interface GlobalBatchEdit {
  text: string;
  /** Offsets into the original text, non-overlapping: one undoable edit in an editor. */
  edits: TextEdit[];
  /** The new text, read back: its invariant holds. */
  reading: GlobalBatchReading;
  added: AddedKey[];
}

interface Plan {
  sets: Array<{ site: KeyMatch; value: number }>;
  adds: Array<AddedKey & { after: GlobalBatchSite }>;
}

function fail(text: string, file: string, k: KeyMatch | undefined, message: string): never {
  throw new ConfigError([makeDiagnostic(new LineIndex(text), file, k?.valueOffset ?? 0, k?.valueLength ?? 0, message)]);
}

function checkTarget(t: GlobalBatchTarget): void {
  const bad = (name: string, v: unknown) => new Error(`global batch: ${name} must be a whole number >= 1 (got ${String(v)})`);
  if (!isPositiveInt(t.micro)) throw bad('micro', t.micro);
  if (!isPositiveInt(t.accumulation)) throw bad('accumulation', t.accumulation);
  if (t.world !== undefined && !isPositiveInt(t.world)) throw bad('world', t.world);
  if (t.learningRate !== undefined && !isPositiveNumber(t.learningRate))
    throw new Error(`global batch: learningRate must be a number > 0 (got ${String(t.learningRate)})`);
}

/** The world size to write for: the caller's, else the file's; Lightning's devices are never changed. */
function worldFor(r: GlobalBatchReading, t: GlobalBatchTarget, text: string, file: string): number | undefined {
  if (r.family === 'batch-tuner' && t.world !== undefined && t.world !== 1)
    fail(
      text,
      file,
      r.sites.global?.key,
      `the built-in trainer runs one process, so the world size must be 1 (got ${t.world}); use an external training command for data-parallel runs`,
    );
  const devices = r.sites.devices ?? r.sites.nodes;
  if (r.family === 'lightning' && r.worldFrom === 'config' && t.world !== undefined && t.world !== r.world)
    fail(
      text,
      file,
      devices?.key,
      `the file runs on devices x num_nodes = ${r.world} workers but the batch was chosen for ${t.world}; Batch Tuner does not change the hardware a run asks for: change devices/num_nodes yourself, or tune for ${r.world} workers`,
    );
  // train_batch_size counts every GPU's samples: writing it for a guessed number of GPUs would change the batch.
  if (r.family === 'deepspeed' && r.sites.global && t.world === undefined && r.worldFrom === 'assumed')
    fail(
      text,
      file,
      r.sites.global.key,
      `${r.sites.global.key.key} counts the samples of all GPUs, and neither this file nor the recommendation says how many GPUs the run has; give the world size (the number of data-parallel workers)`,
    );
  return t.world ?? r.world;
}

function deepspeedAutos(r: GlobalBatchReading, text: string, file: string): void {
  const present = Object.values(r.sites);
  const autos = present.filter((s) => s.value === 'auto');
  if (autos.length === 0) return;
  const hf = GLOBAL_BATCH_KEYS.hf;
  if (autos.length === present.length)
    fail(
      text,
      file,
      autos[0].key,
      `DeepSpeed's batch keys are all "auto": the Hugging Face Trainer fills them in from TrainingArguments; apply to ${hf.micro} and ${hf.accumulation} there instead`,
    );
  const numbers = present.filter((s) => s.value !== 'auto').map((s) => s.key.key);
  fail(
    text,
    file,
    autos[0].key,
    `${autos[0].key.key} is "auto" while ${numbers.join(' and ')} ${numbers.length > 1 ? 'are numbers' : 'is a number'}: a value the Hugging Face Trainer fills in later cannot be kept consistent with them; write a number here (or make all of them "auto" and tune TrainingArguments)`,
  );
}

/** Which values change, and which keys must be added, for each family. */
function planFor(r: GlobalBatchReading, micro: number, acc: number, global: number | undefined, text: string, file: string): Plan {
  const plan: Plan = { sets: [], adds: [] };
  const set = (role: GlobalBatchRole, value: number | undefined) => {
    const s = r.sites[role];
    if (s && value !== undefined) plan.sets.push({ site: s.key, value });
  };
  const add = (after: GlobalBatchSite | undefined, key: string, why: string) => {
    if (acc === 1) return;
    if (!after) fail(text, file, undefined, `no place to add ${key}: ${why}; add \`${key}\` yourself`);
    plan.adds.push({ after, key, value: acc, why });
  };
  const { global: g, micro: m, accumulation: a } = r.sites;
  switch (r.family) {
    case 'deepspeed':
      set('global', global);
      set('micro', micro);
      set('accumulation', acc);
      if (!a && !(g && m))
        add(
          m ?? g,
          GLOBAL_BATCH_KEYS.deepspeed.accumulation,
          'DeepSpeed derives accumulation only when train_batch_size and train_micro_batch_size_per_gpu are both given; with one of them it is 1',
        );
      break;
    case 'hf':
      set('micro', micro);
      set('accumulation', acc);
      if (!a) add(m, GLOBAL_BATCH_KEYS.hf.accumulation, 'TrainingArguments accumulates 1 micro-batch unless told');
      break;
    case 'lightning':
      set('micro', micro);
      set('accumulation', acc);
      if (!a)
        add(
          r.sites.devices ?? r.sites.nodes,
          GLOBAL_BATCH_KEYS.lightning.accumulation,
          "the Trainer accumulates 1 batch unless told; it goes beside the Trainer's devices",
        );
      break;
    case 'batch-tuner':
      set('global', global);
      set('micro', micro);
      set('accumulation', acc);
      if (!m && !a) add(g, GLOBAL_BATCH_KEYS['batch-tuner'].accumulation, 'batch_size alone means one micro-batch per step');
      break;
    case 'plain':
      if (acc !== 1)
        fail(
          text,
          file,
          m?.key,
          `${m?.key.key} is the only batch key here (no gradient-accumulation key), so accumulation ${acc} cannot be written; add your script's accumulation setting (e.g. gradient_accumulation_steps) or tune without accumulation`,
        );
      set('micro', micro);
  }
  return plan;
}

/** A new `key = value` beside a TOML key or a Python keyword argument / dict entry; undefined when the place cannot take one. */
function siblingEdit(text: string, format: ConfigFormat, after: KeyMatch, key: string, value: number): TextEdit | undefined {
  const lineStart = text.lastIndexOf('\n', after.keyOffset - 1) + 1;
  const prefix = text.slice(lineStart, after.keyOffset);
  const v = formatConfigNumber(value);
  if (format === 'toml') {
    if (/[{=]/.test(prefix)) return undefined; // inside an inline table
    const nl = text.indexOf('\n', after.valueOffset + after.valueLength);
    const eol = text.includes('\r\n') ? '\r\n' : '\n';
    const line = `${prefix}${key} = ${v}`;
    return nl < 0 ? { offset: text.length, length: 0, newText: `${eol}${line}` } : { offset: nl + 1, length: 0, newText: `${line}${eol}` };
  }
  const before = text.slice(0, after.keyOffset).trimEnd().slice(-1);
  const between = text.slice(after.keyOffset + after.keyLength, after.valueOffset).trim();
  if (before !== '(' && before !== ',' && before !== '{') return undefined; // argparse, assignment
  const end = after.valueOffset + after.valueLength;
  const q = text[after.keyOffset];
  if (between === '=') return { offset: end, length: 0, newText: `, ${key}=${v}` };
  if (between === ':' && (q === '"' || q === "'")) return { offset: end, length: 0, newText: `, ${q}${key}${q}: ${v}` };
  return undefined;
}

/** Edits for the plan: values in place; added keys by path (YAML/JSON) or beside their neighbour. */
function editsFor(text: string, format: ConfigFormat, file: string, plan: Plan, lr?: ConfigChange): TextEdit[] {
  const changes: ConfigChange[] = plan.sets.map((s) => ({ site: s.site, value: s.value }));
  if (lr) changes.push(lr);
  const extra: TextEdit[] = [];
  for (const a of plan.adds) {
    if (format === 'yaml' || format === 'json') changes.push({ path: [...a.after.key.path.slice(0, -1), a.key], value: a.value });
    else {
      const e = siblingEdit(text, format, a.after.key, a.key, a.value);
      if (!e)
        fail(
          text,
          file,
          a.after.key,
          `${a.key} must be set to ${a.value} (${a.why}), and Batch Tuner cannot add it here; add it beside ${a.after.key.key} yourself`,
        );
      extra.push(e);
    }
  }
  const edits = [...applyConfigEdits(text, format, changes).edits, ...extra].sort((x, y) => x.offset - y.offset);
  for (let i = 1; i < edits.length; i++)
    if (edits[i].offset < edits[i - 1].offset + edits[i - 1].length) throw new Error('global batch: two changes touch the same place in the config');
  return edits;
}

/**
 * The text with its global batch set to micro x accumulation x world, in the keys its family uses.
 * Throws ConfigError (file:line:col, what to fix) when the file's own numbers disagree, a value
 * is "auto" or not a number where one is needed, or the world size does not match the file.
 */
export function withGlobalBatch(text: string, file: string, target: GlobalBatchTarget): GlobalBatchEdit {
  checkTarget(target);
  const format = resolveFormat(file, text);
  const before = readGlobalBatch(text, format, file);
  if (!before) fail(text, file, undefined, `no batch-size key found: looked for ${BATCH_SIZE_KEYS.join(', ')} (and argparse --batch-size in Python); add one`);
  const errors = before.problems.filter((p) => p.severity === 'error');
  if (errors.length) throw new ConfigError(errors);
  if (before.family === 'deepspeed') deepspeedAutos(before, text, file);
  const world = worldFor(before, target, text, file);
  const global = world === undefined ? undefined : target.micro * target.accumulation * world;
  const plan = planFor(before, target.micro, target.accumulation, global, text, file);
  let lr: ConfigChange | undefined;
  if (target.learningRate !== undefined) {
    if (before.learningRate) lr = { site: before.learningRate, value: target.learningRate };
    else if (before.family === 'batch-tuner') lr = { path: ['optimizer', 'learning_rate'], value: target.learningRate };
  }
  const edits = editsFor(text, format, file, plan, lr);
  const out = applyTextEdits(text, edits);
  const reading = readGlobalBatch(out, format, file, world === undefined || before.family === 'batch-tuner' ? {} : { worldSize: world });
  const holds =
    reading !== undefined &&
    reading.problems.length === 0 &&
    reading.micro === target.micro &&
    reading.accumulation === target.accumulation &&
    (global === undefined || reading.global === global);
  if (!holds)
    throw new Error(
      `global batch: the edited ${format} text does not read back as ${target.micro} x ${target.accumulation} x ${world ?? '?'} (a Batch Tuner bug; nothing was written)`,
    );
  return { text: out, edits, reading, added: plan.adds.map(({ key, value, why }) => ({ key, value, why })) };
}
