// A user's own config (not Batch Tuner's training format): where its batch size and learning
// rate are, what its `tuner:` section asks for (checked by the same JSON Schema as our format's
// tuner section), and the per-trial copy with the trial's values.
import { randomBytes } from 'node:crypto';
import { closeSync, constants as fsConstants, fchmodSync, openSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, extname, join } from 'node:path';
import { YAMLParseError } from 'yaml';
import type { ParseError } from 'jsonc-parser';
import { InputLimitError, parseJsoncValue, parseYamlValue } from '../config/limits';
import type { TunerSpec } from '../types';
import type { BatchSizeSite, ConfigDiagnostic, ConfigFormat } from '../config/types';
import { detectFormat } from '../config/format';
import { LineIndex, makeDiagnostic } from '../config/diagnostics';
import { findBatchSizeSites, flattenTree, sourceTreeOf, type FlatEntry } from '../config/sites';
import { tomlEntries } from '../config/toml';
import { schemaProblems } from '../config/schemaErrors';
import { semanticProblems } from '../config/semantic';
import { primaryBatchSizeSite, withBatchSize } from '../config';
import { isObj } from '../guards';
import { makeTrialTempDir } from './leftovers';
import type { GlobalBatchSplit } from './externalCommand';
import { withTrialBatch } from './trialConfigBatch';

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
  /** Optimizer steps of one run when the config says (max_steps, steps, ...): `batch-tuner train`'s default. */
  steps?: number;
}

export class ExternalConfigError extends Error {
  /** Where the problem is (file:line:col), for the Problems view and the resolver's failure. */
  readonly diagnostic?: ConfigDiagnostic;
  constructor(message: string, diagnostic?: ConfigDiagnostic) {
    super(message);
    this.name = 'ExternalConfigError';
    if (diagnostic) this.diagnostic = diagnostic;
  }
}

/** Section names that hold Batch Tuner's options inside someone else's config. */
const TUNER_SECTIONS = [['tuner'], ['batch_tuner'], ['batch-tuner'], ['tool', 'batch_tuner'], ['tool', 'batch-tuner']];
const DATASET_SIZE_KEYS = ['train_samples', 'dataset_size', 'num_train_samples', 'train_size', 'num_samples'];
const STEPS_KEYS = ['max_steps', 'steps', 'num_steps', 'train_steps', 'total_steps', 'max_iters'];

/** An error at a place in the text: `file:line:col: message`, with its diagnostic. */
function errorAt(file: string, text: string, offset: number, length: number, message: string): ExternalConfigError {
  const d = makeDiagnostic(new LineIndex(text), file, offset, length, message);
  return new ExternalConfigError(`${file}:${d.line}:${d.column}: ${message}`, d);
}

/** Parses the whole document (YAML/JSON) to plain data, with the first syntax error located. */
function documentData(file: string, text: string, format: ConfigFormat): unknown {
  if (format === 'yaml') {
    try {
      return parseYamlValue(text, { uniqueKeys: false });
    } catch (e) {
      const offset = e instanceof YAMLParseError ? e.pos[0] : e instanceof InputLimitError ? e.offset : 0;
      throw errorAt(file, text, offset, 0, `the YAML cannot be read (${e instanceof Error ? e.message.split('\n')[0] : String(e)}): fix the syntax`);
    }
  }
  if (format === 'json') {
    const errors: ParseError[] = [];
    let data: unknown;
    try {
      data = parseJsoncValue(text, errors, { allowTrailingComma: true, disallowComments: false });
    } catch (e) {
      if (e instanceof InputLimitError) throw errorAt(file, text, e.offset, e.length, e.message);
      throw e;
    }
    if (errors.length) throw errorAt(file, text, errors[0].offset, errors[0].length, `the JSON cannot be read (error code ${errors[0].error}): fix the syntax`);
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
    if (!isObj(cur)) return undefined;
    cur = cur[k];
  }
  return cur;
}

interface TunerSection {
  raw: Record<string, unknown>;
  /** Where the section is (['tuner'], ['tool', 'batch_tuner'], ...). */
  path: string[];
}

function findTunerSection(file: string, text: string, format: ConfigFormat, entries: FlatEntry[]): TunerSection | undefined {
  if (format === 'python') return undefined;
  const data = documentData(file, text, format);
  for (const section of TUNER_SECTIONS) {
    const raw = format === 'toml' ? tomlSection(text, entries, section) : lookup(data, section);
    if (raw === undefined || raw === null) continue;
    if (!isObj(raw)) {
      const head = entries.find((e) => e.path.length === section.length && section.every((k, i) => e.path[i] === k));
      throw errorAt(
        file,
        text,
        head?.keyStart ?? 0,
        head ? head.keyEnd - head.keyStart : 0,
        `\`${section.join('.')}\` must be a mapping of tuner options (command, min_batch_size, ...)`,
      );
    }
    return { raw, path: section };
  }
  return undefined;
}

