// A config resolved in VS Code: the editor's buffer, the batchTuner.* settings the person set
// (the editor layer) and, for a run, the panel's or the command's request (the run layer), through
// the one resolver (core/resolve). Previews (the panel's starting values, the batch-size picker)
// and runs (Tune, Train once, Train with Batch Size…) resolve the same way.
import * as os from 'node:os';
import * as vscode from 'vscode';
import type { ResolveFailure, ResolveResult, ResolvedStudy, RunLayer } from '../core/resolve/types';
import { askForTrainingCommand } from './commandPrompt';
import { resolveModule } from './coreModules';
import { editorSettingValues } from './settings';
import type { Host } from './ctx';

/**
 * A user's own config that has no training command yet still has a study (its settings do not
 * depend on the command): previews resolve it with this stand-in, which is never run.
 */
const PREVIEW_COMMAND = '<no training command yet>';

export interface Resolution {
  document: vscode.TextDocument;
  result: ResolveResult;
}

/** Resolves a config as it is in the editor; `command` stands in for a batchTuner.commands entry (a just-typed answer). */
export async function resolveConfig(uri: vscode.Uri, run?: RunLayer, command?: string): Promise<Resolution> {
  const document = await vscode.workspace.openTextDocument(uri);
  const { resolveStudy, editorLayer } = await resolveModule();
  const values = editorSettingValues(document);
  if (command) values.command = command;
  const result = resolveStudy({
    file: document.uri.fsPath,
    text: document.getText(),
    editor: editorLayer(values),
    ...(run ? { run } : {}),
    machine: { totalMemoryBytes: os.totalmem() },
  });
  return { document, result };
}

/** The study a config would get now (for display only: a missing command is not asked for). */
export async function previewConfig(uri: vscode.Uri): Promise<Resolution> {
  const first = await resolveConfig(uri);
  if (first.result.ok || first.result.reason !== 'no-command') return first;
  return resolveConfig(uri, undefined, PREVIEW_COMMAND);
}

export type RunResolution = { ok: true; resolved: ResolvedStudy; document: vscode.TextDocument } | { ok: false; reason: string };

/**
 * Resolves a config for a run. A user's own config without a command: asks for one (it is saved
 * in the workspace's batchTuner.commands) and resolves again. A problem is shown with
 * file:line:col and what to do. Call only in a trusted workspace: the answer will run.
 */
export async function resolveForRun(host: Host, uri: vscode.Uri, run: RunLayer): Promise<RunResolution> {
  let { document, result } = await resolveConfig(uri, run);
  const rel = vscode.workspace.asRelativePath(uri);
  if (!result.ok && result.reason === 'no-command') {
    const command = await askForTrainingCommand(host, uri, await runsThroughShell(uri, run));
    if (!command) {
      const reason = `${rel} is not a Batch Tuner training config and has no training command, so nothing was run. Give one when asked, or add one under "batchTuner.commands" in the settings or a tuner.command key in the config.`;
      host.log.info(reason);
      void vscode.window.showInformationMessage(`Batch Tuner: ${reason}`);
      return { ok: false, reason };
    }
    // Passed as well as saved: a config outside every workspace folder cannot save it.
    ({ document, result } = await resolveConfig(uri, run, command));
  }
  if (result.ok) return { ok: true, resolved: result, document };
  return { ok: false, reason: refuse(host, result, document) };
}

/** Whether the config's command would run through a shell (its tuner.shell), found with the stand-in command. */
async function runsThroughShell(uri: vscode.Uri, run: RunLayer): Promise<boolean> {
  const { result } = await resolveConfig(uri, run, PREVIEW_COMMAND);
  return result.ok && result.runner.kind !== 'trainer' && result.runner.shell;
}

/** Shows why a config cannot be used (paths relative to the workspace), with Open Config; returns the reason. */
function refuse(host: Host, f: ResolveFailure, document: vscode.TextDocument): string {
  const rel = vscode.workspace.asRelativePath(document.uri);
  const more = f.reason === 'invalid-config' && f.errors.length > 1 ? ` (and ${f.errors.length - 1} more problem(s), see the Problems view)` : '';
  const reason = `${f.message.split(document.uri.fsPath).join(rel)}${more}. Fix it and try again.`;
  const first = f.errors[0];
  const positioned = first && (f.reason === 'invalid-config' || f.message.startsWith(document.uri.fsPath));
  const selection = positioned ? new vscode.Range(first.line - 1, first.column - 1, first.endLine - 1, first.endColumn - 1) : undefined;
  host.log.error(reason);
  void vscode.window.showErrorMessage(`Batch Tuner: ${reason}`, 'Open Config').then((c) => {
    if (c) void vscode.window.showTextDocument(document, { selection });
  });
  return reason;
}
