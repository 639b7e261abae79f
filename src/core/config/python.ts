// Batch-size sites in Python training scripts: keyword arguments (`DataLoader(ds, batch_size=32)`),
// argparse defaults (`add_argument('--batch-size', type=int, default=32)`) and simple
// assignments (`BATCH_SIZE = 32`, `config.batch_size = 32`, `batch_size: int = 32`).
// Only literals count (numbers; string literals too for the global-batch reader's "auto"): the
// tokenizer keeps comments, strings and docstrings out.
import type { BatchSizeSite, KeyMatch } from './types';
import { LineIndex } from './diagnostics';
import { isBatchSizeName, isLearningRateName } from './keyNames';
import { pythonNumber, pythonStringContent, tokenizePython, type PyToken } from './pythonTokens';

/** A name bound to a literal in a Python script: a keyword argument, argparse default, dict entry or assignment. */
export interface PythonValue {
  match: KeyMatch;
  /** The name `wanted` accepted: the key, or for argparse the option that matched (`-b` of `-b/--train-bs`). */
  name: string;
  /** What pairs keys that belong together: the call, the argparse parser, the dict or the scope. */
  group: string;
  /** The last part of an assignment target's prefix (`config` in `config.batch_size`). */
  owner?: string;
  /** The function a keyword argument is passed to (`Trainer` in `Trainer(devices=2)`). */
  callee?: string;
  /** The literal: a number, or the content of a string literal. */
  literal: number | string;
}

function keyMatch(index: LineIndex, key: string, path: string[], keyTok: { start: number; end: number }, valueTok: PyToken): KeyMatch {
  const pos = index.position(keyTok.start);
  return {
    key,
    path,
    value: pythonNumber(valueTok.text),
    keyOffset: keyTok.start,
    keyLength: keyTok.end - keyTok.start,
    valueOffset: valueTok.start,
    valueLength: valueTok.end - valueTok.start,
    line: pos.line,
    character: pos.character,
  };
}

/**
 * How brackets nest, computed once with a stack (scanning for them per token was quadratic in a
 * call with thousands of arguments): for each token the bracket that encloses it (-1: none), and
 * for each opening bracket its direct children (closers of nested brackets included).
 */
interface Brackets {
  enclosing: Int32Array;
  children: Map<number, number[]>;
}

function bracketsOf(tokens: PyToken[]): Brackets {
  const enclosing = new Int32Array(tokens.length).fill(-1);
  const children = new Map<number, number[]>();
  const stack: number[] = [];
  tokens.forEach((t, i) => {
    const isOp = t.kind === 'op';
    if (isOp && /^[)\]}]$/.test(t.text)) stack.pop();
    const parent = stack.length > 0 ? stack[stack.length - 1] : -1;
    enclosing[i] = parent;
    if (parent >= 0) {
      const list = children.get(parent);
      if (list) list.push(i);
      else children.set(parent, [i]);
    }
    if (isOp && /^[([{]$/.test(t.text)) stack.push(i);
  });
  return { enclosing, children };
}

/** Index of the bracket `open` (one level up) that encloses tokens[i]; -1 when it is another bracket. */
function enclosingOpen(tokens: PyToken[], b: Brackets, i: number, open: '(' | '{'): number {
  const j = b.enclosing[i];
  return j >= 0 && tokens[j].text === open ? j : -1;
}

/** The group of an assignment: its scope's dotted name (built only for a match: scopes can be deep). */
const scopeIdOf = (scopes: ReadonlyArray<{ name: string }>) => `scope:${scopes.map((s) => s.name).join('.')}`;

const isEnd = (t: PyToken | undefined) => !t || t.kind === 'newline' || t.kind === 'comment' || (t.kind === 'op' && t.text === ';');

