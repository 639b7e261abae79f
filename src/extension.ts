// Batch Tuner's extension host entry: builds the one context object and registers each feature.
// Nothing heavy happens here — no TensorFlow.js (trials run in child processes), no workspace
// search (the sidebar searches when it is first shown), core parsers load on first use.
import * as vscode from 'vscode';
import type { BatchTunerApi } from './vscode/api';
import { registerCodeLens } from './vscode/codeLens';
import { registerCommands } from './vscode/commands';
import { ConfigCatalog } from './vscode/configCatalog';
import { Ctx } from './vscode/ctx';
import { registerDiagnostics } from './vscode/diagnostics';
import { registerLiveView } from './vscode/liveView';
import { PanelManager } from './vscode/panel';
import { registerSidebarTree } from './vscode/sidebarTree';
import { registerStatusBar } from './vscode/statusBar';
import { StudyService, type SessionResult } from './vscode/studyService';
import { registerActiveEditorContext } from './vscode/editorContext';
import { setTrustOverride } from './vscode/trust';
import { setCommandPromptOverride, suggestTrainingCommand } from './vscode/commandPrompt';

export function activate(context: vscode.ExtensionContext): BatchTunerApi {
  const started = performance.now();
  const log = vscode.window.createOutputChannel('Batch Tuner', { log: true });
  context.subscriptions.push(log);
  const ctx = new Ctx(context, log);
  ctx.catalog = ctx.push(new ConfigCatalog(ctx));
  ctx.studies = ctx.push(new StudyService(ctx));
  ctx.panels = ctx.push(new PanelManager(ctx));

  registerCommands(ctx);
  registerCodeLens(ctx);
  const tree = registerSidebarTree(ctx);
  registerLiveView(ctx);
  registerStatusBar(ctx);
  registerDiagnostics(ctx);
  registerActiveEditorContext(ctx);
  ctx.setContext('batchTuner.studyRunning', false);

  let lastResult: SessionResult | undefined;
  ctx.push(ctx.studies.onDidEvent((e) => e.type === 'ended' && (lastResult = e.result)));
  ctx.push(
    vscode.workspace.onDidGrantWorkspaceTrust(() => {
      log.info('workspace trusted: tuning and training are enabled');
      if (ctx.panels.current) void ctx.panels.receive({ v: 1, type: 'ready' });
    }),
  );

  // After activation, not during it: whether stored studies exist (palette entries for Export/Open Study/Apply).
  const contextTimer = setTimeout(() => {
    void ctx.studies.listStudies().then((studies) => {
      if (studies.length > 0) ctx.setContext('batchTuner.hasStudy', true);
      if (studies.some((s) => s.recommendedBatchSize !== undefined)) ctx.setContext('batchTuner.hasRecommendation', true);
    });
  }, 1000);
  ctx.push({ dispose: () => clearTimeout(contextTimer) });

  const activationMs = performance.now() - started;
  log.info(`activated in ${activationMs.toFixed(1)} ms (VS Code ${vscode.version}, ${vscode.workspace.isTrusted ? 'trusted' : 'untrusted'} workspace)`);
  return {
    activationMs,
    isStudyRunning: () => ctx.studies.running !== undefined,
    test: {
      setTrustOverride,
      setCommandPromptOverride,
      suggestTrainingCommand,
      panelHtml: () => ctx.panels.current?.webview.html,
      panelConfig: () => ctx.panels.config,
      panelInit: () => ctx.panels.buildInit(),
      postFromPanel: (message) => ctx.panels.receive(message),
      rejectedPanelMessages: () => ctx.panels.rejectedMessages,
      panelMetricsSent: () => ctx.panels.metricsSent,
      lastResult: () => lastResult,
      configTree: () => tree.snapshot(),
    },
  };
}

export function deactivate(): void {
  // Disposables stop any running study (StudyService.dispose aborts it, which kills the trial's process tree).
}
