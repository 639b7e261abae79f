// The `batchTuner.activeEditorIsConfig` context key: editor-title and context-menu actions
// appear only on documents where a batch-size key was found.
import * as vscode from 'vscode';
import type { Ctx } from './ctx';

export function registerActiveEditorContext(ctx: Ctx): void {
  let seq = 0;
  const update = async (editor: vscode.TextEditor | undefined) => {
    const mine = ++seq;
    const doc = editor?.document;
    const isConfig = doc !== undefined && ctx.catalog.matchesGlobs(doc) && (await ctx.catalog.sitesIn(doc)).length > 0;
    if (mine === seq) ctx.setContext('batchTuner.activeEditorIsConfig', isConfig);
  };
  ctx.push(vscode.window.onDidChangeActiveTextEditor((e) => void update(e)));
  ctx.push(
    vscode.workspace.onDidSaveTextDocument((d) => {
      if (d === vscode.window.activeTextEditor?.document) void update(vscode.window.activeTextEditor);
    }),
  );
  // Deferred so that activation itself never waits on a parser.
  setTimeout(() => void update(vscode.window.activeTextEditor), 0);
}
