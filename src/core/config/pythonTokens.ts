// A small Python tokenizer: names, numbers, strings (all prefixes, triple-quoted, f-strings),
// operators, comments and logical line ends, with exact offsets. Enough to tell code from
// comments and strings; it does not build a syntax tree.

export type PyTokenKind = 'name' | 'number' | 'string' | 'op' | 'newline' | 'comment';

export interface PyToken {
  kind: PyTokenKind;
  text: string;
  start: number;
  end: number;
  /** Bracket depth before this token ((), [], {}). */
  depth: number;
  /** Column of the first token of this logical line (its indentation). */
  indent: number;
  /** True for the first token of a logical line. */
  lineStart: boolean;
}

const STRING_PREFIX = /^(?:[rRbBuUfF]|[rR][bBfF]|[bBfF][rR])?(?:'''|"""|'|")/;
// Python numeric literals (Python reference §2.4.5-2.4.7), underscores allowed.
const NUMBER = /^(?:0[xX][0-9a-fA-F_]+|0[oO][0-7_]+|0[bB][01_]+|(?:\d[\d_]*\.?[\d_]*|\.\d[\d_]*)(?:[eE][+-]?\d[\d_]*)?[jJ]?)/;
const NAME = /^[A-Za-z_\u00c0-\uffff][A-Za-z0-9_\u00c0-\uffff]*/;
const OPS = [
  '**=',
  '//=',
  '>>=',
  '<<=',
  '...',
  '->',
  ':=',
  '==',
  '!=',
  '<=',
  '>=',
  '**',
  '//',
  '<<',
  '>>',
  '+=',
  '-=',
  '*=',
  '/=',
  '%=',
  '&=',
  '|=',
  '^=',
  '@=',
];

/** End offset of a string literal starting at `start` (prefix included). */
function stringEnd(text: string, start: number, prefixLength: number, quote: string): number {
  let i = start + prefixLength + quote.length;
  const triple = quote.length === 3;
  while (i < text.length) {
    const c = text[i];
    if (c === '\\') {
      i += 2; // also in raw strings a backslash keeps the next quote inside the string
      continue;
    }
    if (!triple && c === '\n') return i; // unterminated: stop at the line end
    if (text.startsWith(quote, i)) return i + quote.length;
    i++;
  }
  return text.length;
}

export function tokenizePython(text: string): PyToken[] {
  const tokens: PyToken[] = [];
  let i = 0;
  let depth = 0;
  let lineStart = true;
  let indent = 0;
  let col = 0; // column of i on its physical line, for indentation
  let startCol = 0;
  const push = (kind: PyTokenKind, start: number, end: number) => {
    if (lineStart && kind !== 'comment' && kind !== 'newline') indent = startCol;
    tokens.push({ kind, text: text.slice(start, end), start, end, depth, indent, lineStart: lineStart && kind !== 'comment' && kind !== 'newline' });
    if (kind !== 'comment' && kind !== 'newline') lineStart = false;
  };
  while (i < text.length) {
    const c = text[i];
    if (c === '\n') {
      if (depth === 0 && !lineStart) push('newline', i, i + 1);
      if (depth === 0) lineStart = true;
      i++;
      col = 0;
      continue;
    }
    if (c === ' ' || c === '\t' || c === '\r' || c === '\f') {
      col += c === '\t' ? 8 - (col % 8) : 1;
      i++;
      continue;
    }
    if (c === '\\' && text[i + 1] === '\n') {
      i += 2; // explicit line joining
      col = 0;
      continue;
    }
    const start = i;
    startCol = col;
    if (c === '#') {
      while (i < text.length && text[i] !== '\n') i++;
      push('comment', start, i);
      continue;
    }
    const rest = text.slice(i, i + 5);
    const sm = STRING_PREFIX.exec(rest);
    if (sm) {
      const quote = sm[0].endsWith("'''") || sm[0].endsWith('"""') ? sm[0].slice(-3) : sm[0].slice(-1);
      const prefixLength = sm[0].length - quote.length;
      i = stringEnd(text, start, prefixLength, quote);
      col += i - start; // multi-line strings: only matters for the line's first token
      push('string', start, i);
      continue;
    }
    const head = text.slice(i, i + 64);
    const nm = /^\d|^\.\d/.test(head) ? NUMBER.exec(head) : null;
    if (nm) {
      i += nm[0].length;
      col += nm[0].length;
      push('number', start, i);
      continue;
    }
    const name = NAME.exec(head);
    if (name) {
      i += name[0].length;
      col += name[0].length;
      push('name', start, i);
      continue;
    }
    const op = OPS.find((o) => text.startsWith(o, i)) ?? c;
    i += op.length;
    col += op.length;
    if (op === '(' || op === '[' || op === '{') {
      push('op', start, i);
      depth++;
    } else if (op === ')' || op === ']' || op === '}') {
      depth = Math.max(0, depth - 1);
      push('op', start, i);
    } else push('op', start, i);
  }
  if (!lineStart) push('newline', text.length, text.length);
  return tokens;
}

/** The value of a Python number literal (NaN for complex numbers). */
export function pythonNumber(literal: string): number {
  const t = literal.replace(/_/g, '');
  if (/[jJ]$/.test(t)) return NaN;
  if (/^0[xXoObB]/.test(t)) return Number(t.toLowerCase());
  return Number(t);
}

/** The content of a string literal without prefix and quotes (escapes left as written). */
export function pythonStringContent(literal: string): string {
  const m = /^[rRbBuUfF]*('''|"""|'|")/.exec(literal);
  if (!m) return literal;
  const q = m[1];
  const body = literal.slice(m[0].length);
  return body.endsWith(q) ? body.slice(0, -q.length) : body;
}