/** Source range of a problem at `path` (from the document root): the key, or the value; the nearest existing parent when missing. */
function rangeOf(entries: FlatEntry[], path: string[], at: 'key' | 'value'): { offset: number; length: number } {
  for (let depth = path.length; depth > 0; depth--) {
    const prefix = path.slice(0, depth);
    const e = [...entries].reverse().find((x) => x.path.length === depth && prefix.every((k, i) => x.path[i] === k));
    if (!e) continue;
    if (at === 'value' && depth === path.length) return { offset: e.valueStart, length: e.valueEnd - e.valueStart };
    return { offset: e.keyStart, length: e.keyEnd - e.keyStart };
  }
  return { offset: 0, length: 0 };
}

/**
 * Checks a user's tuner section with the training format's own JSON Schema (its `tuner`
 * definition) and the same relation checks (min <= max, memory sizes); the first problem, by
 * position, is thrown with file:line:col.
 */
function readTunerSpec(file: string, text: string, section: TunerSection, entries: FlatEntry[]): TunerSpec {
  const doc = { tuner: section.raw };
  const problems = [...schemaProblems(doc), ...semanticProblems(doc, file, false).filter((p) => p.severity === 'error')].filter((p) => p.path[0] === 'tuner');
  const located = problems.map((p) => ({ p, r: rangeOf(entries, [...section.path, ...p.path.slice(1)], p.at) }));
  located.sort((a, b) => a.r.offset - b.r.offset);
  const first = located[0];
  if (first) throw errorAt(file, text, first.r.offset, first.r.length, first.p.message);
  return section.raw;
}

/**
 * Reads a user's own config from its text: the batch size (and learning rate) through
 * findBatchSizeSites, and Batch Tuner's options from its `tuner:` section (`[tool.batch_tuner]`
 * in TOML works too). Throws ExternalConfigError with file:line:col.
 */
export function readExternalConfig(file: string, text: string, format: ConfigFormat = detectFormat(file, text)): ExternalConfig {
  const entries = format === 'python' ? [] : format === 'toml' ? tomlEntries(text) : flattenTree(sourceTreeOf(text, format));
  const section = findTunerSection(file, text, format, entries);
  const site = primaryBatchSizeSite(findBatchSizeSites(text, format));
  if (!site) {
    throw errorAt(
      file,
      text,
      0,
      0,
      'no batch-size key found (looked for batch_size, per_device_train_batch_size, train_batch_size, ...): add one, e.g. "batch_size: 32"',
    );
  }
  const b = site.batchSize;
  if (!Number.isFinite(b.value) || b.value < 1 || !Number.isInteger(b.value)) {
    const written = text.slice(b.valueOffset, b.valueOffset + b.valueLength);
    throw errorAt(
      file,
      text,
      b.valueOffset,
      b.valueLength,
      `${b.key} is not a whole number (${written}): Batch Tuner can only tune a literal batch size; write a number there`,
    );
  }
  const tuner = section ? readTunerSpec(file, text, section, entries) : undefined;
  const lr = site.learningRate && Number.isFinite(site.learningRate.value) ? site.learningRate.value : undefined;
  const count = (keys: string[]) =>
    entries.find((x) => keys.includes(x.key) && typeof x.scalar === 'number' && Number.isInteger(x.scalar) && x.scalar > 0)?.scalar as number | undefined;
  const datasetSize = count(DATASET_SIZE_KEYS);
  const steps = count(STEPS_KEYS);
  return {
    file,
    format,
    text,
    batchSize: b.value,
    ...(lr !== undefined ? { learningRate: lr } : {}),
    ...(tuner?.command ? { command: tuner.command } : {}),
    site,
    ...(tuner ? { tuner } : {}),
    ...(datasetSize !== undefined ? { datasetSize } : {}),
    ...(steps !== undefined ? { steps } : {}),
  };
}

/** Reads a user's own config from disk (readExternalConfig on the file's text). */
export function loadExternalConfig(file: string): ExternalConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new ExternalConfigError(`${file}: cannot read the config (${(e as NodeJS.ErrnoException).code ?? String(e)}): check the path`);
  }
  return readExternalConfig(file, text);
}

// ---------------------------------------------------------------------------------------------
// The per-trial copy

export interface TrialConfigCopy {
  /** Where the copy is (next to the original, so relative paths inside keep working). */
  path: string;
  warnings: string[];
  remove(): void;
}

/** O_NOFOLLOW where the platform has it (not Windows); with O_EXCL a symlink at the path already fails (EEXIST). */
const CREATE_NEW = fsConstants.O_WRONLY | fsConstants.O_CREAT | fsConstants.O_EXCL | (fsConstants.O_NOFOLLOW ?? 0);
/** Why a folder cannot take the copy: then it goes to a private temp folder. */
const NOT_WRITABLE = new Set(['EACCES', 'EPERM', 'EROFS']);

