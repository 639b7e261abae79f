// The global batch a config asks for: global = micro-batch x accumulation steps x data-parallel
// workers, read from whichever family of keys the file uses, with the exact place of each key.
// The invariant is DeepSpeed's ("train_batch_size must be equal to train_micro_batch_size_per_gpu *
// gradient_accumulation_steps * number of GPUs", https://www.deepspeed.ai/docs/config-json/) and
// NeMo/Megatron's (global = micro x data-parallel size x accumulation); HF and Lightning state the
// per-device batch and the accumulation and leave the world size to the launcher.
import { parseYamlValue } from './limits';
import type { ConfigDiagnostic, ConfigFormat, FormatOrFileName, KeyMatch } from './types';
import { LineIndex, makeDiagnostic } from './diagnostics';
import { resolveFormat } from './format';
import { configValues, findBatchSizeSites, type ConfigValue } from './sites';
import { primaryBatchSizeSite } from './edit';
import { DEEPSPEED_MARKER_KEYS, GLOBAL_BATCH_KEYS, isGlobalBatchName, normalizeName, type GlobalBatchFamily, type GlobalBatchRole } from './keyNames';
import { solveGlobalBatch, splitProblem, type BatchNumbers, type BatchNumberRole } from './globalBatchMath';
import { isPositiveInt } from '../guards';

/** Where the world size came from: the file (devices x num_nodes), the caller, DeepSpeed's three
 *  numbers, the built-in trainer (one process), an assumption of 1, or nowhere ("auto" devices). */
export type WorldSource = 'config' | 'given' | 'derived' | 'one-process' | 'assumed' | 'unknown';

export interface GlobalBatchSite {
  role: GlobalBatchRole;
  key: KeyMatch;
  /** A whole number >= 1; "auto" (DeepSpeed's values filled by the HF Trainer, Lightning's devices); undefined when unusable (see problems). */
  value: number | 'auto' | undefined;
}

export interface GlobalBatchReading {
  file: string;
  format: ConfigFormat;
  family: GlobalBatchFamily;
  /** Samples per worker per forward/backward pass. Undefined: not known from the file ("auto"). */
  micro?: number;
  accumulation?: number;
  world?: number;
  worldFrom: WorldSource;
  /** Samples per optimizer step over all workers. */
  global?: number;
  /** The keys the file states, each at its exact place. */
  sites: Partial<Record<GlobalBatchRole, GlobalBatchSite>>;
  /** The learning-rate key next to the batch key, when there is one. */
  learningRate?: KeyMatch;
  /** Numbers that disagree or cannot be used, at the offending value. */
  problems: ConfigDiagnostic[];
}

export interface ReadGlobalBatchOptions {
  /** Data-parallel workers the run will have (checked against the file; else the file's or 1). */
  worldSize?: number;
}

type Found = { family: GlobalBatchFamily; sites: Partial<Record<GlobalBatchRole, ConfigValue>> };

const first = (vs: ConfigValue[]): ConfigValue | undefined => [...vs].sort((a, b) => a.depth - b.depth || a.match.keyOffset - b.match.keyOffset)[0];
const named = (vs: ConfigValue[], name: string, group?: string) => first(vs.filter((v) => v.name === name && (group === undefined || v.group === group)));
const defined = <T extends object>(o: T): T => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;

