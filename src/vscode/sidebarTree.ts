// The sidebar tree: training configs found in the workspace, their studies, and each study's trials.
import * as vscode from 'vscode';
import type { BatchSizeSite } from '../core/config/types';
import type { StudyListEntry } from '../core/study/types';
import { headlineParts, recommendationHeadline, studyEntryText, studyStatusText } from '../core/headline';
import type { Recommendation, TrialStatus, TrialSummary } from '../core/types';
import { recommendationTooltip } from './codeLens';
import { ConfigCatalog, type ConfigEntry } from './configCatalog';
import { errorMessage, type Ctx } from './ctx';
import type { Session } from './studyService';

type Node =
  /** `outsideGlobs`: listed only because a study on it is running (it does not match batchTuner.configGlobs). */
  | { kind: 'config'; uri: vscode.Uri; sites: BatchSizeSite[]; recommendation?: Recommendation; outsideGlobs?: boolean }
  | { kind: 'running'; session: Session }
  | { kind: 'study'; entry: StudyListEntry }
  | { kind: 'trial'; trial: TrialSummary; configUri: vscode.Uri }
  | { kind: 'message'; text: string };

const STATUS_ICON: Record<TrialStatus, [string, string]> = {
  ok: ['pass', 'testing.iconPassed'],
  oom: ['error', 'testing.iconFailed'],
  crashed: ['error', 'testing.iconFailed'],
  failed: ['error', 'testing.iconFailed'],
  timeout: ['watch', 'list.warningForeground'],
  cancelled: ['circle-slash', 'disabledForeground'],
};

export class ConfigTreeProvider implements vscode.TreeDataProvider<Node> {
  private readonly changed = new vscode.EventEmitter<Node | undefined>();
  readonly onDidChangeTreeData = this.changed.event;

  constructor(private readonly ctx: Ctx) {}

  refresh(): void {
    this.changed.fire(undefined);
  }

  /** The top level as the person sees it (label, description, context value): for tests. */
  async snapshot(): Promise<Array<{ label: string; description?: string; contextValue?: string }>> {
    const roots = await this.getChildren();
    return roots.map((n) => {
      const item = this.getTreeItem(n);
      const label = typeof item.label === 'string' ? item.label : (item.label?.label ?? '');
      return { label, description: typeof item.description === 'string' ? item.description : undefined, contextValue: item.contextValue };
    });
  }

  async getChildren(node?: Node): Promise<Node[]> {
    try {
      if (!node) {
        // Workspace discovery happens here, when the tree is first shown, never at activation.
        const entries = await this.withRunningConfig(await this.ctx.catalog.discover());
        return Promise.all(
          entries.map(async (e): Promise<Node> => ({
            kind: 'config',
            uri: e.uri,
            sites: e.sites,
            recommendation: (await this.ctx.store.latestStudy(e.uri))?.recommendation,
            outsideGlobs: e.outsideGlobs,
          })),
        );
      }
      if (node.kind === 'config') {
        const children: Node[] = [];
        const running = this.ctx.studies.running;
        if (running && running.configUri.toString() === node.uri.toString()) children.push({ kind: 'running', session: running });
        for (const entry of await this.ctx.store.listStudies(node.uri)) children.push({ kind: 'study', entry });
        return children;
      }
      if (node.kind === 'running') return node.session.trials.map((trial) => ({ kind: 'trial', trial, configUri: node.session.configUri }));
      if (node.kind === 'study') {
        const record = await this.ctx.store.readStudy(node.entry.file);
        const configUri = vscode.Uri.file(node.entry.configPath);
        return record.trials.map(({ series: _s, ...trial }) => ({ kind: 'trial', trial, configUri }));
      }
      return [];
    } catch (err) {
      this.ctx.log.warn(`sidebar: ${errorMessage(err)}`);
      return [{ kind: 'message', text: `Could not read: ${errorMessage(err)}` }];
    }
  }

  /**
   * The configs found by the globs, plus the config of a running study when the globs miss it (a
   * study started from the CLI's file, a command, or a config opened from elsewhere): a person
   * must always see what is running.
   */
  private async withRunningConfig(entries: ConfigEntry[]): Promise<Array<ConfigEntry & { outsideGlobs?: boolean }>> {
    const running = this.ctx.studies.running;
    if (!running || entries.some((e) => e.uri.toString() === running.configUri.toString())) return entries;
    let sites: BatchSizeSite[] = [];
    try {
      sites = await this.ctx.catalog.sitesIn(await vscode.workspace.openTextDocument(running.configUri));
    } catch (err) {
      this.ctx.log.debug(`sidebar: cannot read ${running.configUri.fsPath}: ${errorMessage(err)}`);
    }
    return [...entries, { uri: running.configUri, sites, outsideGlobs: true }].sort((a, b) => a.uri.fsPath.localeCompare(b.uri.fsPath));
  }

