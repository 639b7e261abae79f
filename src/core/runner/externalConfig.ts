// A user's own config (not Batch Tuner's training format): where its batch size and learning
// rate are, what its `tuner:` section asks for, and the per-trial copy with the trial's values.
import { existsSync, readFileSync, rmSync, writeFileSync, accessSync, constants as fsConstants, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, extname, join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { parse as parseJsonc, type ParseError } from 'jsonc-parser';
import type { LrRule, TunerSpec } from '../types';
import type { BatchSizeSite, ConfigFormat } from '../config/types';
import { detectFormat } from '../config/format';
import { LineIndex } from '../config/diagnostics';
import { findBatchSizeSites, flattenTree, sourceTreeOf, type FlatEntry } from '../config/sites';
import { tomlEntries } from '../config/toml';
import { primaryBatchSizeSite, withBatchSize } from '../config';
import { LR_RULES } from '../tuner/lrScaling';

export interface ExternalConfig {
  file: string;
  format: ConfigFormat;
  text: string;
  batchSize: number;
  learningRate?: number;
  /** The training command from the config's tuner section, when it has one. */
  command?: string;
  site: BatchSizeSite;
  tuner?: TunerSpec;
  /** Training samples per epoch when the config says (train_samples, dataset_size, ...). */
  datasetSize?: number;
}

export class ExternalConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ExternalConfigError';
  }
}

/** Section names that hold Batch Tuner's options inside someone else's config. */
const TUNER_SECTIONS = [['tuner'], ['batch_tuner'], ['batch-tuner'], ['tool', 'batch_tuner'], ['tool', 'batch-tuner']];
const DATASET_SIZE_KEYS = ['train_samples', 'dataset_size', 'num_train_samples', 'train_size', 'num_samples'];

function where(file: string, text: string, offset: number): string {
  const p = new LineIndex(text).position(offset);
  return `${file}:${p.line + 1}:${p.character + 1}`;
}

/** Parses the whole document (YAML/JSON) to plain data, with the first syntax error located. */
function documentData(file: string, text: string, format: ConfigFormat): unknown {
  if (format === 'yaml') {
    try {
      return parseYaml(text, { uniqueKeys: false });
    } catch (e) {
      const pos = (e as { linePos?: Array<{ line: number; col: number }> }).linePos?.[0];
      const at = pos ? `${file}:${pos.line}:${pos.col}` : file;
      throw new ExternalConfigError(`${at}: the YAML cannot be read (${e instanceof Error ? e.message.split('\n')[0] : String(e)}): fix the syntax`);
    }
  }
  if (format === 'json') {
    const errors: ParseError[] = [];
    const data: unknown = parseJsonc(text, errors, { allowTrailingComma: true, disallowComments: false });
    if (errors.length) throw new ExternalConfigError(`${where(file, text, errors[0].offset)}: the JSON cannot be read (error code ${errors[0].error}): fix the syntax`);
    return data;
  }
  return undefined;
}

function tomlSection(text: string, entries: FlatEntry[], section: string[]): Record<string, unknown> | undefined {
  const inside = entries.filter((e) => e.path.length === section.length + 1 && section.every((k, i) => e.path[i] === k));
  if (!inside.length) return undefined;
  const out: Record<string, unknown> = {};
  for (const e of inside) {
    if (e.isScalar) out[e.key] = e.scalar;
    else {
      // Arrays of numbers are written the same way in TOML and JSON.
      try {
        out[e.key] = JSON.parse(text.slice(e.valueStart, e.valueEnd));
      } catch {
        out[e.key] = undefined;
      }
    }
  }
  return out;
}

function lookup(data: unknown, path: string[]): unknown {
  let cur = data;
  for (const k of path) {
    if (typeof cur !== 'object' || cur === null || Array.isArray(cur)) return undefined;
    cur = (cur as Record<string, unknown>)[k];
  }
  return cur;
}

function tunerSection(file: string, text: string, format: ConfigFormat): { raw?: Record<string, unknown>; offset: number; entries: FlatEntry[] } {
  if (format === 'python') return { offset: 0, entries: [] };
  const entries = format === 'toml' ? tomlEntries(text) : flattenTree(sourceTreeOf(text, format));
  const data = documentData(file, text, format);
  for (const section of TUNER_SECTIONS) {
    const raw = format === 'toml' ? tomlSection(text, entries, section) : lookup(data, section);
    if (raw === undefined || raw === null) continue;
    const head = entries.find((e) => e.path.length === section.length && section.every((k, i) => e.path[i] === k));
    if (typeof raw !== 'object' || Array.isArray(raw)) {
      throw new ExternalConfigError(`${where(file, text, head?.keyStart ?? 0)}: \`${section.join('.')}\` must be a mapping of tuner options (command, min_batch_size, ...)`);
    }
    return { raw: raw as Record<string, unknown>, offset: head?.keyStart ?? 0, entries: entries.filter((e) => section.every((k, i) => e.path[i] === k)) };
  }
  return { offset: 0, entries };
}