/** Which family of keys the file uses, and the keys that belong together (one mapping, call or parser). */
function detectFamily(values: ConfigValue[], text: string, format: ConfigFormat): Found | undefined {
  const groupHas = (g: string, names: readonly string[]) => values.some((v) => v.group === g && names.includes(v.name));
  const ds = GLOBAL_BATCH_KEYS.deepspeed;
  const hf = GLOBAL_BATCH_KEYS.hf;
  // train_batch_size alone is a DeepSpeed key only beside DeepSpeed's other sections (HF scripts use it per device).
  const dsAnchor = first(
    values.filter((v) => (v.name === ds.micro || (v.name === ds.global && groupHas(v.group, DEEPSPEED_MARKER_KEYS))) && !groupHas(v.group, [hf.micro])),
  );
  const hfMicro = named(values, hf.micro);
  if (dsAnchor) {
    const g = dsAnchor.group;
    const sites = defined({ global: named(values, ds.global, g), micro: named(values, ds.micro, g), accumulation: named(values, ds.accumulation, g) });
    // DeepSpeed's "auto" defers to TrainingArguments: when those are in the same script, they are the batch.
    const allAuto = Object.values(sites).every((v) => typeof v?.literal === 'string' && v.literal.trim().toLowerCase() === 'auto');
    if (!(allAuto && hfMicro)) return { family: 'deepspeed', sites };
  }
  if (hfMicro) return { family: 'hf', sites: defined({ micro: hfMicro, accumulation: named(values, hf.accumulation, hfMicro.group) }) };

  const pl = GLOBAL_BATCH_KEYS.lightning;
  const acc = named(values, pl.accumulation);
  // Devices and nodes of the Trainer: beside accumulate_grad_batches, else in a `trainer` section / Trainer(...) call.
  const trainer = values.filter((v) => (v.name === pl.devices || v.name === pl.nodes) && (acc ? v.group === acc.group : /^trainer$/i.test(v.section ?? '')));
  const plBatch = named(values, pl.micro);
  if (plBatch && (acc || trainer.length))
    return { family: 'lightning', sites: defined({ micro: plBatch, accumulation: acc, devices: named(trainer, pl.devices), nodes: named(trainer, pl.nodes) }) };

  const bt = GLOBAL_BATCH_KEYS['batch-tuner'];
  const top = values.filter((v) => v.depth === 1);
  const btBatch = named(top, bt.global);
  const ours = ['model', 'data', 'optimizer'].every((k) => named(top, k));
  if ((format === 'yaml' || format === 'json') && btBatch && (ours || named(top, bt.micro) || named(top, bt.accumulation)))
    return { family: 'batch-tuner', sites: defined({ global: btBatch, micro: named(top, bt.micro), accumulation: named(top, bt.accumulation) }) };

  // Any other batch-size key: one number, the per-worker batch.
  const site = primaryBatchSizeSite(findBatchSizeSites(text, format));
  if (!site) return undefined;
  const m = site.batchSize;
  const micro = values.find((v) => v.match.keyOffset === m.keyOffset) ?? {
    name: normalizeName(m.key),
    match: m,
    literal: m.value,
    group: '',
    depth: m.path.length,
  };
  return { family: 'plain', sites: { micro } };
}

/** Lightning's `devices`: an int, -1 / "auto" (all there are), a list of indices, or "0,1". */
function deviceCount(v: ConfigValue, text: string): number | 'auto' | undefined {
  let x = v.literal;
  if (x === undefined) {
    // A list: parse its text, indented as in the file so a block list stays one.
    const start = v.match.valueOffset;
    const column = start - (text.lastIndexOf('\n', start - 1) + 1);
    try {
      x = parseYamlValue(' '.repeat(column) + text.slice(start, start + v.match.valueLength));
    } catch {
      return undefined;
    }
  }
  if (Array.isArray(x)) return x.length > 0 ? x.length : undefined;
  if (typeof x === 'string') {
    const t = x.trim().toLowerCase();
    if (t === 'auto' || t === '-1') return 'auto';
    if (/^\d+\s*(,\s*\d+\s*)*,?$/.test(t) && t.includes(',')) return t.split(',').filter((s) => s.trim() !== '').length;
    x = /^\d+$/.test(t) ? Number(t) : NaN;
  }
  if (x === -1) return 'auto';
  return isPositiveInt(x) ? x : undefined;
}

function siteValue(role: GlobalBatchRole, v: ConfigValue, text: string): number | 'auto' | undefined {
  if (role === 'devices') return deviceCount(v, text);
  const x = v.literal;
  if (typeof x === 'string' && x.trim().toLowerCase() === 'auto') return 'auto';
  const n = typeof x === 'number' ? x : typeof x === 'string' && /^\s*\d+\s*$/.test(x) ? Number(x) : NaN;
  return isPositiveInt(n) ? n : undefined;
}

/** "auto" is DeepSpeed's (the HF Trainer fills it) and Lightning's devices; other keys need a number. */
function autoAllowed(family: GlobalBatchFamily, role: GlobalBatchRole): boolean {
  return role === 'devices' || (family === 'deepspeed' && role !== 'nodes');
}

