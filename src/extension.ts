// Batch Tuner's extension host entry: builds the one context object whole, registers each feature,
// and on deactivate stops what runs and waits for it. Nothing heavy happens here — no TensorFlow.js
// (trials run in child processes), no workspace search (the sidebar searches when it is first
// shown), core parsers and the resolver load on first use.
import * as vscode from 'vscode';
import type { BatchTunerApi } from './vscode/api';
import { registerCodeLens } from './vscode/codeLens';
import { registerCommands } from './vscode/commands';
import { createCtx, createHost, type Ctx } from './vscode/ctx';
import { registerDiagnostics } from './vscode/diagnostics';
import { registerActiveEditorContext } from './vscode/editorContext';
import { registerLiveView } from './vscode/liveView';
import { stopAllTrials, sweepLeftoversLater } from './vscode/shutdown';
import { registerSidebarTree } from './vscode/sidebarTree';
import { registerStatusBar } from './vscode/statusBar';
import { createTestApi } from './vscode/testApi';

/** The running extension's context, for deactivate(). */
let active: Ctx | undefined;

export function activate(context: vscode.ExtensionContext): BatchTunerApi {
  const started = performance.now();
  const log = vscode.window.createOutputChannel('Batch Tuner', { log: true });
  context.subscriptions.push(log);
  const ctx = createCtx(createHost(context, log));
  active = ctx;

  registerCommands(ctx);
  registerCodeLens(ctx);
  const tree = registerSidebarTree(ctx);
  registerLiveView(ctx);
  registerStatusBar(ctx);
  registerDiagnostics(ctx);
  registerActiveEditorContext(ctx);
  watchTrust(ctx);
  setStudyContextKeysLater(ctx);
  ctx.push(sweepLeftoversLater((line) => ctx.log.info(line)));
  ctx.setContext('batchTuner.studyRunning', false);

  const activationMs = performance.now() - started;
  log.info(`activated in ${activationMs.toFixed(1)} ms (VS Code ${vscode.version}, ${vscode.workspace.isTrusted ? 'trusted' : 'untrusted'} workspace)`);
  const api: BatchTunerApi = { activationMs, isStudyRunning: () => ctx.studies.running !== undefined };
  // The test hooks exist only while VS Code runs this extension's tests.
  return context.extensionMode === vscode.ExtensionMode.Test ? { ...api, test: createTestApi(ctx, tree) } : api;
}

/** Stops running trials and waits for their process trees to end (then VS Code disposes the rest). */
export async function deactivate(): Promise<void> {
  const ctx = active;
  active = undefined;
  await stopAllTrials(ctx?.studies, (line) => ctx?.log.warn(line));
}

function watchTrust(ctx: Ctx): void {
  ctx.push(
    vscode.workspace.onDidGrantWorkspaceTrust(() => {
      ctx.log.info('workspace trusted: tuning and training are enabled');
      if (ctx.panels.current) void ctx.panels.postInit();
    }),
  );
}

/** After activation, not during it: whether stored studies exist (palette entries for Export/Open Study/Apply). */
function setStudyContextKeysLater(ctx: Ctx): void {
  const timer = setTimeout(() => {
    void ctx.store.listStudies().then((studies) => {
      if (studies.length > 0) ctx.setContext('batchTuner.hasStudy', true);
      if (studies.some((s) => s.recommendedBatchSize !== undefined)) ctx.setContext('batchTuner.hasRecommendation', true);
    });
  }, 1000);
  ctx.push({ dispose: () => clearTimeout(timer) });
}