/**
 * Creates `path` afresh — never an existing file, never through a symlink — with exactly `mode`
 * (the umask would narrow it), and writes `text`. A partial file is removed on failure.
 */
export function createExclusive(path: string, text: string, mode: number): void {
  const fd = openSync(path, CREATE_NEW, mode);
  try {
    fchmodSync(fd, mode);
    writeFileSync(fd, text);
  } catch (e) {
    closeSync(fd);
    rmSync(path, { force: true });
    throw e;
  }
  closeSync(fd);
}

/** `.batch-tuner-<owner>-<trial>-<random>.<ext>`: the owner prefix sweepStale recognises, 72 random bits. */
function copyName(configPath: string, trialId: string): string {
  const ext = extname(configPath);
  const safeExt = /^\.[A-Za-z0-9_-]{1,16}$/.test(ext) ? ext : '.cfg';
  return `.batch-tuner-${trialId.replace(/[^A-Za-z0-9_.-]/g, '_').slice(0, 60)}-${randomBytes(9).toString('hex')}${safeExt}`;
}

/** The config's text with the trial's batch size (and learning rate, when it differs) edited in, and what could not be. */
function editedConfig(
  configPath: string,
  text: string,
  batchSize: number,
  learningRate: number | undefined,
  split?: GlobalBatchSplit,
): { edited: string; warnings: string[] } {
  const format = detectFormat(configPath, text);
  const warnings: string[] = [];
  const site = primaryBatchSizeSite(findBatchSizeSites(text, format));
  if (!site) {
    warnings.push(
      `${basename(configPath)} has no batch-size key: the trial's batch size reaches the script only through \${batchSize} / BATCH_TUNER_BATCH_SIZE`,
    );
    return { edited: text, warnings };
  }
  const currentLr = site.learningRate?.value;
  const lr =
    learningRate !== undefined &&
    site.learningRate &&
    Number.isFinite(currentLr) &&
    Math.abs((currentLr as number) - learningRate) > 1e-12 * Math.abs(learningRate)
      ? learningRate
      : undefined;
  if (learningRate !== undefined && !site.learningRate && learningRate > 0) {
    warnings.push(
      `${basename(configPath)} has no learning-rate key next to ${site.batchSize.key}: the trial's learning rate reaches the script only through \${learningRate} / BATCH_TUNER_LEARNING_RATE`,
    );
  }
  const trial = split ? withTrialBatch(text, configPath, batchSize, lr, split) : { text: withBatchSize(text, configPath, batchSize, lr) };
  if (trial.warning) warnings.push(trial.warning);
  return { edited: trial.text, warnings };
}

/**
 * Writes a hidden `.batch-tuner-<trial>-<random>.<ext>` copy of the config next to it with the
 * trial's batch size (and learning rate, when it differs) edited in, keeping format and comments:
 * created exclusively (never over an existing file, never through a symlink) with the original's
 * permissions, so a config readable only by its owner stays so. When the config's folder cannot
 * take it, the copy goes to a private temp folder named for its owner (swept like a trial's;
 * relative paths then break: said in a warning).
 */
export function writeTrialConfig(
  configPath: string,
  batchSize: number,
  learningRate: number | undefined,
  trialId: string,
  split?: GlobalBatchSplit,
): TrialConfigCopy {
  let text: string;
  let mode: number;
  try {
    text = readFileSync(configPath, 'utf8');
    mode = statSync(configPath).mode & 0o777;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new ExternalConfigError(
      code === 'ENOENT' ? `${configPath}: the config does not exist: check the path` : `${configPath}: cannot read the config (${code ?? String(e)})`,
    );
  }
  const { edited, warnings } = editedConfig(configPath, text, batchSize, learningRate, split);
  const dir = dirname(configPath);
  const path = join(dir, copyName(configPath, trialId));
  try {
    createExclusive(path, edited, mode);
    return { path, warnings, remove: () => rmSync(path, { force: true }) };
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? '';
    if (!NOT_WRITABLE.has(code))
      throw new ExternalConfigError(
        `cannot write the trial's copy of the config next to it (${path}: ${code || String(e)}): free some space or check the folder`,
      );
  }
  const tempDir = makeTrialTempDir();
  const inTemp = join(tempDir, basename(configPath));
  try {
    createExclusive(inTemp, edited, mode);
  } catch (e) {
    rmSync(tempDir, { recursive: true, force: true });
    throw new ExternalConfigError(
      `cannot write the trial's copy of the config (${dir} is not writable, and neither is ${tempDir}: ${(e as NodeJS.ErrnoException).code ?? String(e)})`,
    );
  }
  warnings.push(`${dir} is not writable: the trial's config copy is in ${tempDir}, so paths relative to the config may not resolve`);
  return { path: inTemp, warnings, remove: () => rmSync(tempDir, { recursive: true, force: true }) };
}