function valueProblem(family: GlobalBatchFamily, s: GlobalBatchSite, text: string): string | undefined {
  const raw = text.slice(s.key.valueOffset, s.key.valueOffset + s.key.valueLength).trim();
  const shown = raw.length > 40 ? `${raw.slice(0, 37)}...` : raw;
  if (s.value === 'auto' && !autoAllowed(family, s.role))
    return `${s.key.key} must be a whole number >= 1 here ("auto" is DeepSpeed's, filled in by the Hugging Face Trainer); write a number`;
  if (s.value !== undefined) return undefined;
  if (s.role === 'devices') return `${s.key.key} must be a whole number >= 1, a list of device indices, or "auto" / -1 (got ${shown}); fix the value`;
  const extra = s.role === 'accumulation' && family === 'lightning' && !raw.match(/^\S+$/) ? ' (an accumulation schedule is not read: give one number)' : '';
  return `${s.key.key} must be a whole number >= 1${autoAllowed(family, s.role) ? ' or "auto"' : ''} (got ${shown})${extra}; fix the value`;
}

/** The world size the file states (Lightning: devices x num_nodes), "auto", or nothing. */
function statedWorld(sites: Partial<Record<GlobalBatchRole, GlobalBatchSite>>): number | 'auto' | undefined {
  const { devices, nodes } = sites;
  if (!devices && !nodes) return undefined;
  if (devices?.value === 'auto') return 'auto';
  const d = devices ? devices.value : 1;
  const n = nodes ? nodes.value : 1;
  return typeof d === 'number' && typeof n === 'number' ? d * n : undefined;
}

/** The numbers the family states and the assumptions it makes when they underdetermine the invariant. */
function startingNumbers(found: Found, sites: Partial<Record<GlobalBatchRole, GlobalBatchSite>>, given: number | undefined) {
  const num = (r: GlobalBatchRole) => (typeof sites[r]?.value === 'number' ? sites[r].value : undefined);
  const accDefault: Array<[BatchNumberRole, number]> = sites.accumulation ? [] : [['accumulation', 1]];
  switch (found.family) {
    case 'deepspeed':
      // DeepSpeed: any two of the three give the third; one alone means accumulation 1.
      return {
        q: { global: num('global'), micro: num('micro'), accumulation: num('accumulation'), world: given },
        defaults: [['world', 1], ...accDefault] as Array<[BatchNumberRole, number]>,
        from: given ? 'given' : 'unknown',
      };
    case 'hf':
    case 'plain':
      return {
        q: { micro: num('micro'), accumulation: found.family === 'plain' ? 1 : num('accumulation'), world: given },
        defaults: [...accDefault, ['world', 1]] as Array<[BatchNumberRole, number]>,
        from: given ? 'given' : 'unknown',
      };
    case 'lightning': {
      const stated = statedWorld(sites);
      const world = given ?? (typeof stated === 'number' ? stated : undefined);
      const assume: Array<[BatchNumberRole, number]> = stated === undefined ? [['world', 1]] : [];
      return {
        q: { micro: num('micro'), accumulation: num('accumulation'), world },
        defaults: [...accDefault, ...assume],
        from: given ? 'given' : world ? 'config' : 'unknown',
      };
    }
    case 'batch-tuner':
      // The built-in trainer is one process; batch_size alone means no accumulation.
      return {
        q: { global: num('global'), micro: num('micro'), accumulation: num('accumulation'), world: 1 },
        defaults: sites.micro || sites.accumulation ? [] : accDefault,
        from: 'one-process',
      };
  }
}

/** What each number is called in this file, for messages. */
function numberNames(found: Found, sites: Partial<Record<GlobalBatchRole, GlobalBatchSite>>, worldFrom: WorldSource): Record<BatchNumberRole, string> {
  const keys = found.family === 'plain' ? {} : (GLOBAL_BATCH_KEYS[found.family] as Partial<Record<GlobalBatchRole, string>>);
  const name = (r: GlobalBatchRole) => sites[r]?.key.key ?? keys[r] ?? r;
  const world =
    worldFrom === 'config' ? 'devices x num_nodes' : worldFrom === 'given' ? 'the world size' : worldFrom === 'one-process' ? '' : 'the number of workers';
  return { global: name('global'), micro: name('micro'), accumulation: name('accumulation'), world };
}

/**
 * The global batch of a YAML, JSON/JSONC, TOML or Python text: its family of keys, the three
 * numbers (and their product), the place of each key, and what disagrees. Undefined when the text
 * has no batch-size key at all.
 */
