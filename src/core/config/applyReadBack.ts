// Apply's read-back: the edited text is read again and compared with the original, and a change
// to anything Apply does not write refuses the whole edit. A study file is untrusted input (it may
// be crafted, or come with someone else's repository), so what may change is fixed here, not by the
// study: the keys of the file's own global-batch family and the learning rate beside them, found
// in the file (or added beside them where the family needs one), and in our own format
// `optimizer.learning_rate` and `batch_schedule`. YAML and JSON are compared as real parsers read
// them (the `yaml` package, jsonc-parser), TOML key by key (its values as written); a Python
// script is checked by the ranges the edits touch, since no parser here reads it as Python does.
import { parse as parseYaml } from 'yaml';
import { parse as parseJsonc, type ParseError } from 'jsonc-parser';
import type { ConfigFormat, KeyMatch, TextEdit } from './types';
import { flattenTree, sourceTreeOf, type FlatEntry } from './sites';
import { tomlEntries } from './toml';
import { BATCH_SIZE_KEYS, GLOBAL_BATCH_KEYS, LEARNING_RATE_KEYS, normalizeName } from './keyNames';
import { isObj } from '../guards';

/** The key names Apply may ever write: batch sizes, their accumulation, learning rates, our batch_schedule (never devices or nodes). */
export const APPLY_WRITABLE_KEYS: ReadonlySet<string> = new Set<string>([
  ...BATCH_SIZE_KEYS,
  ...LEARNING_RATE_KEYS,
  ...Object.values(GLOBAL_BATCH_KEYS).flatMap((f) => ['global' in f ? f.global : '', 'micro' in f ? f.micro : '', f.accumulation].filter(Boolean)),
  'batch_schedule',
]);

/** In Batch Tuner's own format only: where the built-in trainer reads the learning rate, and the plan's schedule (whole). */
export const OUR_WRITABLE_PATHS: ReadonlyArray<readonly string[]> = [['optimizer', 'learning_rate'], ['batch_schedule']];

export interface WritablePaths {
  /** The keys this edit writes, at their exact paths: the family's batch keys and the learning rate, before and after. */
  paths: ReadonlyArray<readonly string[]>;
  /** The file is our own training format (OUR_WRITABLE_PATHS apply). */
  ours: boolean;
}

const startsWith = (path: readonly string[], prefix: readonly string[]) => prefix.length <= path.length && prefix.every((k, i) => k === path[i]);

/** True for a written key's path or anything inside its value; a path's last key must be a writable name. */
export function isWritablePath(path: readonly string[], w: WritablePaths): boolean {
  if (w.ours && OUR_WRITABLE_PATHS.some((p) => startsWith(path, p))) return true;
  return w.paths.some((p) => p.length > 0 && APPLY_WRITABLE_KEYS.has(normalizeName(p[p.length - 1])) && startsWith(path, p));
}

/** The first key path outside the writable ones whose value differs between the two texts (YAML/JSON/TOML), else undefined. */
export function strayChange(before: string, after: string, format: 'yaml' | 'json' | 'toml', w: WritablePaths): string | undefined {
  if (format !== 'toml') {
    const a = parsed(before, format);
    if (a.ok) {
      const b = parsed(after, format);
      return b.ok ? firstDifference(a.value, b.value, [], w) : `the document's ${format.toUpperCase()} syntax`;
    }
  }
  // TOML, or text a real parser cannot read as a whole: compared key by key, values as written.
  return changedEntry(before, after, format, w);
}

function parsed(text: string, format: 'yaml' | 'json'): { ok: true; value: unknown } | { ok: false } {
  if (format === 'json') {
    const errors: ParseError[] = [];
    const value: unknown = parseJsonc(text, errors, { allowTrailingComma: true });
    return errors.length === 0 ? { ok: true, value } : { ok: false };
  }
  try {
    return { ok: true, value: parseYaml(text, { uniqueKeys: false }) as unknown };
  } catch {
    return { ok: false };
  }
}

