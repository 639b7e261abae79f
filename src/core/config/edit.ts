// Writing values back into configs and scripts: only the value's characters change, so
// comments, quoting, key order and formatting survive; missing keys are inserted into the
// right mapping in the file's own indentation style. Edits are offsets into the original
// text, so VS Code can apply them as one undoable WorkspaceEdit.
import type { BatchSizeSite, FormatOrFileName, KeyMatch, TextEdit } from './types';
import { resolveFormat } from './format';
import { formatConfigNumber } from './numberFormat';
import { findBatchSizeSites, sourceTreeOf } from './sites';
import { locate, type SourceNode } from './sourceTree';
import { batchSizeKeyRank, BATCH_SIZE_KEYS } from './keyNames';
import { writeValueProblem } from './writeValues';
import { yamlScalar, yamlFlow, yamlKey, yamlLines, jsonValue } from './valueText';
import { isObj } from '../guards';

export type ConfigChange = { site: KeyMatch; value: number } | { path: string[]; value: unknown };

type Patch = { leaf: true; value: unknown } | { leaf: false; children: Map<string, Patch> };

/** Applies edits (offsets into `text`, non-overlapping) from the end backwards; insertions at
 *  one offset land in list order. */
export function applyTextEdits(text: string, edits: TextEdit[]): string {
  const ordered = edits.map((e, i) => ({ e, i })).sort((a, b) => a.e.offset - b.e.offset || a.i - b.i);
  let out = text;
  for (let k = ordered.length - 1; k >= 0; k--) {
    const { e } = ordered[k];
    out = out.slice(0, e.offset) + e.newText + out.slice(e.offset + e.length);
  }
  return out;
}

function siteEdit(text: string, site: KeyMatch, value: number): TextEdit {
  const old = text.slice(site.valueOffset, site.valueOffset + site.valueLength);
  const q = old[0];
  // A quoted number stays quoted: the file's author chose a string on purpose.
  const quoted = (q === '"' || q === "'") && old.length >= 2 && old.endsWith(q);
  const n = formatConfigNumber(value);
  return { offset: site.valueOffset, length: site.valueLength, newText: quoted ? `${q}${n}${q}` : n };
}

// ---------------------------------------------------------------------------------------------
// Layout of the file: indentation unit and line helpers.

function lineStartOf(text: string, offset: number): number {
  return text.lastIndexOf('\n', offset - 1) + 1;
}
function columnOf(text: string, offset: number): number {
  return offset - lineStartOf(text, offset);
}
function lineEndOf(text: string, offset: number): number {
  const nl = text.indexOf('\n', offset);
  return nl < 0 ? text.length : nl;
}
/** The indentation of the line holding `offset`. */
function leadingWhitespace(text: string, offset: number): string {
  return /^[ \t]*/.exec(text.slice(lineStartOf(text, offset)))?.[0] ?? '';
}
function isFirstOnLine(text: string, offset: number): boolean {
  return text.slice(lineStartOf(text, offset), offset).trim() === '';
}
/** Indentation for a sibling of the key at `offset` (a key after `- ` is indented by its column). */
function keyIndentOf(text: string, offset: number): string {
  return isFirstOnLine(text, offset) ? leadingWhitespace(text, offset) : ' '.repeat(columnOf(text, offset));
}
function eolOf(text: string): string {
  return text.includes('\r\n') ? '\r\n' : '\n';
}

/** The file's indentation step: the smallest positive indent difference between nesting levels. */
function indentUnit(text: string, root: SourceNode | null): string {
  if (/^\t/m.test(text) && !/^ /m.test(text)) return '\t';
  let unit = Infinity;
  const walk = (n: SourceNode | null, parentCol: number) => {
    if (!n || n.kind !== 'map') return;
    for (const e of n.entries ?? []) {
      const col = columnOf(text, e.keyStart);
      const ownLine = text.slice(lineStartOf(text, e.keyStart), e.keyStart).trim() === '';
      if (ownLine && parentCol >= 0 && col > parentCol) unit = Math.min(unit, col - parentCol);
      walk(e.value, ownLine ? col : parentCol);
    }
  };
  walk(root, -1);
  return ' '.repeat(Number.isFinite(unit) ? unit : 2);
}