// Plain string literals only: a docstring or an f-string is not a setting's value.
const isLiteral = (t: PyToken | undefined): t is PyToken =>
  t?.kind === 'number' || (t?.kind === 'string' && /^[rRuU]?['"]/.test(t.text) && !/^[rRuU]?['"]{3}/.test(t.text));
const literalOf = (t: PyToken): number | string => (t.kind === 'number' ? pythonNumber(t.text) : pythonStringContent(t.text));

/** The default of the add_argument call at tokens[i] when one of its options is a name `wanted` accepts. */
function argparseValue(
  tokens: PyToken[],
  brackets: Brackets,
  i: number,
  index: LineIndex,
  scopePath: string[],
  wanted: (name: string) => boolean,
): PythonValue | undefined {
  const open = i + 1;
  const receiver = tokens[i - 2]?.kind === 'name' ? tokens[i - 2].text : '?';
  const inner = (brackets.children.get(open) ?? []).map((j) => tokens[j]);
  const options = inner.filter((x, j) => x.kind === 'string' && (j === 0 || inner[j - 1].text === ',') && /^-/.test(pythonStringContent(x.text)));
  const d = inner.findIndex((x, j) => x.text === 'default' && inner[j + 1]?.text === '=' && (j === 0 || inner[j - 1].text === ','));
  const value = d >= 0 ? inner[d + 2] : undefined;
  if (!isLiteral(value) || !options.length || (inner[d + 3] !== undefined && inner[d + 3].text !== ',')) return undefined;
  const long = options.find((o) => pythonStringContent(o.text).startsWith('--')) ?? options[0];
  // `-b/--batch-size`: the option that names the key (the short one may be the only telling one).
  const named = options.map((o) => pythonStringContent(o.text)).find(wanted);
  const key = pythonStringContent(long.text);
  if (!named) return undefined;
  return { match: keyMatch(index, key, [...scopePath, key], long, value), name: named, literal: literalOf(value), group: `parser:${receiver}` };
}

/** Every literal bound to a name `wanted` accepts (the name as written: `--batch-size`, `batch_size`). */
export function pythonValues(text: string, wanted: (name: string) => boolean): PythonValue[] {
  const tokens = tokenizePython(text).filter((t) => t.kind !== 'comment');
  const brackets = bracketsOf(tokens);
  const index = new LineIndex(text);
  const found: PythonValue[] = [];
  const add = (
    name: string,
    path: string[],
    keyTok: { start: number; end: number },
    valueTok: PyToken,
    extra: Omit<PythonValue, 'match' | 'literal' | 'name'>,
  ) => {
    if (wanted(name)) found.push({ match: keyMatch(index, name, path, keyTok, valueTok), name, literal: literalOf(valueTok), ...extra });
  };
  const scopes: Array<{ name: string; indent: number }> = [];
  const argparseCalls = new Set<number>();

  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i];
    if (t.lineStart) {
      while (scopes.length && scopes[scopes.length - 1].indent >= t.indent) scopes.pop();
      const defAt = t.text === 'async' ? i + 1 : i;
      if ((tokens[defAt]?.text === 'def' || tokens[defAt]?.text === 'class') && tokens[defAt + 1]?.kind === 'name')
        scopes.push({ name: tokens[defAt + 1].text, indent: t.indent });
    }
    const scopePath = scopes.length ? [scopes[scopes.length - 1].name] : [];

    // argparse: <parser>.add_argument('--batch-size', ..., default=32)
    if (t.kind === 'name' && t.text === 'add_argument' && tokens[i + 1]?.text === '(' && tokens[i - 1]?.text === '.') {
      argparseCalls.add(i + 1);
      const v = argparseValue(tokens, brackets, i, index, scopePath, wanted);
      if (v) found.push(v);
      continue;
    }

    // Keyword argument or parameter default: f(..., batch_size=32, ...), def f(batch_size: int = 32)
    if (t.kind === 'name' && t.depth > 0) {
      const annotated = tokens[i + 1]?.text === ':' && tokens[i + 2]?.kind === 'name' && tokens[i + 3]?.text === '=';
      const eq = annotated ? i + 3 : i + 1;
      const prev = tokens[i - 1];
      const value = tokens[eq + 1];
      const after = tokens[eq + 2];
      if (tokens[eq]?.text === '=' && isLiteral(value) && (prev?.text === '(' || prev?.text === ',') && (!after || after.text === ',' || after.text === ')')) {
        const open = enclosingOpen(tokens, brackets, i, '(');
        if (open >= 0 && !argparseCalls.has(open)) {
          const callee = tokens[open - 1]?.kind === 'name' ? tokens[open - 1].text : undefined;
          add(t.text, [...scopePath, t.text], t, value, { group: `call:${open}`, ...(callee ? { callee } : {}) });
        }
        continue;
      }
    }

    // Dict literal entry: {"batch_size": 32, "lr": 1e-3} (the key is a string, the value is code)
    if (t.kind === 'string' && t.depth > 0 && tokens[i + 1]?.text === ':' && isLiteral(tokens[i + 2])) {
      const prev = tokens[i - 1];
      const after = tokens[i + 3];
      const key = pythonStringContent(t.text);
      const open = enclosingOpen(tokens, brackets, i, '{');
      if (open >= 0 && (prev?.text === '{' || prev?.text === ',') && (!after || after.text === ',' || after.text === '}') && !/^[rRbBfF]*['"]{3}/.test(t.text))
        add(key, [...scopePath, key], t, tokens[i + 2], { group: `dict:${open}` });
      continue;
    }

    // Assignment at a line start: [a.b.]name [: annotation] = NUMBER
    if (t.lineStart && t.kind === 'name' && t.depth === 0) {
      let j = i;
      const parts: PyToken[] = [t];
      while (tokens[j + 1]?.text === '.' && tokens[j + 2]?.kind === 'name') {
        parts.push(tokens[j + 2]);
        j += 2;
      }
      let k = j + 1;
      if (tokens[k]?.text === ':') {
        // annotation: skip to '=' on the same logical line
        while (k < tokens.length && tokens[k].text !== '=' && tokens[k].kind !== 'newline') k++;
      }
      if (tokens[k]?.text === '=' && isLiteral(tokens[k + 1]) && isEnd(tokens[k + 2])) {
        const last = parts[parts.length - 1];
        const target = parts.map((p) => p.text).join('.');
        const owner = parts.length > 1 ? parts[parts.length - 2].text : undefined;
        add(last.text, [...scopePath, target], last, tokens[k + 1], { group: scopeIdOf(scopes), ...(owner ? { owner } : {}) });
      }
    }
  }
  return found;
}

/** Batch-size sites (number literals only), each with the learning rate of its call, parser, dict or scope. */
export function pythonSites(text: string): BatchSizeSite[] {
  const numbers = pythonValues(text, (n) => isBatchSizeName(n) || isLearningRateName(n)).filter((v) => typeof v.literal === 'number');
  const batches = numbers.filter((v) => isBatchSizeName(v.name));
  // The first learning rate per group, and per group and owner: a map hit per batch size (a scan
  // per batch size was quadratic in a call with thousands of keyword arguments).
  const byGroup = new Map<string, PythonValue>();
  const byOwner = new Map<string, PythonValue>();
  for (const l of numbers) {
    if (isBatchSizeName(l.name)) continue;
    if (!byGroup.has(l.group)) byGroup.set(l.group, l);
    const key = JSON.stringify([l.group, l.owner ?? null]);
    if (!byOwner.has(key)) byOwner.set(key, l);
  }
  return batches
    .map((b) => {
      const lr = byOwner.get(JSON.stringify([b.group, b.owner ?? null])) ?? byGroup.get(b.group);
      return { batchSize: b.match, ...(lr ? { learningRate: lr.match } : {}) };
    })
    .sort((a, b) => a.batchSize.keyOffset - b.batchSize.keyOffset);
}
