// The "Live Study" webview view in the sidebar: the running study's state at a glance with
// quick actions. Its UI is webview/sidebar/main.ts; this is the provider and the HTML shell.
import * as vscode from 'vscode';
import { validatePanelMessage, WEBVIEW_PROTOCOL_VERSION, type PanelToHost } from '../core/webviewProtocol';
import { applyToConfig } from './apply';
import { errorMessage, type Ctx } from './ctx';
import type { HostMessage, MessageOutcome } from './panel';
import { webviewHtml, webviewOptions } from './webviewHtml';

export const LIVE_VIEW_ID = 'batchTuner.live';
const METRICS_INTERVAL_MS = 250;

export class LiveViewProvider implements vscode.WebviewViewProvider {
  private view: vscode.WebviewView | undefined;
  private lastMetrics = 0;

  constructor(private readonly ctx: Ctx) {
    ctx.push(
      ctx.studies.onDidEvent((e) => {
        if (!this.view) return;
        if (e.type === 'started') {
          void this.postInit(e.session.configUri);
          return;
        }
        if (e.type === 'ended') {
          this.post({ type: 'running', running: false });
          if (e.result.status !== 'untrusted' && e.result.status !== 'busy' && e.result.status !== 'invalid-config' && e.result.recommendation)
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
      }),
    );
  }

  resolveWebviewView(view: vscode.WebviewView): void {
    this.view = view;
    view.webview.options = webviewOptions(this.ctx.extensionUri);
    view.webview.html = webviewHtml(view.webview, this.ctx.extensionUri, 'sidebar', 'Batch Tuner: Live Study');
    view.webview.onDidReceiveMessage((m: unknown) => void this.receive(m));
    view.onDidDispose(() => {
      if (this.view === view) this.view = undefined;
    });
  }

  async receive(raw: unknown): Promise<MessageOutcome> {
    const checked = validatePanelMessage(raw);
    if (!checked.ok) {
      this.ctx.log.warn(`ignored an invalid message from the live view: ${checked.error}`);
      return { accepted: false, error: checked.error };
    }
    try {
      await this.handle(checked.value);
    } catch (err) {
      this.post({ type: 'error', message: errorMessage(err) });
    }
    return { accepted: true };
  }

  private async handle(m: PanelToHost): Promise<void> {
    const config = this.configUri();
    switch (m.type) {
      case 'ready':
        await this.postInit(config);
        return;
      case 'stop':
        this.ctx.studies.stop();
        return;
      case 'openPanel':
        this.ctx.panels.show(config);
        return;
      case 'tuneActiveConfig':
      case 'start':
        await vscode.commands.executeCommand('batchTuner.tune', config, m.type === 'start' ? { settings: m.settings } : undefined);
        return;
      case 'trainOnce':
        await vscode.commands.executeCommand('batchTuner.train', config, m.batchSize, { steps: m.steps, schedule: m.schedule });
        return;
      case 'apply':
        if (config) await applyToConfig(this.ctx, config, { batchSize: m.batchSize, learningRate: m.learningRate, schedule: m.schedule });
        return;
      case 'openConfig':
        if (config) await vscode.window.showTextDocument(config, { preview: false });
        return;
      case 'exportReport':
        await vscode.commands.executeCommand('batchTuner.exportReport', config);
        return;
      case 'settingsChanged':
      case 'drawn':
        return;
    }
  }

  /** The config the view is about: the running study's, else the panel's, else the active editor's. */
  private configUri(): vscode.Uri | undefined {
    const editor = vscode.window.activeTextEditor?.document;
    return this.ctx.studies.running?.configUri ?? this.ctx.panels.config ?? (editor && this.ctx.catalog.matchesGlobs(editor) ? editor.uri : undefined);
  }

  private async postInit(uri: vscode.Uri | undefined): Promise<void> {
    this.post({ type: 'init', init: await this.ctx.panels.buildInit(uri) });
  }

  private post(message: HostMessage): void {
    void this.view?.webview.postMessage({ v: WEBVIEW_PROTOCOL_VERSION, ...message });
  }
}

export function registerLiveView(ctx: Ctx): LiveViewProvider {
  const provider = new LiveViewProvider(ctx);
  ctx.push(vscode.window.registerWebviewViewProvider(LIVE_VIEW_ID, provider));
  return provider;
}
