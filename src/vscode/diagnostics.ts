// Schema problems of our training configs in the Problems view. Only files that are clearly
// ours are checked, so unrelated YAML/JSON is never flagged: files named
// *.batch-tuner.{yaml,yml,json,jsonc}, or YAML/JSON whose top level has a `model` mapping with a
// `type` key and a `data` mapping with a `source` key (the schema's two required discriminators;
// Lightning/Hydra configs also have top-level model/data, but with class_path/_target_).
import * as vscode from 'vscode';
import type { ConfigDiagnostic } from '../core/config/types';
import { configModule } from './coreModules';
import { errorMessage, type Ctx } from './ctx';

const OUR_FILE_NAME = /\.batch-tuner\.(ya?ml|jsonc?)$/i;
const DEBOUNCE_MS = 300;

/** Whether a document is one of our training configs (see the rule above). */
export async function isTrainingConfigDocument(document: Pick<vscode.TextDocument, 'fileName' | 'languageId' | 'getText'>): Promise<boolean> {
  if (OUR_FILE_NAME.test(document.fileName)) return true;
  const lang = document.languageId;
  const isYaml = lang === 'yaml' || /\.ya?ml$/i.test(document.fileName);
  const isJson = lang === 'json' || lang === 'jsonc' || /\.jsonc?$/i.test(document.fileName);
  if (!isYaml && !isJson) return false;
  const text = document.getText();
  // Cheap pre-check before parsing: both keys must appear somewhere.
  if (!/\bmodel\b/.test(text) || !/\bdata\b/.test(text)) return false;
  let root: unknown;
  try {
    if (isYaml) {
      const { parseDocument } = await import('yaml');
      root = parseDocument(text, { uniqueKeys: false }).toJS({ maxAliasCount: 100 });
    } else {
      const { parse } = await import('jsonc-parser');
      root = parse(text, [], { allowTrailingComma: true, disallowComments: false });
    }
  } catch {
    // A YAML syntax error: ours only if the top-level keys are plainly there.
    return /^model[ \t]*:/m.test(text) && /^data[ \t]*:/m.test(text) && /^[ \t]+type[ \t]*:/m.test(text) && /^[ \t]+source[ \t]*:/m.test(text);
  }
  if (!isMapping(root)) return false;
  return isMapping(root.model) && 'type' in root.model && isMapping(root.data) && 'source' in root.data;
}

function isMapping(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

export function toVscodeDiagnostic(document: vscode.TextDocument, d: ConfigDiagnostic): vscode.Diagnostic {
  const start = document.positionAt(d.offset);
  const end = document.positionAt(d.offset + Math.max(d.length, 0));
  const range = d.length > 0 ? new vscode.Range(start, end) : document.getWordRangeAtPosition(start) ?? new vscode.Range(start, start.translate(0, 1));
  const diagnostic = new vscode.Diagnostic(range, d.message, d.severity === 'error' ? vscode.DiagnosticSeverity.Error : vscode.DiagnosticSeverity.Warning);
  diagnostic.source = 'Batch Tuner';
  return diagnostic;
}

export function registerDiagnostics(ctx: Ctx): vscode.DiagnosticCollection {
  const collection = ctx.push(vscode.languages.createDiagnosticCollection('batch-tuner'));
  const timers = new Map<string, NodeJS.Timeout>();

  const check = async (document: vscode.TextDocument) => {
    if (document.uri.scheme !== 'file' && document.uri.scheme !== 'untitled') return;
    try {
      if (!(await isTrainingConfigDocument(document))) {
        collection.delete(document.uri);
        return;
      }
      const version = document.version;
      const { parseTrainingConfig } = await configModule();
      const result = parseTrainingConfig(document.getText(), document.fileName);
      if (document.isClosed || document.version !== version) return;
      collection.set(document.uri, result.diagnostics.map((d: ConfigDiagnostic) => toVscodeDiagnostic(document, d)));
    } catch (err) {
      ctx.log.warn(`could not check ${document.fileName}: ${errorMessage(err)}`);
    }
  };
  const schedule = (document: vscode.TextDocument, delay: number) => {
    const key = document.uri.toString();
    clearTimeout(timers.get(key));
    timers.set(key, setTimeout(() => {
      timers.delete(key);
      void check(document);
    }, delay));
  };

  ctx.push(vscode.workspace.onDidOpenTextDocument((d) => schedule(d, 0)));
  ctx.push(vscode.workspace.onDidChangeTextDocument((e) => e.contentChanges.length > 0 && schedule(e.document, DEBOUNCE_MS)));
  ctx.push(vscode.workspace.onDidSaveTextDocument((d) => schedule(d, 0)));
  ctx.push(
    vscode.workspace.onDidCloseTextDocument((d) => {
      clearTimeout(timers.get(d.uri.toString()));
      collection.delete(d.uri);
    }),
  );
  ctx.push({ dispose: () => timers.forEach((t) => clearTimeout(t)) });
  // Documents already open when the extension activated (the one that triggered onLanguage).
  for (const d of vscode.workspace.textDocuments) schedule(d, 0);
  return collection;
}
