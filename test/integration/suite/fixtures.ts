// Shared helpers of the extension's integration tests: the workspace fixtures, the API object
// activate() returns, and waiting for asynchronous UI state.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { BatchTunerApi, BatchTunerTestApi } from '../../../src/vscode/api';
import { activatedExtension } from './extensionUnderTest';

/** The API activate() returns, with its test hooks (present because VS Code runs this suite in ExtensionMode.Test). */
export async function batchTunerApi(): Promise<BatchTunerApi & { test: BatchTunerTestApi }> {
  const ext = await activatedExtension();
  const api = ext.exports as BatchTunerApi | undefined;
  assert.ok(api && typeof api.activationMs === 'number', 'activate() did not return the Batch Tuner API object');
  assert.ok(api.test, 'activate() returned no test API although the extension runs in ExtensionMode.Test');
  return api as BatchTunerApi & { test: BatchTunerTestApi };
}

export function workspaceFile(...segments: string[]): vscode.Uri {
  const folder = vscode.workspace.workspaceFolders?.[0];
  assert.ok(folder, 'no workspace folder is open');
  return vscode.Uri.joinPath(folder.uri, ...segments);
}

export async function waitFor<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) assert.fail(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export async function codeLensesOf(uri: vscode.Uri): Promise<vscode.CodeLens[]> {
  await vscode.workspace.openTextDocument(uri);
  return (await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', uri, 100)) ?? [];
}

/** Our lenses only (other extensions may add theirs), with their titles. */
export function batchTunerLenses(lenses: vscode.CodeLens[]): Array<{ line: number; character: number; title: string; command: string }> {
  return lenses
    .filter((l) => l.command?.command.startsWith('batchTuner.'))
    .map((l) => ({ line: l.range.start.line, character: l.range.start.character, title: l.command?.title ?? '', command: l.command?.command ?? '' }));
}