/** Checks the tuner options a user's config may carry; each error points at its key. */
function readTunerSpec(file: string, text: string, raw: Record<string, unknown>, entries: FlatEntry[]): TunerSpec {
  const at = (key: string) => where(file, text, entries.find((e) => e.key === key)?.keyStart ?? 0);
  const spec: TunerSpec = {};
  const positiveInt = (key: 'min_batch_size' | 'max_batch_size') => {
    const v = raw[key];
    if (v === undefined) return;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) throw new ExternalConfigError(`${at(key)}: tuner.${key} must be an integer >= 1 (got ${JSON.stringify(v)})`);
    spec[key] = v;
  };
  positiveInt('min_batch_size');
  positiveInt('max_batch_size');
  if (spec.min_batch_size && spec.max_batch_size && spec.min_batch_size > spec.max_batch_size) {
    throw new ExternalConfigError(`${at('min_batch_size')}: tuner.min_batch_size (${spec.min_batch_size}) is larger than tuner.max_batch_size (${spec.max_batch_size}): swap them`);
  }
  for (const key of ['budget_seconds', 'timeout_seconds', 'target_loss'] as const) {
    const v = raw[key];
    if (v === undefined) continue;
    if (typeof v !== 'number' || !(v > 0)) throw new ExternalConfigError(`${at(key)}: tuner.${key} must be a number > 0 (got ${JSON.stringify(v)})`);
    spec[key] = v;
  }
  if (raw.candidates !== undefined) {
    const c = raw.candidates;
    if (!Array.isArray(c) || !c.every((x) => typeof x === 'number' && Number.isInteger(x) && x >= 1)) {
      throw new ExternalConfigError(`${at('candidates')}: tuner.candidates must be a list of integers >= 1, e.g. [32, 64, 128]`);
    }
    spec.candidates = c as number[];
  }
  if (raw.memory_limit !== undefined) {
    if (typeof raw.memory_limit !== 'number' && typeof raw.memory_limit !== 'string') throw new ExternalConfigError(`${at('memory_limit')}: tuner.memory_limit must be bytes or a size like "8GB"`);
    spec.memory_limit = raw.memory_limit;
  }
  for (const key of ['lr_rule', 'lr_scaling'] as const) {
    const v = raw[key];
    if (v === undefined) continue;
    if (typeof v !== 'string' || !((LR_RULES as readonly string[]).includes(v) || (key === 'lr_scaling' && v === 'adascale'))) {
      throw new ExternalConfigError(`${at(key)}: tuner.${key} must be one of ${LR_RULES.join(', ')}${key === 'lr_scaling' ? ', adascale' : ''} (got ${JSON.stringify(v)})`);
    }
    if (key === 'lr_rule') spec.lr_rule = v as LrRule;
    else spec.lr_scaling = v as LrRule | 'adascale';
  }
  if (raw.command !== undefined) {
    if (typeof raw.command !== 'string' || !raw.command.trim()) throw new ExternalConfigError(`${at('command')}: tuner.command must be a command line, e.g. "\${python} train.py --config \${config}"`);
    spec.command = raw.command;
  }
  if (raw.shell !== undefined) {
    if (typeof raw.shell !== 'boolean') throw new ExternalConfigError(`${at('shell')}: tuner.shell must be true or false`);
    spec.shell = raw.shell;
  }
  return spec;
}

/**
 * Reads a user's own config: the batch size (and learning rate) through findBatchSizeSites, and
 * Batch Tuner's options from its `tuner:` section (`[tool.batch_tuner]` in TOML works too).
 */