export function readGlobalBatch(
  text: string,
  formatOrFileName: FormatOrFileName,
  file: string,
  options: ReadGlobalBatchOptions = {},
): GlobalBatchReading | undefined {
  const format = resolveFormat(formatOrFileName, text);
  const wanted = (n: string) => isGlobalBatchName(n) || (DEEPSPEED_MARKER_KEYS as readonly string[]).includes(normalizeName(n));
  const found = detectFamily(configValues(text, format, wanted), text, format);
  if (!found) return undefined;
  const index = new LineIndex(text);
  const problems: ConfigDiagnostic[] = [];
  const at = (k: KeyMatch, message: string) => problems.push(makeDiagnostic(index, file, k.valueOffset, k.valueLength, message));
  const sites: Partial<Record<GlobalBatchRole, GlobalBatchSite>> = {};
  for (const [role, v] of Object.entries(found.sites) as Array<[GlobalBatchRole, ConfigValue]>) {
    sites[role] = { role, key: v.match, value: siteValue(role, v, text) };
    const p = valueProblem(found.family, sites[role], text);
    if (p) at(v.match, p);
  }
  const given = options.worldSize;
  const start = startingNumbers(found, sites, given);
  const stated = statedWorld(sites);
  if (given !== undefined && typeof stated === 'number' && stated !== given) {
    const k = (sites.devices ?? sites.nodes)!.key;
    at(k, `the file runs on devices x num_nodes = ${stated} workers, but the world size is ${given}; change devices/num_nodes or the world size so they agree`);
  }
  const solved = settle(start.q, start.defaults, start.from as WorldSource);
  if (solved.error && !problems.length) {
    const names = numberNames(found, sites, solved.worldFrom);
    // Our format points at the split (batch_size is what Batch Tuner tunes), as the schema check does.
    const anchor = (found.family === 'batch-tuner' ? (sites.micro ?? sites.accumulation) : (sites.global ?? sites.micro))!.key;
    at(anchor, splitProblem(solved.error, solved.q, names));
  }
  const q = solved.error ? start.q : solved.q;
  const lr = findBatchSizeSites(text, format).find((s) => s.batchSize.keyOffset === (sites.global ?? sites.micro)?.key.keyOffset)?.learningRate;
  return {
    file,
    format,
    family: found.family,
    ...defined({ micro: q.micro, accumulation: q.accumulation, world: q.world, global: q.global }),
    worldFrom: q.world === undefined ? 'unknown' : solved.worldFrom,
    sites,
    ...(lr ? { learningRate: lr } : {}),
    problems,
  };
}

/** Solves the invariant, filling the family's defaults one at a time while it is underdetermined. */
function settle(q: BatchNumbers, defaults: Array<[BatchNumberRole, number]>, from: WorldSource) {
  let worldFrom = from;
  let cur = q;
  for (let i = 0; ; i++) {
    const hadWorld = cur.world !== undefined;
    const s = solveGlobalBatch(cur);
    if (s.error) return { q: cur, worldFrom, error: s.error };
    if (!hadWorld && s.q.world !== undefined) worldFrom = 'derived';
    cur = s.q;
    const complete = cur.global !== undefined && cur.micro !== undefined && cur.accumulation !== undefined && cur.world !== undefined;
    if (complete || i >= defaults.length) return { q: cur, worldFrom };
    const [role, value] = defaults[i];
    if (cur[role] === undefined) {
      cur = { ...cur, [role]: value };
      if (role === 'world') worldFrom = 'assumed';
    }
  }
}

const WORLD_NOTE: Partial<Record<WorldSource, string>> = {
  assumed: ' (assumed)',
  derived: ' (from train_batch_size)',
  'one-process': ' (the built-in trainer)',
};

/** One line for a CodeLens: `global 256 = 32 x 4 acc x 2 workers`. */
export function effectiveGlobalBatchLabel(r: GlobalBatchReading): string {
  const err = r.problems.find((p) => p.severity === 'error');
  if (err) return `global batch: inconsistent (line ${err.line}: ${err.message.split(';')[0]})`;
  const show = (x: number | undefined, role: GlobalBatchRole) => (x !== undefined ? String(x) : r.sites[role]?.value === 'auto' ? 'auto' : '?');
  const workers = `${r.world ?? (r.sites.devices?.value === 'auto' ? 'auto' : '?')} worker${r.world === 1 ? '' : 's'}`;
  return `global ${show(r.global, 'global')} = ${show(r.micro, 'micro')} x ${show(r.accumulation, 'accumulation')} acc x ${workers}${WORLD_NOTE[r.worldFrom] ?? ''}`;
}
