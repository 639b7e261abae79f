// Schema problems of our training configs in the Problems view. Only files that are clearly
// ours are checked, so unrelated YAML/JSON is never flagged: the resolver decides which files are
// ours (isOurTrainingFormat in core/resolve: *.batch-tuner.{yaml,yml,json,jsonc}, or YAML/JSON
// whose top level has a `model` mapping with a `type` and a `data` mapping with a `source`).
import * as vscode from 'vscode';
import type { ConfigDiagnostic, ConfigFormat } from '../core/config/types';
import { configModule, resolveModule } from './coreModules';
import { errorMessage, type Host } from './ctx';

const DEBOUNCE_MS = 300;

/** YAML/JSON by the editor's language (an untitled buffer has no file extension to go by). */
function formatOf(document: Pick<vscode.TextDocument, 'languageId'>): ConfigFormat | undefined {
  const lang = document.languageId;
  return lang === 'yaml' ? 'yaml' : lang === 'json' || lang === 'jsonc' ? 'json' : undefined;
}

/** Whether a document is one of our training configs (the resolver's rule). */
export async function isTrainingConfigDocument(document: Pick<vscode.TextDocument, 'fileName' | 'languageId' | 'getText'>): Promise<boolean> {
  const { isOurTrainingFormat } = await resolveModule();
  return isOurTrainingFormat(document.fileName, document.getText(), formatOf(document));
}

export function toVscodeDiagnostic(document: vscode.TextDocument, d: ConfigDiagnostic): vscode.Diagnostic {
  const start = document.positionAt(d.offset);
  const end = document.positionAt(d.offset + Math.max(d.length, 0));
  const range = d.length > 0 ? new vscode.Range(start, end) : (document.getWordRangeAtPosition(start) ?? new vscode.Range(start, start.translate(0, 1)));
  const diagnostic = new vscode.Diagnostic(range, d.message, d.severity === 'error' ? vscode.DiagnosticSeverity.Error : vscode.DiagnosticSeverity.Warning);
  diagnostic.source = 'Batch Tuner';
  return diagnostic;
}

export function registerDiagnostics(ctx: Host): vscode.DiagnosticCollection {
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
      collection.set(
        document.uri,
        result.diagnostics.map((d: ConfigDiagnostic) => toVscodeDiagnostic(document, d)),
      );
    } catch (err) {
      ctx.log.warn(`could not check ${document.fileName}: ${errorMessage(err)}`);
    }
  };
  const schedule = (document: vscode.TextDocument, delay: number) => {
    const key = document.uri.toString();
    clearTimeout(timers.get(key));
    timers.set(
      key,
      setTimeout(() => {
        timers.delete(key);
        void check(document);
      }, delay),
    );
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