// ---------------------------------------------------------------------------------------------
// Serializing new values.

function buildPatch(changes: Array<{ path: string[]; value: unknown }>): Map<string, Patch> {
  const root = new Map<string, Patch>();
  for (const c of changes) {
    if (c.path.length === 0) throw new Error('a config change needs a non-empty key path, e.g. ["optimizer", "learning_rate"]');
    let level = root;
    c.path.forEach((key, i) => {
      if (i === c.path.length - 1) {
        level.set(key, { leaf: true, value: c.value });
        return;
      }
      let next = level.get(key);
      if (!next || next.leaf) {
        next = { leaf: false, children: new Map() };
        level.set(key, next);
      }
      level = next.children;
    });
  }
  return root;
}

/** A patch as a plain value (for inserting a whole missing subtree). */
function patchValue(p: Patch): unknown {
  return p.leaf ? p.value : Object.fromEntries([...p.children].map(([k, c]) => [k, patchValue(c)]));
}

interface EditContext {
  text: string;
  format: 'yaml' | 'json';
  unit: string;
  eol: string;
  edits: TextEdit[];
}

/** Children to apply to an existing mapping; leaf objects on maps are merged key by key. */
function applyToMap(ctx: EditContext, map: SourceNode, children: Map<string, Patch>, replaceWhole: boolean): void {
  const missing: Array<[string, unknown]> = [];
  for (const [key, patch] of children) {
    const found = locate(map, [key]);
    if (!found?.entry) {
      missing.push([key, patchValue(patch)]);
      continue;
    }
    applyToEntry(ctx, found.entry.keyEnd, found.entry.keyStart, found.node, patch);
  }
  if (replaceWhole) {
    const stale = (map.entries ?? []).filter((e) => !children.has(e.key));
    for (const e of stale) removeEntry(ctx, map, e.key);
  }
  if (missing.length) insertIntoMap(ctx, map, missing);
}

function applyToEntry(ctx: EditContext, keyEnd: number, keyStart: number, node: SourceNode | null, patch: Patch): void {
  const { text } = ctx;
  if (!patch.leaf) {
    if (node?.kind === 'map') return applyToMap(ctx, node, patch.children, false);
    if (node?.kind === 'seq') return applyToSeq(ctx, node, patch.children);
    return replaceValue(ctx, keyStart, keyEnd, node, patchValue(patch));
  }
  const v = patch.value;
  if (isObj(v) && node?.kind === 'map' && Object.keys(v).length > 0) {
    // An undefined member means "no such key": it is removed like any key the new value lacks.
    const children = new Map<string, Patch>(
      Object.entries(v)
        .filter(([, x]) => x !== undefined)
        .map(([k, x]) => [k, { leaf: true, value: x }]),
    );
    const stale = (node.entries ?? []).some((e) => !children.has(e.key));
    // Removing keys from a JSON object or a YAML flow mapping means juggling commas: rewrite it whole.
    if (stale && (ctx.format === 'json' || node.flow))
      return replaceValue(ctx, keyStart, keyEnd, node, Object.fromEntries([...children].map(([k, p]) => [k, patchValue(p)])));
    return applyToMap(ctx, node, children, true);
  }
  if (node?.kind === 'scalar' && !isObj(v) && !Array.isArray(v) && node.end > node.start) {
    const old = text.slice(node.start, node.end);
    const q = old[0];
    const keepQuotes = typeof v === 'number' && (q === '"' || q === "'") && ctx.format === 'yaml';
    const body = ctx.format === 'json' ? jsonValue(v, '', ctx.unit, ctx.eol, false) : yamlScalar(v);
    ctx.edits.push({ offset: node.start, length: node.end - node.start, newText: keepQuotes ? `${q}${body}${q}` : body });
    return;
  }
  replaceValue(ctx, keyStart, keyEnd, node, v);
}

