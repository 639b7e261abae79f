// Finding batch-size keys (and the learning rate next to each) in any config or script.
import { parseTree } from 'jsonc-parser';
import type { BatchSizeSite, FormatOrFileName, KeyMatch } from './types';
import { LineIndex } from './diagnostics';
import { resolveFormat } from './format';
import { fromJson, yamlRoot, type SourceNode } from './sourceTree';
import { isBatchSizeKey, isLearningRateKey, normalizeName } from './keyNames';
import { tomlEntries } from './toml';
import { pythonSites, pythonValues } from './python';
import { InputLimitError, jsonLimitError, parseYamlBounded, sizeLimitError } from './limits';

/** A key = value pair of a YAML/JSON/TOML document, flattened with its path. */
export interface FlatEntry {
  path: string[];
  key: string;
  keyStart: number;
  keyEnd: number;
  valueStart: number;
  valueEnd: number;
  /** The value when it is a scalar (number, string, boolean, null); undefined for mappings/lists. */
  scalar?: unknown;
  isScalar: boolean;
}

export function flattenTree(root: SourceNode | null): FlatEntry[] {
  const out: FlatEntry[] = [];
  const walk = (n: SourceNode | null, path: string[]) => {
    if (!n) return;
    if (n.kind === 'map') {
      for (const e of n.entries ?? []) {
        const v = e.value;
        out.push({
          path: [...path, e.key],
          key: e.key,
          keyStart: e.keyStart,
          keyEnd: e.keyEnd,
          valueStart: v ? v.start : e.keyEnd,
          valueEnd: v ? v.end : e.keyEnd,
          scalar: v?.kind === 'scalar' ? v.value : undefined,
          isScalar: !v || v.kind === 'scalar',
        });
        walk(v, [...path, e.key]);
      }
    } else if (n.kind === 'seq') (n.items ?? []).forEach((item, i) => walk(item, [...path, String(i)]));
  };
  walk(root, []);
  return out;
}

const OPTIMIZER_SECTIONS = ['optimizer', 'optim', 'optimizer_config', 'optimizer_kwargs'];

/** Learning-rate entries indexed for pairLearningRate: each lookup is then a map hit, not a scan
 *  (a generated file with thousands of batch sizes and learning rates was quadratic). */
interface LearningRates {
  /** Parent path -> the first learning rate in that mapping. */
  byParent: Map<string, FlatEntry>;
  /** Ancestor path -> the first learning rate in an optimizer section beside it (1-2 levels down). */
  byOptimizerBase: Map<string, FlatEntry>;
}

/** A path prefix as a map key (JSON: keys may hold any character, so no separator is safe). */
const pathKey = (path: readonly string[], length: number) => JSON.stringify(path.slice(0, length));

function indexLearningRates(entries: FlatEntry[]): LearningRates {
  const byParent = new Map<string, FlatEntry>();
  const byOptimizerBase = new Map<string, FlatEntry>();
  const setFirst = (map: Map<string, FlatEntry>, key: string, e: FlatEntry) => {
    if (!map.has(key)) map.set(key, e);
  };
  for (const e of entries) {
    if (!(e.isScalar && isLearningRateKey(e.key) && (typeof e.scalar === 'number' || typeof e.scalar === 'string'))) continue;
    setFirst(byParent, pathKey(e.path, e.path.length - 1), e);
    // e sits 2 or 3 levels below base = path[0, depth), with path[depth] an optimizer section.
    for (const depth of [e.path.length - 2, e.path.length - 3]) {
      if (depth >= 0 && OPTIMIZER_SECTIONS.includes(e.path[depth])) setFirst(byOptimizerBase, pathKey(e.path, depth), e);
    }
  }
  return { byParent, byOptimizerBase };
}

/** The learning rate next to a batch size: the same mapping, else the nearest optimizer section
 *  beside it or beside one of its ancestors (our `optimizer.learning_rate`, DeepSpeed's
 *  `optimizer.params.lr`, Lightning CLI's `optimizer.init_args.lr`). */
function pairLearningRate(batch: FlatEntry, lrs: LearningRates): FlatEntry | undefined {
  const same = lrs.byParent.get(pathKey(batch.path, batch.path.length - 1));
  if (same) return same;
  for (let depth = batch.path.length - 1; depth >= 0; depth--) {
    const inOptimizer = lrs.byOptimizerBase.get(pathKey(batch.path, depth));
    if (inOptimizer) return inOptimizer;
  }
  return undefined;
}

