// A small TOML scanner (TOML 1.0): enough structure to find keys and their values at exact
// offsets — [tables], [[array tables]], dotted and quoted keys, inline tables, arrays,
// comments and all four string forms — without evaluating dates or building a document.
import type { FlatEntry } from './sites';
import { MAX_CONFIG_NESTING } from './limits';

const BARE_KEY = /[A-Za-z0-9_-]/;
// Decimal/hex/octal/binary integers, floats, inf/nan (TOML 1.0 §Integer, §Float).
const NUMBER = /^[+-]?(?:0x[0-9A-Fa-f_]+|0o[0-7_]+|0b[01_]+|inf|nan|(?:\d[\d_]*)(?:\.[\d_]+)?(?:[eE][+-]?[\d_]+)?)$/;

export function tomlNumber(token: string): number | undefined {
  if (!NUMBER.test(token)) return undefined;
  const t = token.replace(/_/g, '');
  if (/inf$/.test(t)) return t.startsWith('-') ? -Infinity : Infinity;
  if (/nan$/.test(t)) return NaN;
  if (/^[+-]?0[xob]/.test(t)) {
    const sign = t.startsWith('-') ? -1 : 1;
    return sign * Number(t.replace(/^[+-]/, ''));
  }
  return Number(t);
}

class Scanner {
  pos = 0;
  readonly entries: FlatEntry[] = [];
  constructor(readonly text: string) {}

  peek(o = 0): string {
    return this.text[this.pos + o] ?? '';
  }
  startsWith(s: string): boolean {
    return this.text.startsWith(s, this.pos);
  }
  /** Spaces and tabs (and, inside arrays, newlines and comments). */
  skipSpace(newlines = false): void {
    for (;;) {
      const c = this.peek();
      if (c === ' ' || c === '\t' || (newlines && (c === '\n' || c === '\r'))) this.pos++;
      else if (newlines && c === '#') this.skipComment();
      else return;
    }
  }
  skipComment(): void {
    while (this.pos < this.text.length && this.peek() !== '\n') this.pos++;
  }
  skipLine(): void {
    this.skipComment();
    if (this.peek() === '\n') this.pos++;
  }

  /** A string token starting at pos; returns its decoded-enough content (keys are simple). */
  string(): string {
    const q = this.peek();
    const triple = this.startsWith(q.repeat(3));
    const start = this.pos;
    this.pos += triple ? 3 : 1;
    for (;;) {
      if (this.pos >= this.text.length) break;
      const c = this.peek();
      if (q === '"' && c === '\\') {
        this.pos += 2;
        continue;
      }
      if (!triple && c === '\n') break; // unterminated: stop at the line end
      if (triple ? this.startsWith(q.repeat(3)) : c === q) {
        this.pos += triple ? 3 : 1;
        // A multi-line string may end with up to two extra quotes (TOML 1.0).
        if (triple) while (this.peek() === q && this.pos - start < this.text.length) this.pos++;
        break;
      }
      this.pos++;
    }
    const raw = this.text.slice(start, this.pos);
    return triple ? raw.slice(3, -3) : raw.slice(1, -1);
  }

  /** A dotted key: parts with the range of each part. */
  key(): Array<{ name: string; start: number; end: number }> {
    const parts: Array<{ name: string; start: number; end: number }> = [];
    for (;;) {
      this.skipSpace();
      const start = this.pos;
      let name: string;
      if (this.peek() === '"' || this.peek() === "'") name = this.string();
      else {
        while (BARE_KEY.test(this.peek())) this.pos++;
        name = this.text.slice(start, this.pos);
        if (!name) return parts;
      }
      parts.push({ name, start, end: this.pos });
      this.skipSpace();
      if (this.peek() !== '.') return parts;
      this.pos++;
    }
  }

  /** Past the nesting limit: the rest of an array or inline table, skipped without recursion. */
  skipNested(): void {
    let depth = 0;
    while (this.pos < this.text.length) {
      const c = this.peek();
      if (c === '"' || c === "'") {
        this.string();
        continue;
      }
      if (c === '#') this.skipComment();
      else if (c === '[' || c === '{') depth++;
      else if (c === ']' || c === '}') depth--;
      this.pos++;
      if (depth <= 0) return;
    }
  }