/** Changes inside existing list items (`runs.0.lr`); lists are not grown. */
function applyToSeq(ctx: EditContext, seq: SourceNode, children: Map<string, Patch>): void {
  for (const [key, patch] of children) {
    const item = /^\d+$/.test(key) ? seq.items?.[Number(key)] : undefined;
    if (!item) throw new Error(`list index ${key} does not exist (the list has ${seq.items?.length ?? 0} items); only existing items can be edited`);
    if (!patch.leaf && item.kind === 'map') applyToMap(ctx, item, patch.children, false);
    else if (!patch.leaf && item.kind === 'seq') applyToSeq(ctx, item, patch.children);
    else if (patch.leaf && item.kind === 'scalar' && !isObj(patch.value) && !Array.isArray(patch.value)) {
      const body = ctx.format === 'json' ? jsonValue(patch.value, '', ctx.unit, ctx.eol, false) : yamlScalar(patch.value);
      ctx.edits.push({ offset: item.start, length: item.end - item.start, newText: body });
    } else throw new Error(`cannot replace list item ${key} of a list with a ${patch.leaf ? 'new value' : 'mapping'} in place; write the whole list instead`);
  }
}

/** Replaces the whole value after `key:` (or inserts one after an empty `key:`). */
function replaceValue(ctx: EditContext, keyStart: number, keyEnd: number, node: SourceNode | null, v: unknown): void {
  const { text, unit, eol } = ctx;
  const keyIndent = keyIndentOf(text, keyStart);
  if (ctx.format === 'json') {
    if (!node) throw new Error('cannot edit a JSON key without a value; fix the JSON syntax first');
    const multiline = isFirstOnLine(text, keyStart);
    ctx.edits.push({ offset: node.start, length: node.end - node.start, newText: jsonValue(v, keyIndent, unit, eol, multiline) });
    return;
  }
  const colon = text.indexOf(':', keyEnd);
  const from = colon + 1;
  const to = node && node.end > node.start && node.start >= from ? node.end : from;
  const newText = isObj(v) && Object.keys(v).length > 0 ? eol + yamlLines(v, keyIndent + unit, unit, eol).join(eol) : ` ${yamlFlow(v)}`;
  // Keep a trailing newline that a block value's range swallowed.
  const oldText = text.slice(from, to);
  const trailing = oldText.slice(trailingNewlinesStart(oldText));
  ctx.edits.push({ offset: from, length: to - from, newText: newText + trailing });
}

function removeEntry(ctx: EditContext, map: SourceNode, key: string): void {
  const { text } = ctx;
  const entry = (map.entries ?? []).find((e) => e.key === key);
  if (!entry) return;
  const start = lineStartOf(text, entry.keyStart);
  const valueEnd = entry.value ? Math.max(entry.value.end, entry.keyEnd) : entry.keyEnd;
  const end = Math.min(text.length, lineEndOf(text, Math.max(valueEnd - 1, entry.keyEnd)) + 1);
  ctx.edits.push({ offset: start, length: end - start, newText: '' });
}

