// Reading a training config: syntax (YAML or JSON/JSONC), schema, and semantic checks, every
// problem at the exact place of the offending key or value.
import { readFileSync, statSync } from 'node:fs';
import { parseTree, printParseErrorCode, ParseErrorCode, type ParseError } from 'jsonc-parser';
import type { TrainingConfig } from '../types';
import type { ConfigDiagnostic, ConfigFormat, LoadedConfig } from './types';
import { ConfigError, LineIndex, makeDiagnostic } from './diagnostics';
import { allowsJsonComments, detectFormat } from './format';
import { fromJson, locate, yamlRoot, type SourceNode } from './sourceTree';
import { schemaProblems, type SchemaProblem } from './schemaErrors';
import { semanticProblems } from './semantic';
import { applyConfigDefaults } from './defaults';
import { outsideSchedule, scheduleProblems } from './scheduleChecks';
import { decodeConfigBytes, InputLimitError, jsonLimitError, parseYamlBounded, sizeLimitError, yamlToJs } from './limits';

export interface ParsedConfig {
  config?: TrainingConfig;
  format: ConfigFormat;
  diagnostics: ConfigDiagnostic[];
}

export interface ParseOptions {
  /** Check that files named in the config (csv data, layers model) exist. Default true. */
  checkFiles?: boolean;
}

/** Clearer words for the yaml parser's errors people hit most; others keep the parser's message. */
const YAML_MESSAGES: Record<string, () => string> = {
  TAB_AS_INDENT: () => 'tab used for indentation: YAML indents with spaces only; replace the tab with spaces',
  MULTIPLE_DOCS: () => 'the file holds more than one YAML document (`---`); a training config is one document',
};

interface Syntax {
  root: SourceNode | null;
  data: unknown;
  diagnostics: ConfigDiagnostic[];
}

/**
 * Duplicate keys, found in one pass over the tree (yaml's own check compares every pair of keys
 * of a mapping: quadratic). JSON parsers silently keep the last duplicate; for a config that hides
 * a mistake.
 */
function duplicateKeys(root: SourceNode | null, index: LineIndex, file: string, container: 'mapping' | 'object'): ConfigDiagnostic[] {
  const out: ConfigDiagnostic[] = [];
  const stack: SourceNode[] = root ? [root] : [];
  while (stack.length > 0) {
    const n = stack.pop() as SourceNode;
    const keys = new Set<string>();
    for (const e of n.entries ?? []) {
      if (keys.has(e.key))
        out.push(
          makeDiagnostic(
            index,
            file,
            e.keyStart,
            e.keyEnd - e.keyStart,
            `duplicate key \`${e.key}\`: a key may appear once per ${container}; remove or rename one`,
          ),
        );
      keys.add(e.key);
      if (e.value) stack.push(e.value);
    }
    for (const i of n.items ?? []) stack.push(i);
  }
  return out.sort((a, b) => a.offset - b.offset);
}

function limitDiagnostic(e: unknown, index: LineIndex, file: string): ConfigDiagnostic[] {
  if (!(e instanceof InputLimitError)) throw e;
  return [makeDiagnostic(index, file, e.offset, e.length, e.message)];
}

function parseYamlSyntax(text: string, file: string, index: LineIndex): Syntax {
  let doc;
  try {
    doc = parseYamlBounded(text, { keepSourceTokens: true, uniqueKeys: false, prettyErrors: false });
  } catch (e) {
    return { root: null, data: undefined, diagnostics: limitDiagnostic(e, index, file) };
  }
  const diagnostics: ConfigDiagnostic[] = [];
  for (const e of doc.errors) {
    const [start, end] = e.pos;
    const message = YAML_MESSAGES[e.code]?.() || `YAML syntax error: ${e.message.split('\n')[0]}`;
    diagnostics.push(makeDiagnostic(index, file, start, end - start, message));
  }
  for (const w of doc.warnings) {
    const [start, end] = w.pos;
    diagnostics.push(makeDiagnostic(index, file, start, end - start, `YAML: ${w.message.split('\n')[0]}`, 'warning'));
  }
  if (diagnostics.some((d) => d.severity === 'error')) return { root: null, data: undefined, diagnostics };
  try {
    const root = yamlRoot(doc);
    const duplicates = duplicateKeys(root, index, file, 'mapping');
    if (duplicates.length) return { root: null, data: undefined, diagnostics: [...diagnostics, ...duplicates] };
    return { root, data: yamlToJs(doc), diagnostics };
  } catch (e) {
    return { root: null, data: undefined, diagnostics: [...diagnostics, ...limitDiagnostic(e, index, file)] };
  }
}