  getTreeItem(node: Node): vscode.TreeItem {
    switch (node.kind) {
      case 'config':
        return configItem(node);
      case 'running': {
        const s = node.session;
        const item = new vscode.TreeItem(
          `${s.kind === 'tune' ? 'Tuning' : 'Training'}: ${s.phase} ${Math.round(s.progress * 100)}%`,
          vscode.TreeItemCollapsibleState.Expanded,
        );
        item.iconPath = new vscode.ThemeIcon('sync~spin');
        item.description = s.message;
        item.contextValue = 'running';
        item.command = { title: 'Open Tuner Panel', command: 'batchTuner.openPanel', arguments: [s.configUri] };
        return item;
      }
      case 'study': {
        const e = node.entry;
        const when = new Date(e.startedAt);
        const item = new vscode.TreeItem(
          `Study ${when.toLocaleString()}`,
          e.trials > 0 ? vscode.TreeItemCollapsibleState.Collapsed : vscode.TreeItemCollapsibleState.None,
        );
        const status = studyStatusText(e.status);
        item.iconPath = new vscode.ThemeIcon(status.icon, status.warning ? new vscode.ThemeColor('list.warningForeground') : undefined);
        item.description = studyEntryText(e);
        item.tooltip = `${e.file}\n${status.label}, ${e.trials} trial(s)\n${status.detail}`;
        item.contextValue = e.recommendedBatchSize ? 'study.recommended' : 'study';
        item.id = `study:${e.file}`;
        return item;
      }
      case 'trial':
        return trialItem(node.trial);
      case 'message': {
        const item = new vscode.TreeItem(node.text);
        item.iconPath = new vscode.ThemeIcon('warning');
        return item;
      }
    }
  }
}

/** A training config: its batch size, the latest recommendation's headline, and why it is listed when the globs miss it. */
function configItem(node: Extract<Node, { kind: 'config' }>): vscode.TreeItem {
  const item = new vscode.TreeItem(ConfigCatalog.label(node.uri), vscode.TreeItemCollapsibleState.Collapsed);
  item.resourceUri = node.uri;
  const bs = node.sites[0]?.batchSize;
  const current = bs ? (Number.isNaN(bs.value) ? '?' : String(bs.value)) : undefined;
  const rec = node.recommendation;
  item.description = [
    current ? `batch ${current}` : undefined,
    rec ? configRecommendation(rec, current) : undefined,
    node.outsideGlobs ? 'running (outside batchTuner.configGlobs)' : undefined,
  ]
    .filter(Boolean)
    .join(' · ');
  item.contextValue = rec && String(rec.batchSize) !== current ? 'config.recommended' : 'config';
  // Plain text (nothing from a file or a study rendered as Markdown).
  const sites = node.sites.map((s) => `line ${s.batchSize.line + 1}: ${s.batchSize.key} = ${s.batchSize.value}`);
  item.tooltip = [node.uri.fsPath, ...sites, ...(rec ? ['', recommendationHeadline(rec), recommendationTooltip(rec)] : [])].join('\n');
  item.command = {
    title: 'Open',
    command: 'vscode.open',
    arguments: [node.uri, { selection: bs ? new vscode.Range(bs.line, bs.character, bs.line, bs.character + bs.keyLength) : undefined }],
  };
  item.id = `config:${node.uri.toString()}`;
  return item;
}

/** One trial: what it measured, in plain text. */
function trialItem(t: TrialSummary): vscode.TreeItem {
  const item = new vscode.TreeItem(`batch ${t.batchSize}`, vscode.TreeItemCollapsibleState.None);
  const [icon, color] = STATUS_ICON[t.status] ?? ['circle-outline', 'foreground'];
  item.iconPath = new vscode.ThemeIcon(icon, new vscode.ThemeColor(color));
  const parts = [
    t.phase,
    t.samplesPerSecond ? `${Math.round(t.samplesPerSecond)} samples/s` : undefined,
    t.finalLoss !== undefined ? `loss ${t.finalLoss.toPrecision(3)}` : undefined,
    t.status !== 'ok' ? t.status : undefined,
  ];
  item.description = parts.filter(Boolean).join(' · ');
  // Plain text: a trial's id, backend and error come from a study file or a script's output, never rendered as Markdown.
  item.tooltip = [
    `${t.id} — ${t.status}`,
    `batch size ${t.batchSize}, learning rate ${t.learningRate.toPrecision(3)}, seed ${t.seed}`,
    t.samplesPerSecond
      ? `throughput ${Math.round(t.samplesPerSecond)} samples/s${t.samplesPerSecondIqr ? ` (IQR ${Math.round(t.samplesPerSecondIqr[0])}–${Math.round(t.samplesPerSecondIqr[1])})` : ''}`
      : '',
    t.peakMemoryBytes ? `peak memory ${(t.peakMemoryBytes / 2 ** 20).toFixed(1)} MiB` : '',
    `wall ${t.wallSeconds.toFixed(1)} s${t.backend ? ` on ${t.backend}` : ''}`,
    t.error ? `error: ${t.error.message}` : '',
  ]
    .filter(Boolean)
    .join('\n');
  item.contextValue = 'trial';
  return item;
}

/** "Recommended 128 · 64–256 within 10% · 1.4x faster (measured)", or "✓ recommended · 16–64 within 10%" when the key holds the pick. */
function configRecommendation(rec: Recommendation, current: string | undefined): string {
  if (String(rec.batchSize) !== current || rec.plan?.kind === 'warmup') return recommendationHeadline(rec);
  const band = headlineParts(rec).band;
  return `✓ recommended${band ? ` · ${band.text}` : ''}`;
}

export function registerSidebarTree(ctx: Ctx): ConfigTreeProvider {
  const provider = new ConfigTreeProvider(ctx);
  const view = ctx.push(vscode.window.createTreeView('batchTuner.configs', { treeDataProvider: provider, showCollapseAll: true }));
  let last = 0;
  ctx.push(
    ctx.studies.onDidEvent((e) => {
      const now = Date.now();
      if (e.type !== 'study' || e.event.type === 'trial-end' || now - last > 1000) {
        last = now;
        provider.refresh();
      }
      if (e.type === 'started') view.badge = { value: 1, tooltip: 'A study is running' };
      if (e.type === 'ended') view.badge = undefined;
    }),
  );
  ctx.push(ctx.store.onDidChange(() => provider.refresh()));
  ctx.push(ctx.catalog.onDidChange(() => provider.refresh()));
  return provider;
}