function firstDifference(a: unknown, b: unknown, path: string[], w: WritablePaths): string | undefined {
  if (path.length > 0 && isWritablePath(path, w)) return undefined;
  // A mapping that is new on one side is compared key by key against nothing (optimizer: {learning_rate} added).
  if ((isObj(a) || a === undefined) && (isObj(b) || b === undefined) && (isObj(a) || isObj(b))) {
    const x = a ?? {};
    const y = b ?? {};
    for (const k of new Set([...Object.keys(x), ...Object.keys(y)])) {
      const d = firstDifference(x[k], y[k], [...path, k], w);
      if (d) return d;
    }
    return undefined;
  }
  if (Array.isArray(a) && Array.isArray(b) && a.length === b.length) {
    for (let i = 0; i < a.length; i++) {
      const d = firstDifference(a[i], b[i], [...path, String(i)], w);
      if (d) return d;
    }
    return undefined;
  }
  return Object.is(a, b) ? undefined : path.join('.') || '(the whole document)';
}

function changedEntry(before: string, after: string, format: 'yaml' | 'json' | 'toml', w: WritablePaths): string | undefined {
  const entries = (t: string): FlatEntry[] => (format === 'toml' ? tomlEntries(t) : flattenTree(sourceTreeOf(t, format)));
  const index = (t: string) => new Map(entries(t).map((e) => [e.path.join('\u0000'), t.slice(e.valueStart, e.valueEnd).trim()]));
  const a = index(before);
  const b = index(after);
  const keys = new Set([...a.keys(), ...b.keys()]);
  // A table or mapping holding a written key changes with it: its own keys are compared one by one.
  const holdsWritable = (key: string) => [...keys].some((k) => k.startsWith(key + '\u0000') && isWritablePath(k.split('\u0000'), w));
  for (const key of keys) {
    const path = key.split('\u0000');
    if (isWritablePath(path, w)) continue;
    if (a.has(key) !== b.has(key)) return path.join('.');
    if (a.get(key) !== b.get(key) && !holdsWritable(key)) return path.join('.');
  }
  return undefined;
}

const NUMBER = String.raw`[0-9][0-9_]*(?:\.[0-9_]*)?(?:[eE][+-]?[0-9]+)?`;
/** A keyword argument or dict entry added beside a key (globalBatchEdit.ts's siblingEdit): `, key=4` or `, "key": 4`. */
const ADDED_ARGUMENT = new RegExp(String.raw`^, ?(["']?)([A-Za-z_]\w*)\1 ?[=:] ?${NUMBER}$`);
const VALUE = new RegExp(String.raw`^(["']?)${NUMBER}\1$`);

/**
 * Python: the first edit that is not a number written over one of `sites`' values, nor a writable
 * keyword added right after one, described by its line; else undefined.
 */
export function strayPythonEdit(text: string, edits: readonly TextEdit[], sites: readonly KeyMatch[]): string | undefined {
  for (const e of edits) {
    const over = sites.some((s) => e.offset === s.valueOffset && e.length === s.valueLength && VALUE.test(e.newText));
    const added = e.length === 0 && sites.some((s) => e.offset === s.valueOffset + s.valueLength) && ADDED_ARGUMENT.exec(e.newText);
    if (over || (added && APPLY_WRITABLE_KEYS.has(normalizeName(added[2])))) continue;
    const line = text.slice(0, e.offset).split('\n').length;
    return `line ${line} (${JSON.stringify(text.slice(e.offset, e.offset + e.length))} -> ${JSON.stringify(e.newText)})`;
  }
  return undefined;
}

/** The format's read-back: a stray change described, or undefined when only writable keys changed. */
export function readBackProblem(
  format: ConfigFormat,
  before: string,
  after: string,
  edits: readonly TextEdit[],
  w: WritablePaths,
  sites: readonly KeyMatch[],
): string | undefined {
  return format === 'python' ? strayPythonEdit(before, edits, sites) : strayChange(before, after, format, w);
}
