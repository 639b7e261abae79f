// JSON from untrusted sources (metrics lines, study lines, JSON configs) with its nesting
// bounded before any recursive code sees it. V8's JSON.parse is iterative, but JSON.stringify, a
// reviver, jsonc-parser and every walker of the result recurse once per level: a line of 100k
// brackets overflows the stack there, and near the stack limit V8 may even abort the process
// (a regexp compiled while the stack is exhausted). One linear scan here rules that out.

/** Deepest nesting a record or config of ours needs is under 10; this leaves room for anyone's. */
export const MAX_JSON_NESTING = 64;

/**
 * Offset of the `[` or `{` that opens nesting level `maxDepth + 1`, or -1 when the text never
 * goes that deep. Strings (with their escapes) and, with `comments`, `//` and `/* *\/` comments
 * are skipped. Linear in the text; it does not validate the JSON.
 */
export function jsonNestingOffset(text: string, maxDepth = MAX_JSON_NESTING, comments = false): number {
  let depth = 0;
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22 /* " */) {
      for (i++; i < n; i++) {
        const d = text.charCodeAt(i);
        if (d === 0x5c /* \ */) i++;
        else if (d === 0x22 || d === 0x0a) break; // a newline ends an unterminated string (as jsonc-parser)
      }
    } else if (c === 0x5b /* [ */ || c === 0x7b /* { */) {
      if (++depth > maxDepth) return i;
    } else if (c === 0x5d /* ] */ || c === 0x7d /* } */) {
      if (depth > 0) depth--;
    } else if (comments && c === 0x2f /* / */) {
      const next = text.charCodeAt(i + 1);
      if (next === 0x2f) {
        const end = text.indexOf('\n', i + 2);
        i = end < 0 ? n : end;
      } else if (next === 0x2a /* * */) {
        const end = text.indexOf('*/', i + 2);
        i = end < 0 ? n : end + 1;
      }
    }
  }
  return -1;
}

/** What went wrong with a JSON text, in words, with the offset it happened at. */
export interface JsonProblem {
  offset: number;
  message: string;
}

/**
 * JSON.parse with the nesting bounded first: the value, or the problem (never throws).
 * NaN/Infinity are not JSON: whoever wrote them as strings restores them (see studyLines.ts).
 */
export function parseJsonBounded(text: string, maxDepth = MAX_JSON_NESTING): { value: unknown } | { problem: JsonProblem } {
  const deep = jsonNestingOffset(text, maxDepth);
  if (deep >= 0) return { problem: { offset: deep, message: `nested deeper than ${maxDepth} levels` } };
  try {
    return { value: JSON.parse(text) as unknown };
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    const at = /at position (\d+)/.exec(message);
    return { problem: { offset: at ? Number(at[1]) : 0, message: `not JSON (${message})` } };
  }
}