function jsonErrorMessage(e: ParseError, text: string): { offset: number; length: number; message: string } {
  const ch = text[e.offset];
  // A trailing comma shows up as "property name / value expected" at the closing bracket.
  if ((e.error === ParseErrorCode.PropertyNameExpected || e.error === ParseErrorCode.ValueExpected) && (ch === '}' || ch === ']')) {
    // The comma just before the bracket (whitespace between), found by stepping back: a search of
    // the whole prefix per error was quadratic in a file full of errors.
    let comma = e.offset - 1;
    while (comma >= 0 && /\s/.test(text[comma])) comma--;
    if (text[comma] === ',')
      return { offset: comma, length: 1, message: 'trailing comma: strict JSON allows no comma before `' + ch + '`; remove it (or name the file .jsonc)' };
  }
  switch (e.error) {
    case ParseErrorCode.InvalidCommentToken:
      return { offset: e.offset, length: e.length, message: 'comment in strict JSON: remove it, or name the file .jsonc (JSON with comments)' };
    case ParseErrorCode.CommaExpected:
      return {
        offset: e.offset,
        length: e.length,
        message: `JSON syntax error: expected a comma or a closing bracket before \`${text.substr(e.offset, Math.max(1, e.length))}\``,
      };
    case ParseErrorCode.InvalidSymbol:
      return {
        offset: e.offset,
        length: e.length,
        message: `JSON syntax error: \`${text.substr(e.offset, e.length)}\` is not a JSON value (strings need double quotes; true/false/null are lower case)`,
      };
    default:
      // printParseErrorCode gives the code's name: "CloseBraceExpected" -> "close brace expected".
      return {
        offset: e.offset,
        length: e.length,
        message: `JSON syntax error: ${printParseErrorCode(e.error)
          .replace(/([a-z])([A-Z])/g, '$1 $2')
          .toLowerCase()}`,
      };
  }
}

function parseJsonSyntax(text: string, file: string, index: LineIndex): Syntax {
  const jsonc = allowsJsonComments(file);
  const limit = jsonLimitError(text, jsonc);
  if (limit) return { root: null, data: undefined, diagnostics: limitDiagnostic(limit, index, file) };
  const errors: ParseError[] = [];
  const tree = parseTree(text, errors, { disallowComments: !jsonc, allowTrailingComma: jsonc, allowEmptyContent: false });
  const diagnostics: ConfigDiagnostic[] = [];
  const seen = new Set<number>();
  for (const e of errors) {
    const m = jsonErrorMessage(e, text);
    if (seen.has(m.offset)) continue; // one message per place (jsonc-parser may report two)
    seen.add(m.offset);
    diagnostics.push(makeDiagnostic(index, file, m.offset, m.length, m.message));
  }
  const root = fromJson(tree);
  diagnostics.push(...duplicateKeys(root, index, file, 'object'));
  if (diagnostics.length) return { root: null, data: undefined, diagnostics };
  return { root, data: toPlain(root), diagnostics };
}

function toPlain(n: SourceNode | null): unknown {
  if (!n) return null;
  if (n.kind === 'map') return Object.fromEntries((n.entries ?? []).map((e) => [e.key, toPlain(e.value)]));
  if (n.kind === 'seq') return (n.items ?? []).map(toPlain);
  return n.value;
}

/** Source range for a problem: the key (unknown key, missing child) or the value. */
export function problemRange(root: SourceNode | null, p: { path: string[]; at: 'key' | 'value' }): { offset: number; length: number } {
  // Walk up until something exists (a missing key is reported at its parent's key).
  for (let depth = p.path.length; depth >= 0; depth--) {
    const found = locate(root, p.path.slice(0, depth));
    if (!found) continue;
    const exact = depth === p.path.length;
    if (found.entry && (p.at === 'key' || !exact || !found.node)) return { offset: found.entry.keyStart, length: found.entry.keyEnd - found.entry.keyStart };
    if (found.node && depth > 0) return { offset: found.node.start, length: found.node.end - found.node.start };
    if (depth === 0) return { offset: 0, length: 0 }; // the root: the document start
  }
  return { offset: 0, length: 0 };
}