function insertIntoMap(ctx: EditContext, map: SourceNode, entries: Array<[string, unknown]>): void {
  const { text, unit, eol } = ctx;
  const existing = map.entries ?? [];
  const last = existing[existing.length - 1];
  if (ctx.format === 'json') {
    // An empty object is opened up onto lines; otherwise follow how its last member is laid out.
    const multiline = last ? isFirstOnLine(text, last.keyStart) : true;
    const indent = last ? leadingWhitespace(text, last.keyStart) : leadingWhitespace(text, map.start) + unit;
    const props = entries.map(([k, v]) => `${JSON.stringify(k)}: ${jsonValue(v, indent, unit, eol, multiline)}`);
    if (!last) {
      const body = `${eol}${props.map((p) => indent + p).join(`,${eol}`)}${eol}${leadingWhitespace(text, map.start)}`;
      ctx.edits.push({ offset: map.start + 1, length: map.end - 1 - (map.start + 1), newText: body });
      return;
    }
    const lastEnd = last.value ? last.value.end : last.keyEnd;
    if (!multiline) {
      ctx.edits.push({ offset: lastEnd, length: 0, newText: props.map((p) => `, ${p}`).join('') });
      return;
    }
    const added = props.map((p) => `${eol}${indent}${p}`).join(',');
    const rest = text.slice(lastEnd, lineEndOf(text, lastEnd)).replace(/\r$/, '');
    if (/^\s*\/\/.*$/.test(rest)) {
      // A line comment after the last value stays on its line: comma after the value, new members after the comment.
      ctx.edits.push({ offset: lastEnd, length: 0, newText: ',' });
      ctx.edits.push({ offset: lastEnd + rest.length, length: 0, newText: added });
    } else ctx.edits.push({ offset: lastEnd, length: 0, newText: `,${added}` });
    return;
  }
  // YAML
  if (map.flow) {
    const close = text.lastIndexOf('}', map.end);
    const sep = existing.length ? ', ' : '';
    ctx.edits.push({
      offset: close,
      length: 0,
      newText: sep + entries.map(([k, v]) => `${yamlKey(k)}: ${yamlFlow(v)}`).join(', ') + (existing.length ? '' : ' '),
    });
    return;
  }
  const indent = last ? keyIndentOf(text, existing[0].keyStart) : '';
  const lines = yamlLines(Object.fromEntries(entries), indent, unit, eol);
  if (!last) {
    const atEnd = text.length;
    const sep = atEnd > 0 && !text.endsWith('\n') ? eol : '';
    ctx.edits.push({ offset: atEnd, length: 0, newText: sep + lines.join(eol) + eol });
    return;
  }
  const lastEnd = last.value && last.value.end > last.keyEnd ? last.value.end : last.keyEnd;
  const nl = text.indexOf('\n', Math.max(lastEnd - 1, last.keyEnd));
  if (nl < 0) ctx.edits.push({ offset: text.length, length: 0, newText: eol + lines.join(eol) });
  else ctx.edits.push({ offset: nl + 1, length: 0, newText: lines.join(eol) + eol });
}

function pathEdits(text: string, format: 'yaml' | 'json', changes: Array<{ path: string[]; value: unknown }>): TextEdit[] {
  const root = sourceTreeOf(text, format);
  const ctx: EditContext = { text, format, unit: indentUnit(text, root), eol: eolOf(text), edits: [] };
  const patch = buildPatch(changes);
  if (!root || root.kind !== 'map') {
    if (format === 'json' && text.trim() === '') {
      ctx.edits.push({
        offset: 0,
        length: text.length,
        newText: jsonValue(patchValue({ leaf: false, children: patch }), '', ctx.unit, ctx.eol, true) + ctx.eol,
      });
      return ctx.edits;
    }
    if (format === 'yaml' && (text.trim() === '' || !root)) {
      insertIntoMap(
        ctx,
        { kind: 'map', start: text.length, end: text.length, flow: false, entries: [] },
        [...patch].map(([k, p]) => [k, patchValue(p)]),
      );
      return ctx.edits;
    }
    throw new Error('the document is not a mapping of keys, so keys cannot be added to it');
  }
  applyToMap(ctx, root, patch, false);
  return ctx.edits;
}

/**
 * Replaces values in place (sites from findBatchSizeSites, or key paths in YAML/JSON which are
 * inserted when missing). Returns the new text and the minimal edits against the original.
 */
