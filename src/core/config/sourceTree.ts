// One shape for the YAML and JSON syntax trees: mappings, sequences and scalars with their
// exact source ranges, so diagnostics, the key finder and the editor share one walker.
import { isAlias, isMap, isPair, isScalar, isSeq, type Document, type Node as YamlNode } from 'yaml';
import type { Node as JsonNode } from 'jsonc-parser';
import { InputLimitError, MAX_CONFIG_NESTING } from './limits';

export interface SourceEntry {
  key: string;
  keyStart: number;
  keyEnd: number;
  /** null for `key:` with nothing after it. */
  value: SourceNode | null;
}

export interface SourceNode {
  kind: 'map' | 'seq' | 'scalar';
  /** Range of the value itself (without trailing comments). */
  start: number;
  end: number;
  /** Flow style (`{a: 1}` / `[1, 2]`) in YAML; always true in JSON. */
  flow: boolean;
  /** Scalars: the parsed value (number, string, boolean, null). */
  value?: unknown;
  /** YAML scalars: PLAIN, QUOTE_DOUBLE, ... (JSON strings are 'QUOTE_DOUBLE'). */
  scalarType?: string;
  entries?: SourceEntry[];
  items?: SourceNode[];
}

/** One level deeper; past the limit an error, never a stack overflow (callers check the text first: limits.ts). */
function deeper(depth: number, offset: number): number {
  if (depth >= MAX_CONFIG_NESTING) throw new InputLimitError(`nested deeper than ${MAX_CONFIG_NESTING} levels here; flatten this value`, offset, 1);
  return depth + 1;
}

export function fromYaml(node: unknown, depth = 0): SourceNode | null {
  if (node === null || node === undefined) return null;
  if (isAlias(node)) {
    const r = (node as YamlNode).range ?? [0, 0, 0];
    return { kind: 'scalar', start: r[0], end: r[1], flow: false, value: undefined, scalarType: 'ALIAS' };
  }
  if (isMap(node)) {
    const r = node.range ?? [0, 0, 0];
    const inner = deeper(depth, r[0]);
    const entries: SourceEntry[] = [];
    for (const pair of node.items) {
      if (!isPair(pair)) continue;
      const k = pair.key;
      if (!isScalar(k) || !k.range) continue;
      entries.push({ key: String(k.value), keyStart: k.range[0], keyEnd: k.range[1], value: fromYaml(pair.value, inner) });
    }
    return { kind: 'map', start: r[0], end: r[1], flow: Boolean(node.flow), entries };
  }
  if (isSeq(node)) {
    const r = node.range ?? [0, 0, 0];
    const inner = deeper(depth, r[0]);
    const items = node.items.map((i) => fromYaml(i, inner)).filter((n): n is SourceNode => n !== null);
    return { kind: 'seq', start: r[0], end: r[1], flow: Boolean(node.flow), items };
  }
  if (isScalar(node)) {
    const r = node.range ?? [0, 0, 0];
    return { kind: 'scalar', start: r[0], end: r[1], flow: false, value: node.value, scalarType: node.type };
  }
  return null;
}

export function yamlRoot(doc: Document): SourceNode | null {
  return fromYaml(doc.contents);
}

export function fromJson(node: JsonNode | undefined, depth = 0): SourceNode | null {
  if (!node) return null;
  const start = node.offset;
  const end = node.offset + node.length;
  const inner = node.type === 'object' || node.type === 'array' ? deeper(depth, start) : depth;
  if (node.type === 'object') {
    const entries: SourceEntry[] = [];
    for (const prop of node.children ?? []) {
      const [k, v] = prop.children ?? [];
      if (!k) continue;
      entries.push({ key: String(k.value), keyStart: k.offset, keyEnd: k.offset + k.length, value: fromJson(v, inner) });
    }
    return { kind: 'map', start, end, flow: true, entries };
  }
  if (node.type === 'array') {
    const items = (node.children ?? []).map((c) => fromJson(c, inner)).filter((n): n is SourceNode => n !== null);
    return { kind: 'seq', start, end, flow: true, items };
  }
  return { kind: 'scalar', start, end, flow: true, value: node.value, scalarType: node.type === 'string' ? 'QUOTE_DOUBLE' : 'PLAIN' };
}

export interface Located {
  node: SourceNode | null;
  /** The entry holding the node, when it is a mapping value. */
  entry?: SourceEntry;
}

/** Each mapping's last entry per key (as YAML/JSON loaders keep it), built once: a config with
 *  thousands of problems looks keys up thousands of times. */
const entryIndex = new WeakMap<SourceNode, Map<string, SourceEntry>>();
function entryOf(map: SourceNode, key: string): SourceEntry | undefined {
  let index = entryIndex.get(map);
  if (!index) {
    index = new Map((map.entries ?? []).map((e) => [e.key, e]));
    entryIndex.set(map, index);
  }
  return index.get(key);
}

/** Follows a path of keys / indices from the root; undefined when a step is missing. */
export function locate(root: SourceNode | null, path: ReadonlyArray<string | number>): Located | undefined {
  let cur: Located = { node: root };
  for (const step of path) {
    const n = cur.node;
    if (!n) return undefined;
    if (n.kind === 'map') {
      const entry = entryOf(n, String(step));
      if (!entry) return undefined;
      cur = { node: entry.value, entry };
    } else if (n.kind === 'seq') {
      const item = n.items?.[Number(step)];
      if (!item) return undefined;
      cur = { node: item };
    } else return undefined;
  }
  return cur;
}

/** JSON Pointer (`/model/hidden/0`, as ajv's instancePath) -> path segments. */
export function pointerToPath(pointer: string): string[] {
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}
