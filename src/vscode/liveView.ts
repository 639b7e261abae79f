// The "Live Study" webview view in the sidebar: the running study's state at a glance with
// quick actions. Its UI is webview/sidebar/main.ts; this is the provider and the HTML shell. What
// it posts goes to the same message router as the panel's messages.
import * as vscode from 'vscode';
import { WEBVIEW_PROTOCOL_VERSION } from '../core/webviewProtocol';
import type { Host } from './ctx';
import { endedMessage, type HostMessage, type MessageRouter, type WebviewEndpoint } from './messageRouter';
import { buildPanelInit } from './panelInit';
import type { ServiceEvent, StudyService } from './studyService';
import type { StudyStore } from './studyStore';
import { webviewHtml, webviewOptions } from './webviewHtml';

export const LIVE_VIEW_ID = 'batchTuner.live';
const METRICS_INTERVAL_MS = 250;

export class LiveViewProvider implements vscode.WebviewViewProvider, WebviewEndpoint {
  readonly name = 'live view';
  private view: vscode.WebviewView | undefined;
  private lastMetrics = 0;

  constructor(
    private readonly host: Host,
    private readonly studies: StudyService,
    private readonly store: StudyStore,
    private readonly router: MessageRouter,
    /** The config the view shows when nothing runs: the panel's, else the active editor's. */
    private readonly idleConfig: () => vscode.Uri | undefined,
  ) {
    host.push(studies.onDidEvent((e) => this.onServiceEvent(e)));
  }

  resolveWebviewView(view: vscode.WebviewView): void {
    this.view = view;
    view.webview.options = webviewOptions(this.host.extensionUri);
    view.webview.html = webviewHtml(view.webview, this.host.extensionUri, 'sidebar', 'Batch Tuner: Live Study');
    view.webview.onDidReceiveMessage((m: unknown) => void this.router.receive(this, m));
    view.onDidDispose(() => {
      if (this.view === view) this.view = undefined;
    });
  }

  // --- WebviewEndpoint (the router calls these) ---

  /** The running study's config, else the panel's, else the active editor's. */
  currentConfig(): vscode.Uri | undefined {
    return this.studies.running?.configUri ?? this.idleConfig();
  }

  async requireConfig(): Promise<vscode.Uri | undefined> {
    return this.currentConfig();
  }

  async postInit(uri = this.currentConfig()): Promise<void> {
    if (!this.view) return;
    this.post({ type: 'init', init: (await buildPanelInit(this.studies, this.store, { uri })).init });
  }

  post(message: HostMessage): void {
    void this.view?.webview.postMessage({ v: WEBVIEW_PROTOCOL_VERSION, ...message });
  }

  private onServiceEvent(e: ServiceEvent): void {
    if (!this.view) return;
    if (e.type === 'started') {
      void this.postInit(e.session.configUri);
      return;
    }
    if (e.type === 'ended') {
      this.post(endedMessage(e));
      if ((e.result.status === 'completed' || e.result.status === 'stopped' || e.result.status === 'failed') && e.result.recommendation)
        this.post({ type: 'recommendation', recommendation: e.result.recommendation });
      return;
    }
    const ev = e.event;
    if (ev.type === 'phase' || ev.type === 'progress') this.post({ type: 'phase', phase: ev.phase, message: ev.message, progress: ev.progress });
    else if (ev.type === 'trial-end') this.post({ type: 'trial', trial: ev.trial });
    else if (ev.type === 'recommendation') this.post({ type: 'recommendation', recommendation: ev.recommendation });
    else if (ev.type === 'step' && Date.now() - this.lastMetrics > METRICS_INTERVAL_MS) {
      // The sidebar shows the latest point only: a few updates a second are plenty.
      this.lastMetrics = Date.now();
      this.post({ type: 'metrics', batches: [{ trialId: ev.trialId, batchSize: ev.metrics.batchSize, steps: [ev.metrics], evals: [] }], sentAt: Date.now() });
    }
  }
}

export function registerLiveView(ctx: { liveView: LiveViewProvider; push<T extends vscode.Disposable>(d: T): T }): void {
  ctx.push(vscode.window.registerWebviewViewProvider(LIVE_VIEW_ID, ctx.liveView));
}
