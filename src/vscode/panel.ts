// The tuner panel, host side: one WebviewPanel (restored after a window reload by its
// serializer), fed with PanelInit on `ready`, then live trial/phase/metrics messages. What the
// webview posts goes to the one message router (./messageRouter.ts), which validates it first.
import * as vscode from 'vscode';
import { WEBVIEW_PROTOCOL_VERSION, type MetricsBatch, type PanelInit, type PanelSettings } from '../core/webviewProtocol';
import { isObj } from '../core/guards';
import { ConfigCatalog } from './configCatalog';
import type { Host } from './ctx';
import { endedMessage, type HostMessage, type MessageRouter, type WebviewEndpoint } from './messageRouter';
import { buildPanelInit } from './panelInit';
import type { ServiceEvent, Session, StudyService } from './studyService';
import type { StudyStore } from './studyStore';
import { webviewHtml, webviewOptions } from './webviewHtml';

export const PANEL_VIEW_TYPE = 'batchTuner.panel';
const PANEL_CONFIG_KEY = 'batchTuner.panel.configPath';
/** At most ~20 metric messages a second: charts stay smooth and the host is not flooded. */
const METRICS_INTERVAL_MS = 50;

export class PanelManager implements vscode.Disposable, WebviewEndpoint {
  readonly name = 'tuner panel';
  private panel: vscode.WebviewPanel | undefined;
  private configUri: vscode.Uri | undefined;
  private settingsOverride: PanelSettings | undefined;
  /** A stored study to show instead of the config's latest. */
  private studyFile: string | undefined;
  private pending = new Map<string, MetricsBatch>();
  private readonly trialBatchSizes = new Map<string, number>();
  private flushTimer: NodeJS.Timeout | undefined;
  private readonly disposables: vscode.Disposable[] = [];
  /** Metric messages posted (time and step count), for tests of the ~20 per second cap. */
  readonly metricsSent: Array<{ sentAt: number; steps: number }> = [];
  /** Latency samples (drawnAt - sentAt, ms) the panel reports, for the UI benchmark. */
  readonly drawLatenciesMs: number[] = [];

  constructor(
    private readonly host: Host,
    private readonly studies: StudyService,
    private readonly store: StudyStore,
    private readonly router: MessageRouter,
  ) {
    this.disposables.push(
      vscode.window.registerWebviewPanelSerializer(PANEL_VIEW_TYPE, {
        deserializeWebviewPanel: async (panel, state: unknown) => {
          // The webview's own state names its config; else the one this workspace last showed.
          const configPath = isObj(state) && typeof state.configPath === 'string' ? state.configPath : host.workspaceState.get<string>(PANEL_CONFIG_KEY);
          this.adopt(panel, configPath ? vscode.Uri.file(configPath) : undefined);
        },
      }),
      studies.onDidEvent((e) => this.onServiceEvent(e)),
    );
  }

  get current(): vscode.WebviewPanel | undefined {
    return this.panel;
  }

  get config(): vscode.Uri | undefined {
    return this.configUri;
  }

  /** Opens (or reveals) the panel, for a config when given (showing one stored study when studyFile is given). */
  show(configUri?: vscode.Uri, studyFile?: string): vscode.WebviewPanel {
    const changed = (configUri !== undefined && configUri.toString() !== this.configUri?.toString()) || studyFile !== this.studyFile;
    if (configUri) this.configUri = configUri;
    if (configUri || studyFile) this.studyFile = studyFile;
    if (this.panel) {
      this.panel.reveal(undefined, false);
      if (changed) {
        this.settingsOverride = undefined;
        void this.postInit();
      }
      return this.panel;
    }
    const panel = vscode.window.createWebviewPanel(PANEL_VIEW_TYPE, 'Batch Tuner', vscode.ViewColumn.Beside, {
      ...webviewOptions(this.host.extensionUri),
      // State lives in the webview (getState/setState): nothing is kept alive while hidden.
      retainContextWhenHidden: false,
    });
    this.adopt(panel, this.configUri);
    return panel;
  }

  private adopt(panel: vscode.WebviewPanel, configUri: vscode.Uri | undefined): void {
    this.panel = panel;
    if (configUri) this.configUri = configUri;
    panel.iconPath = vscode.Uri.joinPath(this.host.extensionUri, 'media', 'batch-tuner.svg');
    panel.webview.options = webviewOptions(this.host.extensionUri);
    panel.title = this.configUri ? `Batch Tuner: ${ConfigCatalog.label(this.configUri)}` : 'Batch Tuner';
    panel.webview.html = webviewHtml(panel.webview, this.host.extensionUri, 'panel', panel.title);
    const subs = [
      panel.webview.onDidReceiveMessage((m: unknown) => void this.router.receive(this, m)),
      panel.onDidDispose(() => {
        for (const d of subs) d.dispose();
        if (this.panel === panel) this.panel = undefined;
        clearTimeout(this.flushTimer);
        this.flushTimer = undefined;
        this.pending.clear();
      }),
    ];
  }