export function loadExternalConfig(file: string): ExternalConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new ExternalConfigError(`${file}: cannot read the config (${(e as NodeJS.ErrnoException).code ?? String(e)}): check the path`);
  }
  const format = detectFormat(file, text);
  const { raw, entries } = tunerSection(file, text, format);
  const site = primaryBatchSizeSite(findBatchSizeSites(text, format));
  if (!site) {
    throw new ExternalConfigError(`${file}:1:1: no batch-size key found (looked for batch_size, per_device_train_batch_size, train_batch_size, ...): add one, e.g. "batch_size: 32"`);
  }
  if (!Number.isFinite(site.batchSize.value) || site.batchSize.value < 1 || !Number.isInteger(site.batchSize.value)) {
    throw new ExternalConfigError(
      `${where(file, text, site.batchSize.valueOffset)}: ${site.batchSize.key} is not a whole number (${text.slice(site.batchSize.valueOffset, site.batchSize.valueOffset + site.batchSize.valueLength)}): Batch Tuner can only tune a literal batch size; write a number there`,
    );
  }
  const tuner = raw ? readTunerSpec(file, text, raw, entries) : undefined;
  const lr = site.learningRate && Number.isFinite(site.learningRate.value) ? site.learningRate.value : undefined;
  return {
    file,
    format,
    text,
    batchSize: site.batchSize.value,
    ...(lr !== undefined ? { learningRate: lr } : {}),
    ...(tuner?.command ? { command: tuner.command } : {}),
    site,
    ...(tuner ? { tuner } : {}),
    ...datasetSizeOf(format, text),
  };
}

function datasetSizeOf(format: ConfigFormat, text: string): { datasetSize?: number } {
  if (format === 'python') return {};
  const entries = format === 'toml' ? tomlEntries(text) : flattenTree(sourceTreeOf(text, format));
  const e = entries.find((x) => DATASET_SIZE_KEYS.includes(x.key) && typeof x.scalar === 'number' && Number.isInteger(x.scalar) && (x.scalar as number) > 0);
  return e ? { datasetSize: e.scalar as number } : {};
}

// ---------------------------------------------------------------------------------------------
// The per-trial copy

export interface TrialConfigCopy {
  /** Where the copy is (next to the original, so relative paths inside keep working). */
  path: string;
  warnings: string[];
  remove(): void;
}

function canWrite(dir: string): boolean {
  try {
    accessSync(dir, fsConstants.W_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * Writes a hidden `.batch-tuner-<trial>-<rand>.<ext>` copy of the config next to it with the trial's
 * batch size (and learning rate, when it differs) edited in, keeping format and comments; in a temp
 * folder when the config's folder is read-only (relative paths then break: said in a warning).
 */
export function writeTrialConfig(configPath: string, batchSize: number, learningRate: number | undefined, trialId: string): TrialConfigCopy {
  if (!existsSync(configPath)) throw new ExternalConfigError(`${configPath}: the config does not exist: check the path`);
  const text = readFileSync(configPath, 'utf8');
  const format = detectFormat(configPath, text);
  const warnings: string[] = [];
  const site = primaryBatchSizeSite(findBatchSizeSites(text, format));
  let edited = text;
  if (!site) {
    warnings.push(`${basename(configPath)} has no batch-size key: the trial's batch size reaches the script only through \${batchSize} / BATCH_TUNER_BATCH_SIZE`);
  } else {
    const currentLr = site.learningRate?.value;
    const lr = learningRate !== undefined && site.learningRate && Number.isFinite(currentLr) && Math.abs((currentLr as number) - learningRate) > 1e-12 * Math.abs(learningRate) ? learningRate : undefined;
    edited = withBatchSize(text, configPath, batchSize, lr);
    if (learningRate !== undefined && !site.learningRate && learningRate > 0) {
      warnings.push(`${basename(configPath)} has no learning-rate key next to ${site.batchSize.key}: the trial's learning rate reaches the script only through \${learningRate} / BATCH_TUNER_LEARNING_RATE`);
    }
  }
  const ext = extname(configPath) || '.cfg';
  const name = `.batch-tuner-${trialId.replace(/[^A-Za-z0-9_.-]/g, '_').slice(0, 60)}-${Math.random().toString(36).slice(2, 8)}${ext}`;
  const dir = dirname(configPath);
  let path: string;
  let tempDir: string | undefined;
  if (canWrite(dir)) path = join(dir, name);
  else {
    tempDir = mkdtempSync(join(tmpdir(), 'batch-tuner-config-'));
    path = join(tempDir, basename(configPath));
    warnings.push(`${dir} is not writable: the trial's config copy is in ${tempDir}, so paths relative to the config may not resolve`);
  }
  writeFileSync(path, edited);
  return {
    path,
    warnings,
    remove: () => rmSync(tempDir ?? path, { recursive: true, force: true }),
  };
}
