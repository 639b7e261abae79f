// Limits on what a config file may be before any parser sees it: its size, its nesting and its
// encoding. Every config text in a workspace is untrusted (CodeLens and the sidebar read them in
// Restricted Mode too), so no file may freeze the host or exhaust its stack:
// - size: every parser here is linear, but yaml's costs up to ~8 µs a byte on a busy machine (a
//   long line of `key: value` pairs); 256 KiB bounds a file to about 2 s there and is 5x the
//   largest real training script seen (configs are a few KiB).
// - nesting: yaml's composer, jsonc-parser and our tree walkers recurse once per level; past
//   a few thousand levels the stack overflows, and near the limit V8 can abort the process
//   outright (a regexp compiled with the stack exhausted: uncatchable). Nesting is measured
//   without recursion (a bracket scan for JSON, yaml's own iterative CST for YAML) and capped.
// - encoding: a file that is not UTF-8 gets an error naming the first bad byte, not mojibake.
import { isUtf8 } from 'node:buffer';
import { Composer, isAlias, Parser, visit, YAMLParseError, type CST, type Document, type DocumentOptions, type ParseOptions, type SchemaOptions } from 'yaml';
import { parse as parseJsonc, type ParseError, type ParseOptions as JsoncOptions } from 'jsonc-parser';
import { jsonNestingOffset } from '../boundedJson';
import type { ConfigFormat } from './types';
import { tomlNestingOffset } from './toml';

/** Longest config text read (characters). */
export const MAX_CONFIG_CHARS = 256 * 1024;
/** Deepest nesting of mappings and lists (a training config needs 4; DeepSpeed/Hydra under 10). */
export const MAX_CONFIG_NESTING = 64;

/** A config beyond a limit: where (offset into the text) and what to do about it. */
export class InputLimitError extends Error {
  constructor(
    message: string,
    readonly offset = 0,
    readonly length = 0,
  ) {
    super(message);
    this.name = 'InputLimitError';
  }
}

function sizeText(chars: number): string {
  return chars >= 1 << 20 ? `${(chars / (1 << 20)).toFixed(1)} MiB` : `${Math.ceil(chars / 1024)} KiB`;
}

/** The size limit, as an error (undefined: within it). */
export function sizeLimitError(length: number): InputLimitError | undefined {
  if (length <= MAX_CONFIG_CHARS) return undefined;
  return new InputLimitError(
    `the file is ${sizeText(length)}; Batch Tuner reads configs up to ${sizeText(MAX_CONFIG_CHARS)}: point it at the training config itself, not a data or generated file`,
  );
}

function nestingError(offset: number): InputLimitError {
  return new InputLimitError(
    `nested deeper than ${MAX_CONFIG_NESTING} levels here: a training config needs a few; flatten this value or move it to a file of its own`,
    offset,
    1,
  );
}

/** Size and nesting of a JSON/JSONC text, checked in one linear scan. */
export function jsonLimitError(text: string, comments = true): InputLimitError | undefined {
  const big = sizeLimitError(text.length);
  if (big) return big;
  const deep = jsonNestingOffset(text, MAX_CONFIG_NESTING, comments);
  return deep >= 0 ? nestingError(deep) : undefined;
}

/** Offset of the first collection nested deeper than the limit in yaml's CST, or -1 (no recursion). */
function cstNestingOffset(tokens: CST.Token[]): number {
  const stack: Array<{ token: CST.Token | undefined; depth: number }> = tokens.map((token) => ({ token, depth: 0 }));
  while (stack.length > 0) {
    const { token, depth } = stack.pop() as { token: CST.Token | undefined; depth: number };
    if (!token) continue;
    if (token.type === 'document') {
      stack.push({ token: token.value, depth });
    } else if (token.type === 'block-map' || token.type === 'block-seq' || token.type === 'flow-collection') {
      if (depth + 1 > MAX_CONFIG_NESTING) return token.offset;
      // `[a: 1]`: a pair in a flow sequence is a mapping of its own, one level more than the CST shows.
      const pairLevel = token.type === 'flow-collection' && token.start.source === '[' ? 1 : 0;
      for (const item of token.items) {
        const it = item as { key?: CST.Token | null; sep?: unknown[]; value?: CST.Token };
        const inner = depth + 1 + (it.sep ? pairLevel : 0);
        if (inner > MAX_CONFIG_NESTING) return token.offset;
        if (it.key) stack.push({ token: it.key, depth: inner });
        stack.push({ token: it.value, depth: inner });
      }
    }
  }
  return -1;
}

type YamlOptions = ParseOptions & DocumentOptions & SchemaOptions;

/**
 * yaml's parseDocument with the size and nesting bounded first (throws InputLimitError).
 * Pass `uniqueKeys: false`: yaml checks duplicate keys pairwise (quadratic in a mapping's size);
 * callers that care find duplicates in one pass over the tree (parse.ts).
 */
