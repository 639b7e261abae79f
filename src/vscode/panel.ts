// The tuner panel, host side: one WebviewPanel (restored after a window reload by its
// serializer), fed with PanelInit on `ready`, then live trial/phase/metrics messages. Every
// message the webview posts is validated before anything acts on it.
import * as os from 'node:os';
import * as vscode from 'vscode';
import type { StudyRecord } from '../core/study/types';
import type { Recommendation, TrialSummary } from '../core/types';
import { validatePanelMessage, WEBVIEW_PROTOCOL_VERSION, type HostToPanel, type MetricsBatch, type PanelInit, type PanelSettings, type PanelToHost } from '../core/webviewProtocol';
import { isObj } from '../core/guards';
import { applyToConfig } from './apply';
import { ConfigCatalog } from './configCatalog';
import { configModule } from './coreModules';
import { errorMessage, type Ctx } from './ctx';
import { datasetSizeOf, defaultPanelSettings, type ServiceEvent, type Session } from './studyService';
import { isWorkspaceTrusted } from './trust';
import { webviewHtml, webviewOptions } from './webviewHtml';

export const PANEL_VIEW_TYPE = 'batchTuner.panel';
const PANEL_CONFIG_KEY = 'batchTuner.panel.configPath';
/** At most ~20 metric messages a second: charts stay smooth and the host is not flooded. */
const METRICS_INTERVAL_MS = 50;

type WithoutVersion<T> = T extends unknown ? Omit<T, 'v'> : never;
export type HostMessage = WithoutVersion<HostToPanel>;

export interface MessageOutcome {
  accepted: boolean;
  error?: string;
}

export class PanelManager implements vscode.Disposable {
  private panel: vscode.WebviewPanel | undefined;
  private configUri: vscode.Uri | undefined;
  private settingsOverride: PanelSettings | undefined;
  /** A stored study to show instead of the config's latest. */
  private studyFile: string | undefined;
  private pending = new Map<string, MetricsBatch>();
  private flushTimer: NodeJS.Timeout | undefined;
  private readonly disposables: vscode.Disposable[] = [];
  /** Messages rejected by validation (for tests and the log). */
  rejectedMessages = 0;
  /** Metric messages posted (time and step count), for tests of the ~20 per second cap. */
  readonly metricsSent: Array<{ sentAt: number; steps: number }> = [];
  /** Latency samples (drawnAt - sentAt, ms) the panel reports, for the UI benchmark. */
  readonly drawLatenciesMs: number[] = [];