export function applyConfigEdits(text: string, formatOrFileName: FormatOrFileName, changes: ConfigChange[]): { text: string; edits: TextEdit[] } {
  const format = resolveFormat(formatOrFileName, text);
  const edits: TextEdit[] = [];
  const pathChanges: Array<{ path: string[]; value: unknown }> = [];
  for (const c of changes) {
    if ('site' in c) edits.push(siteEdit(text, c.site, c.value));
    else pathChanges.push(c);
  }
  if (pathChanges.length) {
    if (format !== 'yaml' && format !== 'json')
      throw new Error(
        `cannot add keys to a ${format} file by path (${pathChanges.map((c) => c.path.join('.')).join(', ')}); only existing keys found by findBatchSizeSites can be edited there`,
      );
    edits.push(...pathEdits(text, format, pathChanges));
  }
  edits.sort((a, b) => a.offset - b.offset);
  for (let i = 1; i < edits.length; i++)
    if (edits[i].offset < edits[i - 1].offset + edits[i - 1].length) throw new Error('two changes touch the same place in the config; give each key once');
  // Insertions at one offset become one edit, so their order cannot depend on the editor.
  const merged: TextEdit[] = [];
  for (const e of edits) {
    const prev = merged[merged.length - 1];
    if (prev && prev.length === 0 && e.length === 0 && prev.offset === e.offset) prev.newText += e.newText;
    else merged.push({ ...e });
  }
  return { text: applyTextEdits(text, merged), edits: merged };
}

/** The values every writer of a batch size checks first (./writeValues.ts): throws when one cannot be written. */
export function checkBatchValues(batchSize: unknown, learningRate?: unknown): void {
  const problem = writeValueProblem({ batchSize, learningRate });
  if (problem) throw new Error(problem);
}

/** The batch-size site a tool should edit: the shallowest, then the most specific key name. */
export function primaryBatchSizeSite(sites: BatchSizeSite[]): BatchSizeSite | undefined {
  return [...sites].sort(
    (a, b) =>
      a.batchSize.path.length - b.batchSize.path.length ||
      batchSizeKeyRank(a.batchSize.key) - batchSizeKeyRank(b.batchSize.key) ||
      a.batchSize.keyOffset - b.batchSize.keyOffset,
  )[0];
}

/**
 * The text with its primary batch size (and the learning rate next to it, or our format's
 * optimizer.learning_rate) set: how an external script's config copy is written for a trial.
 */
export function withBatchSize(text: string, formatOrFileName: FormatOrFileName, batchSize: number, learningRate?: number): string {
  checkBatchValues(batchSize, learningRate);
  const format = resolveFormat(formatOrFileName, text);
  const site = primaryBatchSizeSite(findBatchSizeSites(text, format));
  if (!site) {
    const where = format === formatOrFileName ? `this ${format} text` : formatOrFileName;
    throw new Error(
      `no batch-size key found in ${where}: looked for ${BATCH_SIZE_KEYS.join(', ')} (and argparse --batch-size in Python); add one, or pass \${batch_size} on tuner.command instead of \${config}`,
    );
  }
  const changes: ConfigChange[] = [{ site: site.batchSize, value: batchSize }];
  if (learningRate !== undefined) {
    if (site.learningRate) changes.push({ site: site.learningRate, value: learningRate });
    else if ((format === 'yaml' || format === 'json') && site.batchSize.path.length === 1) {
      const root = sourceTreeOf(text, format);
      const ours = locate(root, ['optimizer'])?.node?.kind === 'map' || (locate(root, ['model']) && locate(root, ['data']));
      if (ours) changes.push({ path: ['optimizer', 'learning_rate'], value: learningRate });
    }
  }
  return applyConfigEdits(text, format, changes).text;
}

/** Where the run of line breaks at the end of `s` starts (s.length: none); a backwards scan, linear where /(\r?\n)+$/ is quadratic. */
function trailingNewlinesStart(s: string): number {
  let i = s.length;
  while (i > 0 && s[i - 1] === '\n') i -= s[i - 2] === '\r' ? 2 : 1;
  return i;
}