export function parseYamlBounded(text: string, options: YamlOptions = {}): Document.Parsed {
  const big = sizeLimitError(text.length);
  if (big) throw big;
  const tokens = Array.from(new Parser().parse(text));
  const deep = cstNestingOffset(tokens);
  if (deep >= 0) throw nestingError(deep);
  let doc: Document.Parsed | undefined;
  // logLevel 'error': a workspace file's warnings are reported by the caller, never printed to the host's stderr.
  for (const next of new Composer({ logLevel: 'error', ...options }).compose(tokens, true, text.length)) {
    if (!doc) doc = next;
    else {
      doc.errors.push(
        new YAMLParseError([next.range[0], next.range[1]], 'MULTIPLE_DOCS', 'Source contains multiple documents; please use YAML.parseAllDocuments()'),
      );
      break;
    }
  }
  return doc as Document.Parsed;
}

/** Aliases a document may expand (yaml's guard against alias bombs: "billion laughs"). */
const MAX_ALIAS_COUNT = 100;

/**
 * A parsed document as plain data. yaml throws from toJS for an alias bomb or an alias without
 * its anchor: here that is an InputLimitError at the first alias, with yaml's words.
 */
export function yamlToJs(doc: Document.Parsed): unknown {
  try {
    return doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (e) {
    if (!(e instanceof Error)) throw e;
    let offset = 0;
    let length = 0;
    visit(doc, {
      Alias(_key, node) {
        if (!isAlias(node) || !node.range) return undefined;
        [offset, length] = [node.range[0], node.range[1] - node.range[0]];
        return visit.BREAK;
      },
    });
    throw new InputLimitError(`YAML aliases: ${e.message.split('\n')[0]}; write the values out instead of aliasing them`, offset, length);
  }
}

/** yaml's parse(): the value of a YAML text, bounded; throws its first error (or InputLimitError). */
export function parseYamlValue(text: string, options: YamlOptions = {}): unknown {
  const doc = parseYamlBounded(text, { uniqueKeys: false, ...options });
  if (doc.errors.length > 0) throw doc.errors[0];
  return yamlToJs(doc);
}

/** jsonc-parser's parse(), bounded: throws InputLimitError instead of overflowing the stack. */
export function parseJsoncValue(text: string, errors: ParseError[] = [], options: JsoncOptions = { allowTrailingComma: true }): unknown {
  const limit = jsonLimitError(text, options.disallowComments !== true);
  if (limit) throw limit;
  return parseJsonc(text, errors, options) as unknown;
}

/** Whichever limit a config text of `format` is beyond (undefined: within all of them). */
export function configLimitError(text: string, format: ConfigFormat): InputLimitError | undefined {
  const big = sizeLimitError(text.length);
  if (big) return big;
  if (format === 'json') return jsonLimitError(text);
  if (format === 'toml') {
    const deep = tomlNestingOffset(text, MAX_CONFIG_NESTING);
    return deep >= 0 ? nestingError(deep) : undefined;
  }
  if (format === 'yaml') {
    try {
      parseYamlBounded(text, { uniqueKeys: false });
    } catch (e) {
      if (e instanceof InputLimitError) return e;
      throw e;
    }
  }
  return undefined; // Python: tokenized without recursion, whatever its nesting
}

/** Offset of the first byte that is not part of well-formed UTF-8 (RFC 3629), or -1. */
export function firstInvalidUtf8(bytes: Uint8Array): number {
  if (isUtf8(bytes)) return -1;
  for (let i = 0; i < bytes.length;) {
    const b = bytes[i];
    const need = b < 0x80 ? 0 : b >= 0xc2 && b <= 0xdf ? 1 : b >= 0xe0 && b <= 0xef ? 2 : b >= 0xf0 && b <= 0xf4 ? 3 : -1;
    if (need < 0 || i + need >= bytes.length) return i;
    // Second-byte ranges that exclude overlongs, surrogates and code points above U+10FFFF.
    const lo = b === 0xe0 ? 0xa0 : b === 0xf0 ? 0x90 : 0x80;
    const hi = b === 0xed ? 0x9f : b === 0xf4 ? 0x8f : 0xbf;
    for (let k = 1; k <= need; k++) {
      const c = bytes[i + k];
      if (c < (k === 1 ? lo : 0x80) || c > (k === 1 ? hi : 0xbf)) return i;
    }
    i += need + 1;
  }
  return -1;
}

/**
 * A config file's bytes as text (a UTF-8 BOM stays, as readFileSync keeps it); bytes that are not
 * UTF-8 throw InputLimitError at the character where they start.
 */
export function decodeConfigBytes(bytes: Buffer): string {
  const big = sizeLimitError(bytes.length);
  if (big) throw big;
  const bad = firstInvalidUtf8(bytes);
  if (bad >= 0) {
    const before = bytes.subarray(0, bad).toString('utf8');
    const hex = Array.from(bytes.subarray(bad, bad + 4), (b) => b.toString(16).padStart(2, '0')).join(' ');
    throw new InputLimitError(`the file is not UTF-8 (bytes ${hex} at byte ${bad}): save it as UTF-8`, before.length, 1);
  }
  return bytes.toString('utf8');
}