  constructor(private readonly ctx: Ctx) {
    this.disposables.push(
      vscode.window.registerWebviewPanelSerializer(PANEL_VIEW_TYPE, {
        deserializeWebviewPanel: async (panel, state: unknown) => {
          // The webview's own state names its config; else the one this workspace last showed.
          const configPath =
            isObj(state) && typeof state.configPath === 'string' ? state.configPath : ctx.workspaceState.get<string>(PANEL_CONFIG_KEY);
          this.adopt(panel, configPath ? vscode.Uri.file(configPath) : undefined);
        },
      }),
      ctx.studies.onDidEvent((e) => this.onServiceEvent(e)),
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
      ...webviewOptions(this.ctx.extensionUri),
      // State lives in the webview (getState/setState): nothing is kept alive while hidden.
      retainContextWhenHidden: false,
    });
    this.adopt(panel, this.configUri);
    return panel;
  }

  private adopt(panel: vscode.WebviewPanel, configUri: vscode.Uri | undefined): void {
    this.panel = panel;
    if (configUri) this.configUri = configUri;
    panel.iconPath = vscode.Uri.joinPath(this.ctx.extensionUri, 'media', 'batch-tuner.svg');
    panel.webview.options = webviewOptions(this.ctx.extensionUri);
    panel.title = this.configUri ? `Batch Tuner: ${ConfigCatalog.label(this.configUri)}` : 'Batch Tuner';
    panel.webview.html = webviewHtml(panel.webview, this.ctx.extensionUri, 'panel', panel.title);
    const subs = [
      panel.webview.onDidReceiveMessage((m: unknown) => void this.receive(m)),
      panel.onDidDispose(() => {
        subs.forEach((d) => d.dispose());
        if (this.panel === panel) this.panel = undefined;
        clearTimeout(this.flushTimer);
        this.flushTimer = undefined;
        this.pending.clear();
      }),
    ];
  }

  /** Handles one message from the webview. Invalid ones are logged and ignored. */
  async receive(raw: unknown): Promise<MessageOutcome> {
    const checked = validatePanelMessage(raw);
    if (!checked.ok) {
      this.rejectedMessages++;
      this.ctx.log.warn(`ignored an invalid message from the tuner panel: ${checked.error}`);
      return { accepted: false, error: checked.error };
    }
    try {
      await this.handle(checked.value);
    } catch (err) {
      this.ctx.log.error(`panel message "${checked.value.type}" failed: ${errorMessage(err)}`);
      this.post({ type: 'error', message: errorMessage(err) });
    }
    return { accepted: true };
  }

  private async handle(m: PanelToHost): Promise<void> {
    switch (m.type) {
      case 'ready':
        await this.postInit();
        return;
      case 'start': {
        this.settingsOverride = m.settings;
        const uri = await this.requireConfig();
        if (uri) void this.ctx.studies.tune(uri, { settings: m.settings }).then((r) => this.reportRefusal(r));
        return;
      }
      case 'stop':
        this.ctx.studies.stop();
        return;
      case 'trainOnce': {
        const uri = await this.requireConfig();
        if (uri) void this.ctx.studies.train(uri, m.batchSize, { steps: m.steps, schedule: m.schedule }).then((r) => this.reportRefusal(r));
        return;
      }
      case 'apply': {
        const uri = await this.requireConfig();
        if (!uri) return;
        const result = await applyToConfig(this.ctx, uri, { batchSize: m.batchSize, learningRate: m.learningRate, schedule: m.schedule });
        if (result.applied) this.post({ type: 'applied', batchSize: m.batchSize, learningRate: m.learningRate });
        else this.post({ type: 'error', message: result.reason ?? 'nothing was changed' });
        return;
      }
      case 'settingsChanged':
        this.settingsOverride = m.settings;
        return;
      case 'openConfig': {
        const uri = await this.requireConfig();
        if (uri) await vscode.window.showTextDocument(uri, { viewColumn: vscode.ViewColumn.One, preview: false });
        return;
      }
      case 'exportReport':
        await vscode.commands.executeCommand('batchTuner.exportReport', this.configUri);
        return;
      case 'openPanel':
        this.show();
        return;
      case 'tuneActiveConfig':
        await vscode.commands.executeCommand('batchTuner.tune', this.configUri);
        return;
      case 'drawn':
        this.drawLatenciesMs.push(m.drawnAt - m.sentAt);
        if (this.drawLatenciesMs.length > 10_000) this.drawLatenciesMs.splice(0, 5_000);
        return;
    }
  }

  private reportRefusal(r: { status: string; reason?: string }): void {
    if (r.status === 'untrusted' || r.status === 'busy' || r.status === 'invalid-config') this.post({ type: 'error', message: r.reason ?? r.status });
  }

  private async requireConfig(): Promise<vscode.Uri | undefined> {
    if (this.configUri) return this.configUri;
    const picked = await vscode.commands.executeCommand<vscode.Uri | undefined>('batchTuner.internal.pickConfig');
    if (picked) {
      this.configUri = picked;
      await this.postInit();
    }
    return picked;
  }

  /** The panel's starting state: the config's values, defaults, and the running or latest study. */
  async buildInit(uri: vscode.Uri | undefined = this.configUri): Promise<PanelInit> {
    let config;
    /** A user's own config: its batch size and learning rate where findBatchSizeSites finds them. */
    let foreign: { batchSize?: number; learningRate?: number } = {};
    if (uri) {
      try {
        const document = await vscode.workspace.openTextDocument(uri);
        const { parseTrainingConfig, findBatchSizeSites, primaryBatchSizeSite } = await configModule();
        config = parseTrainingConfig(document.getText(), document.fileName).config;
        if (!config) {
          const site = primaryBatchSizeSite(findBatchSizeSites(document.getText(), document.fileName));
          const finite = (x: number | undefined) => (x !== undefined && Number.isFinite(x) ? x : undefined);
          foreign = { batchSize: finite(site?.batchSize.value), learningRate: finite(site?.learningRate?.value) };
        }
      } catch (err) {
        this.ctx.log.warn(`tuner panel: could not read ${uri.fsPath}: ${errorMessage(err)}`);
      }
    }
    const running = this.ctx.studies.running;
    const ours = running && uri && running.configUri.toString() === uri.toString() ? running : undefined;
    let trials: TrialSummary[] = ours?.trials ?? [];
    let recommendation: Recommendation | undefined = ours?.recommendation;
    if (!ours && uri) {
      const latest: StudyRecord | undefined =
        this.studyFile && uri.toString() === this.configUri?.toString() ? await this.ctx.studies.readStudy(this.studyFile) : await this.ctx.studies.latestStudy(uri);
      if (latest) {
        trials = latest.trials.map(({ series: _series, ...t }) => t);
        recommendation = latest.recommendation;
      }
      trials = [...trials, ...this.ctx.studies.adHocTrials(uri)];
    }
    return {
      configPath: uri?.fsPath,
      configLabel: uri ? ConfigCatalog.label(uri) : undefined,
      currentBatchSize: config?.batch_size ?? foreign.batchSize,
      currentLearningRate: config?.optimizer.learning_rate ?? foreign.learningRate,
      // A user's own config does not say how much data it has: the slider then ends at 65,536.
      datasetSize: config ? datasetSizeOf(config) : foreign.batchSize ? 1 << 16 : 8000,
      totalMemoryBytes: os.totalmem(),
      settings: (uri?.toString() === this.configUri?.toString() ? this.settingsOverride : undefined) ?? {
        ...defaultPanelSettings(config, uri),
        ...(foreign.batchSize ? { batchSize: foreign.batchSize } : {}),
      },
      trusted: isWorkspaceTrusted(),
      running: running !== undefined,
      trials,
      recommendation,
    };
  }

  private async postInit(): Promise<void> {
    if (!this.panel) return;
    void this.ctx.workspaceState.update(PANEL_CONFIG_KEY, this.configUri?.fsPath);
    if (this.configUri) this.panel.title = `Batch Tuner: ${ConfigCatalog.label(this.configUri)}`;
    this.post({ type: 'init', init: await this.buildInit() });
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
      this.post({ type: 'running', running: false });
      if (e.result.status === 'failed' && e.result.reason) this.post({ type: 'error', message: e.result.reason });
      return;
    }
    const ev = e.event;
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

  private readonly trialBatchSizes = new Map<string, number>();

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
    this.disposables.forEach((d) => d.dispose());
  }
}