function toKeyMatch(e: FlatEntry, index: LineIndex): KeyMatch {
  const pos = index.position(e.keyStart);
  return {
    key: e.key,
    path: e.path,
    value: typeof e.scalar === 'number' ? e.scalar : NaN,
    keyOffset: e.keyStart,
    keyLength: e.keyEnd - e.keyStart,
    valueOffset: e.valueStart,
    valueLength: e.valueEnd - e.valueStart,
    line: pos.line,
    character: pos.character,
  };
}

export function sitesFromEntries(entries: FlatEntry[], text: string): BatchSizeSite[] {
  const index = new LineIndex(text);
  const lrs = indexLearningRates(entries);
  const sites: BatchSizeSite[] = [];
  for (const e of entries) {
    if (!isBatchSizeKey(e.key) || !e.isScalar || e.scalar === null || typeof e.scalar === 'boolean') continue;
    // `batch` is too common a word; only Ultralytics' integer form counts.
    if (e.key === 'batch' && !(typeof e.scalar === 'number' && Number.isInteger(e.scalar))) continue;
    const lr = pairLearningRate(e, lrs);
    sites.push({ batchSize: toKeyMatch(e, index), ...(lr ? { learningRate: toKeyMatch(lr, index) } : {}) });
  }
  return sites.sort((a, b) => a.batchSize.keyOffset - b.batchSize.keyOffset);
}

/**
 * The parsed tree of a YAML or JSON text, tolerant of syntax errors (the editor shows those
 * elsewhere); a text beyond the size or nesting limits (limits.ts) throws InputLimitError.
 */
export function sourceTreeOf(text: string, format: 'yaml' | 'json'): SourceNode | null {
  if (format === 'yaml') return yamlRoot(parseYamlBounded(text, { keepSourceTokens: true, uniqueKeys: false }));
  const limit = jsonLimitError(text);
  if (limit) throw limit;
  return fromJson(parseTree(text, [], { allowTrailingComma: true, disallowComments: false }));
}

/** What the finders return for a text beyond the limits: nothing (views show nothing; they must not fail). */
function withinLimits<T>(text: string, find: () => T[]): T[] {
  if (sizeLimitError(text.length)) return [];
  try {
    return find();
  } catch (e) {
    if (e instanceof InputLimitError) return [];
    throw e;
  }
}

/**
 * Batch-size keys in a YAML, JSON/JSONC, TOML or Python text, each with the learning-rate key
 * next to it when there is one, ordered by position. Comments and strings never match. A file
 * beyond the size or nesting limits has none.
 */
export function findBatchSizeSites(text: string, formatOrFileName: FormatOrFileName): BatchSizeSite[] {
  return withinLimits(text, () => {
    const format = resolveFormat(formatOrFileName, text);
    if (format === 'python') return pythonSites(text);
    if (format === 'toml') return sitesFromEntries(tomlEntries(text), text);
    return sitesFromEntries(flattenTree(sourceTreeOf(text, format)), text);
  });
}

/** A key bound to a value in any format, with what groups it with its neighbours. */
export interface ConfigValue {
  /** The key normalized (`--num-nodes` -> `num_nodes`). */
  name: string;
  match: KeyMatch;
  /** The value: a number, string, boolean or null; undefined for a mapping or list (see `match` for its text). */
  literal: unknown;
  /** Keys with the same group sit in one mapping, one call or one argparse parser. */
  group: string;
  /** The mapping's own key (`trainer` for trainer.devices) or the function a keyword goes to (`Trainer`). */
  section?: string;
  /** Nesting depth: 1 at the top level. */
  depth: number;
}

/** Every key = value of a YAML/JSON/TOML text; in Python the literals bound to names `wanted` accepts. None beyond the limits. */
export function configValues(text: string, formatOrFileName: FormatOrFileName, wanted: (name: string) => boolean): ConfigValue[] {
  return withinLimits(text, () => valuesOf(text, formatOrFileName, wanted));
}

function valuesOf(text: string, formatOrFileName: FormatOrFileName, wanted: (name: string) => boolean): ConfigValue[] {
  const format = resolveFormat(formatOrFileName, text);
  const index = new LineIndex(text);
  if (format === 'python')
    return pythonValues(text, wanted).map((v) => ({
      name: normalizeName(v.name),
      match: v.match,
      literal: v.literal,
      group: v.group,
      ...(v.callee ? { section: v.callee } : {}),
      depth: v.match.path.length,
    }));
  const entries = format === 'toml' ? tomlEntries(text) : flattenTree(sourceTreeOf(text, format));
  return entries.map((e) => ({
    name: e.key,
    match: toKeyMatch(e, index),
    literal: e.isScalar ? e.scalar : undefined,
    group: `map:${e.path.slice(0, -1).join('\u0000')}`,
    ...(e.path.length > 1 ? { section: e.path[e.path.length - 2] } : {}),
    depth: e.path.length,
  }));
}