  /** A value; records key/value entries found inside inline tables (down to MAX_CONFIG_NESTING). */
  value(path: string[]): { start: number; end: number; scalar?: unknown; isScalar: boolean } {
    const start = this.pos;
    const c = this.peek();
    if (c === '"' || c === "'") {
      const s = this.string();
      return { start, end: this.pos, scalar: s, isScalar: true };
    }
    if ((c === '{' || c === '[') && path.length >= MAX_CONFIG_NESTING) {
      this.skipNested();
      return { start, end: this.pos, isScalar: false };
    }
    if (c === '{') {
      this.pos++;
      for (;;) {
        this.skipSpace();
        if (this.peek() === '}' || this.pos >= this.text.length) break;
        if (this.peek() === ',') {
          this.pos++;
          continue;
        }
        if (this.peek() === '\n') break; // malformed: inline tables are one line
        if (!this.keyValue(path)) break;
      }
      if (this.peek() === '}') this.pos++;
      return { start, end: this.pos, isScalar: false };
    }
    if (c === '[') {
      this.pos++;
      let i = 0;
      for (;;) {
        this.skipSpace(true);
        if (this.peek() === ']' || this.pos >= this.text.length) break;
        if (this.peek() === ',') {
          this.pos++;
          continue;
        }
        const before = this.pos;
        this.value([...path, String(i++)]);
        if (this.pos === before) this.pos++;
      }
      if (this.peek() === ']') this.pos++;
      return { start, end: this.pos, isScalar: false };
    }
    // Bare scalar: number, boolean, date-time (may contain one space between date and time).
    while (this.pos < this.text.length && !/[,\]}\s#]/.test(this.peek())) this.pos++;
    if (this.peek() === ' ' && /^\d{4}-\d\d-\d\d$/.test(this.text.slice(start, this.pos)) && /\d/.test(this.peek(1))) {
      this.pos++;
      while (this.pos < this.text.length && !/[,\]}\s#]/.test(this.peek())) this.pos++;
    }
    const token = this.text.slice(start, this.pos);
    const scalar = token === 'true' ? true : token === 'false' ? false : (tomlNumber(token) ?? token);
    return { start, end: this.pos, scalar, isScalar: true };
  }

  /** `key = value` at pos, under `table`; false when no key could be read. */
  keyValue(table: string[]): boolean {
    const parts = this.key();
    if (parts.length === 0) return false;
    this.skipSpace();
    if (this.peek() !== '=') return false;
    this.pos++;
    this.skipSpace();
    const path = [...table, ...parts.map((p) => p.name)];
    const last = parts[parts.length - 1];
    const index = this.entries.length;
    const v = this.value(path);
    // A key path deeper than the limit is read past, not kept (its walkers would pay per level).
    if (path.length > MAX_CONFIG_NESTING) return true;
    // Insert before entries of an inline table value so entries stay in source order.
    this.entries.splice(index, 0, {
      path,
      key: last.name,
      keyStart: last.start,
      keyEnd: last.end,
      valueStart: v.start,
      valueEnd: v.end,
      scalar: v.scalar,
      isScalar: v.isScalar,
    });
    return true;
  }
}

/** Every key = value of a TOML text, with paths from the root and exact ranges. */
export function tomlEntries(text: string): FlatEntry[] {
  const s = new Scanner(text);
  let table: string[] = [];
  while (s.pos < text.length) {
    s.skipSpace(true);
    if (s.pos >= text.length) break;
    if (s.peek() === '[') {
      const array = s.peek(1) === '[';
      s.pos += array ? 2 : 1;
      // Longer than the limit: every entry under it is read past, so keep no more than that.
      table = s
        .key()
        .slice(0, MAX_CONFIG_NESTING + 1)
        .map((p) => p.name);
      s.skipSpace();
      s.pos += array ? 2 : 1;
      s.skipSpace();
      s.skipLine();
      continue;
    }
    const before = s.pos;
    if (!s.keyValue(table)) {
      if (s.pos === before) s.pos++;
      s.skipLine();
      continue;
    }
    s.skipSpace();
    s.skipLine();
  }
  return s.entries;
}

/**
 * Offset of the `[` or `{` that opens nesting level `max + 1` in a TOML text, or -1: strings and
 * comments skipped, linear. (A table header `[a.b]` opens and closes a level on its own line.)
 */
export function tomlNestingOffset(text: string, max = MAX_CONFIG_NESTING): number {
  const s = new Scanner(text);
  let depth = 0;
  while (s.pos < text.length) {
    const c = s.peek();
    if (c === '"' || c === "'") {
      s.string();
      continue;
    }
    if (c === '#') s.skipComment();
    else if (c === '[' || c === '{') {
      if (++depth > max) return s.pos;
    } else if ((c === ']' || c === '}') && depth > 0) depth--;
    s.pos++;
  }
  return -1;
}