  // --- WebviewEndpoint (the router calls these) ---

  currentConfig(): vscode.Uri | undefined {
    return this.configUri;
  }

  async requireConfig(): Promise<vscode.Uri | undefined> {
    if (this.configUri) return this.configUri;
    const picked = await vscode.commands.executeCommand<vscode.Uri | undefined>('batchTuner.internal.pickConfig');
    if (picked) {
      this.configUri = picked;
      await this.postInit();
    }
    return picked;
  }

  settings(): PanelSettings | undefined {
    return this.settingsOverride;
  }

  settingsChanged(settings: PanelSettings): void {
    this.settingsOverride = settings;
  }

  drawn(sentAt: number, drawnAt: number): void {
    this.drawLatenciesMs.push(drawnAt - sentAt);
    if (this.drawLatenciesMs.length > 10_000) this.drawLatenciesMs.splice(0, 5_000);
  }

  /** The PanelInit for a config (default: the panel's), and why that config could not be resolved. */
  async buildInit(uri: vscode.Uri | undefined = this.configUri): Promise<{ init: PanelInit; problem?: string }> {
    const mine = uri?.toString() === this.configUri?.toString();
    return buildPanelInit(this.studies, this.store, {
      uri,
      ...(mine && this.studyFile ? { studyFile: this.studyFile } : {}),
      ...(mine && this.settingsOverride ? { settings: this.settingsOverride } : {}),
    });
  }

  async postInit(): Promise<void> {
    if (!this.panel) return;
    void this.host.workspaceState.update(PANEL_CONFIG_KEY, this.configUri?.fsPath);
    if (this.configUri) this.panel.title = `Batch Tuner: ${ConfigCatalog.label(this.configUri)}`;
    const { init, problem } = await this.buildInit();
    this.post({ type: 'init', init });
    if (problem) this.post({ type: 'error', message: problem });
  }

  post(message: HostMessage): void {
    void this.panel?.webview.postMessage({ v: WEBVIEW_PROTOCOL_VERSION, ...message });
  }

  private onServiceEvent(e: ServiceEvent): void {
    if (!this.panel) return;
    if (e.type === 'started') {
      // The panel follows the study that is running.
      if (e.session.configUri.toString() !== this.configUri?.toString()) {
        this.configUri = e.session.configUri;
        void this.postInit();
      }
      this.post({ type: 'running', running: true });
      return;
    }
    if (!this.isOurs(e.session)) return;
    if (e.type === 'ended') {
      this.flush();
      this.post(endedMessage(e));
      if (e.result.status === 'failed' && e.result.reason) this.post({ type: 'error', message: e.result.reason });
      return;
    }
    this.onStudyEvent(e.event);
  }

  private onStudyEvent(ev: Extract<ServiceEvent, { type: 'study' }>['event']): void {
    switch (ev.type) {
      case 'step':
      case 'eval': {
        let batch = this.pending.get(ev.trialId);
        if (!batch) {
          batch = { trialId: ev.trialId, batchSize: ev.type === 'step' ? ev.metrics.batchSize : 0, steps: [], evals: [] };
          this.pending.set(ev.trialId, batch);
        }
        if (ev.type === 'step') {
          batch.steps.push(ev.metrics);
          batch.batchSize ||= ev.metrics.batchSize;
        } else batch.evals.push(ev.metrics);
        this.flushTimer ??= setTimeout(() => this.flush(), METRICS_INTERVAL_MS);
        return;
      }
      case 'trial-start':
        this.trialBatchSizes.set(ev.trialId, ev.batchSize);
        return;
      case 'trial-end':
        this.flush();
        this.post({ type: 'trial', trial: ev.trial });
        return;
      case 'phase':
      case 'progress':
        this.post({ type: 'phase', phase: ev.phase, message: ev.message, progress: ev.progress });
        return;
      case 'recommendation':
        this.post({ type: 'recommendation', recommendation: ev.recommendation });
        return;
      case 'done':
        if (ev.recommendation) this.post({ type: 'recommendation', recommendation: ev.recommendation });
        return;
      default:
        return;
    }
  }

  private flush(): void {
    clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    if (this.pending.size === 0) return;
    const batches = [...this.pending.values()].map((b) => ({ ...b, batchSize: b.batchSize || this.trialBatchSizes.get(b.trialId) || 0 }));
    this.pending = new Map();
    const sentAt = Date.now();
    this.post({ type: 'metrics', batches, sentAt });
    this.metricsSent.push({ sentAt, steps: batches.reduce((n, b) => n + b.steps.length, 0) });
    if (this.metricsSent.length > 5000) this.metricsSent.splice(0, 2500);
  }

  private isOurs(session: Session): boolean {
    return session.configUri.toString() === this.configUri?.toString();
  }

  dispose(): void {
    clearTimeout(this.flushTimer);
    this.panel?.dispose();
    for (const d of this.disposables) d.dispose();
  }
}