export function parseTrainingConfig(text: string, file: string, options: ParseOptions = {}): ParsedConfig {
  const format = detectFormat(file, text);
  const index = new LineIndex(text);
  const big = sizeLimitError(text.length);
  if (big) return { format, diagnostics: [makeDiagnostic(index, file, 0, 0, big.message)] };
  if (format !== 'yaml' && format !== 'json') {
    return {
      format,
      diagnostics: [
        makeDiagnostic(
          index,
          file,
          0,
          0,
          `a Batch Tuner training config is YAML or JSON, not ${format}; for your own ${format} config, set tuner.command in a YAML config that runs your script`,
        ),
      ],
    };
  }
  const syntax = format === 'yaml' ? parseYamlSyntax(text, file, index) : parseJsonSyntax(text, file, index);
  const diagnostics = [...syntax.diagnostics];
  if (diagnostics.some((d) => d.severity === 'error')) return { format, diagnostics };
  const data = syntax.data;
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    const what = data === null || data === undefined ? 'empty' : Array.isArray(data) ? 'a list' : `a ${typeof data}`;
    diagnostics.push(
      makeDiagnostic(
        index,
        file,
        0,
        syntax.root ? syntax.root.end - syntax.root.start : 0,
        `the config is ${what}; it must be a mapping with model, data, optimizer and batch_size`,
      ),
    );
    return { format, diagnostics };
  }
  const toDiag = (p: SchemaProblem, severity: 'error' | 'warning') => {
    const r = problemRange(syntax.root, p);
    return makeDiagnostic(index, file, r.offset, r.length, p.message, severity);
  };
  const schema = outsideSchedule(schemaProblems(data));
  for (const p of schema) diagnostics.push(toDiag(p, 'error'));
  const reported = new Set(schema.map((p) => p.path.join('\u0000')));
  for (const p of semanticProblems(data, file, options.checkFiles ?? true)) if (!reported.has(p.path.join('\u0000'))) diagnostics.push(toDiag(p, p.severity));
  for (const p of scheduleProblems(data)) diagnostics.push(toDiag(p, 'error'));
  diagnostics.sort((a, b) => a.offset - b.offset);
  // Dedupe exact repeats (schema and semantic checks may meet at one place with one message).
  const unique = diagnostics.filter((d, i) => i === 0 || d.offset !== diagnostics[i - 1].offset || d.message !== diagnostics[i - 1].message);
  if (unique.some((d) => d.severity === 'error')) return { format, diagnostics: unique };
  return { format, diagnostics: unique, config: applyConfigDefaults(data as TrainingConfig) };
}

/** A config file's text; ConfigError when it cannot be read, is too large or is not UTF-8. */
function readConfigText(file: string): string {
  const fail = (message: string, text = '', offset = 0, length = 0): never => {
    throw new ConfigError([makeDiagnostic(new LineIndex(text), file, offset, length, message)]);
  };
  try {
    // Before the read: a pipe or device would block or never end, a multi-GB file must not be loaded to be refused.
    const st = statSync(file);
    if (st.isDirectory()) fail('cannot read the config: is a folder, not a file; check the path');
    if (!st.isFile()) fail('cannot read the config: not a regular file (a pipe or a device); point to the config file itself');
    const big = sizeLimitError(st.size);
    if (big) fail(big.message);
    const bytes = readFileSync(file);
    try {
      return decodeConfigBytes(bytes);
    } catch (e) {
      if (!(e instanceof InputLimitError)) throw e;
      return fail(e.message, bytes.toString('utf8'), e.offset, e.length);
    }
  } catch (e) {
    if (e instanceof ConfigError) throw e;
    const err = e as NodeJS.ErrnoException;
    const why = err.code === 'ENOENT' ? 'file not found' : err.code === 'EISDIR' ? 'is a folder, not a file' : err.message;
    return fail(`cannot read the config: ${why}; check the path`);
  }
}

/** Reads and validates a config; throws ConfigError (one `file:line:col: error: ...` per line) on any error. */
export function loadTrainingConfig(file: string, options: ParseOptions = {}): LoadedConfig {
  const text = readConfigText(file);
  const parsed = parseTrainingConfig(text, file, options);
  if (!parsed.config) throw new ConfigError(parsed.diagnostics.filter((d) => d.severity === 'error'));
  return { file, format: parsed.format, text, config: parsed.config };
}

/** Validates a config value built in memory (no source text): problems by key path. */
export function validateTrainingConfig(
  value: unknown,
  configFile = 'config.yaml',
  options: ParseOptions = { checkFiles: false },
): Array<{ path: string[]; message: string; severity: 'error' | 'warning' }> {
  const schema = outsideSchedule(schemaProblems(value));
  const reported = new Set(schema.map((p) => p.path.join('\u0000')));
  return [
    ...schema.map((p) => ({ path: p.path, message: p.message, severity: 'error' as const })),
    ...semanticProblems(value, configFile, options.checkFiles ?? false)
      .filter((p) => !reported.has(p.path.join('\u0000')))
      .map((p) => ({ path: p.path, message: p.message, severity: p.severity })),
    ...scheduleProblems(value).map((p) => ({ path: p.path, message: p.message, severity: 'error' as const })),
  ];
}
