// What kind of config a file is: Batch Tuner's own training format (the built-in trainer can
// run it), a user's own config (trained by a command), or one of ours with mistakes (every
// problem at file:line:col). Whether a user's config has a command depends on the layers, so the
// `no-command` failure is built here but decided in ./index.ts.
import type { TrainingConfig } from '../types';
import type { ConfigDiagnostic, ConfigFormat } from '../config/types';
import { detectFormat } from '../config/format';
import { LineIndex, makeDiagnostic } from '../config/diagnostics';
import { parseTrainingConfig } from '../config/parse';
import { configLimitError } from '../config/limits';
import { flattenTree, sourceTreeOf, type FlatEntry } from '../config/sites';
import { tomlEntries } from '../config/toml';
import { ExternalConfigError, readExternalConfig, type ExternalConfig } from '../runner/externalConfig';
import { isOurTrainingFormat } from '../config/ourFormat';
import type { ResolveFailure } from './types';

export { isOurTrainingFormat };

export type Classified =
  | { kind: 'ours'; format: ConfigFormat; config: TrainingConfig; entries: FlatEntry[] }
  | { kind: 'foreign'; format: ConfigFormat; ext: ExternalConfig; entries: FlatEntry[]; ourProblems: ConfigDiagnostic[] }
  | { kind: 'invalid'; failure: ResolveFailure };

function entriesOf(text: string, format: ConfigFormat): FlatEntry[] {
  if (format === 'python') return [];
  return format === 'toml' ? tomlEntries(text) : flattenTree(sourceTreeOf(text, format));
}

export function failure(reason: ResolveFailure['reason'], errors: ConfigDiagnostic[], message = errors[0] ? oneLine(errors[0]) : reason): ResolveFailure {
  return { ok: false, reason, errors, message };
}

/** `file:line:col: message`, the form the contract's failure message uses. */
export function oneLine(d: ConfigDiagnostic): string {
  return `${d.file}:${d.line}:${d.column}: ${d.message}`;
}

/** Classifies a config from its text (the editor's buffer or the file on disk). */
export function classifyConfig(file: string, text: string, format: ConfigFormat = detectFormat(file, text)): Classified {
  // Beyond the size or nesting limits no reader below may see it (their recursion could abort the process).
  const limit = configLimitError(text, format);
  if (limit)
    return { kind: 'invalid', failure: failure('invalid-config', [makeDiagnostic(new LineIndex(text), file, limit.offset, limit.length, limit.message)]) };
  const parsed = parseTrainingConfig(text, file);
  const errors = parsed.diagnostics.filter((d) => d.severity === 'error');
  if (parsed.config && errors.length === 0) return { kind: 'ours', format: parsed.format, config: parsed.config, entries: entriesOf(text, parsed.format) };
  const looksOurs = isOurTrainingFormat(file, text, format);
  try {
    const ext = readExternalConfig(file, text, format);
    // Meant as ours but with mistakes: invalid, unless its own tuner.command trains it (the command reads the file, not us).
    if (looksOurs && !ext.command) return { kind: 'invalid', failure: failure('invalid-config', errors) };
    return { kind: 'foreign', format, ext, entries: entriesOf(text, format), ourProblems: errors };
  } catch (e) {
    if (!(e instanceof ExternalConfigError)) throw e;
    if (looksOurs) return { kind: 'invalid', failure: failure('invalid-config', errors) };
    const d = e.diagnostic ?? makeDiagnostic(new LineIndex(text), file, 0, 0, e.message);
    return { kind: 'invalid', failure: failure('invalid-config', [d], e.message) };
  }
}

/**
 * A user's own config that no layer gives a command: say how to add one (VS Code asks, then
 * resolves again with the answer). For YAML/JSON, also what stops it being one of ours.
 */
export function noCommandFailure(file: string, text: string, ourProblems: ConfigDiagnostic[]): ResolveFailure {
  const hint = `add tuner.command to ${file}, e.g. command: "\${python} train.py --config \${config}"`;
  const d = makeDiagnostic(new LineIndex(text), file, 0, 0, `no training command to run this config: ${hint}`);
  const ours = ourProblems.filter((p) => !/is YAML or JSON, not/.test(p.message));
  const first = `${file}: no tuner.command to run: ${hint}`;
  if (ours.length === 0) return failure('no-command', [d], first);
  const also = `; if it is meant to be a Batch Tuner training config, it has ${ours.length === 1 ? 'a problem' : `${ours.length} problems, the first`}: ${oneLine(ours[0])}`;
  return failure('no-command', [d, ...ours], first + also);
}

/** The range of a config key (the tuner section's, or a top-level one), for positioned errors. */
export function configKeyRange(entries: FlatEntry[], key: string, topLevel: boolean): { offset: number; length: number } {
  const e = [...entries].reverse().find((x) => x.key === key && (topLevel ? x.path.length === 1 : x.path.length >= 2));
  return e ? { offset: e.valueStart, length: e.valueEnd - e.valueStart } : { offset: 0, length: 0 };
}
