// The one handler of what the webviews post (the tuner panel and the sidebar's live view send the
// same PanelToHost messages): each message is validated first (webviews are untrusted input), then
// routed to the same action whichever view sent it. A view is an endpoint: the config it is about,
// how to post back to it, and its own state (the panel's settings).
import * as vscode from 'vscode';
import { validatePanelMessage, type HostToPanel, type PanelSettings, type PanelToHost } from '../core/webviewProtocol';
import { applyToConfig } from './apply';
import { errorMessage, type Host } from './ctx';
import { trainConfig, tuneConfig } from './runs';
import type { ServiceEvent, SessionResult, StudyService } from './studyService';
import type { StudyStore } from './studyStore';

type WithoutVersion<T> = T extends unknown ? Omit<T, 'v'> : never;
export type HostMessage = WithoutVersion<HostToPanel>;

export interface MessageOutcome {
  accepted: boolean;
  error?: string;
}

/** A webview that posts PanelToHost messages. */
export interface WebviewEndpoint {
  /** For the log: "tuner panel", "live view". */
  readonly name: string;
  /** The config the view is about now. */
  currentConfig(): vscode.Uri | undefined;
  /** The config, asking for one when the view has none. */
  requireConfig(): Promise<vscode.Uri | undefined>;
  post(message: HostMessage): void;
  postInit(): Promise<void>;
  /** The view's own study settings (the panel's controls), when it has any. */
  settings?(): PanelSettings | undefined;
  settingsChanged?(settings: PanelSettings): void;
  /** The panel reports when points were drawn (latency benchmark). */
  drawn?(sentAt: number, drawnAt: number): void;
}

export class MessageRouter {
  /** Messages rejected by validation, from any view (for tests and the log). */
  rejected = 0;

  constructor(
    private readonly host: Host,
    private readonly studies: StudyService,
    private readonly store: StudyStore,
  ) {}

  /** Handles one message from a view. Invalid ones are logged and ignored; a failure is posted back as an error. */
  async receive(from: WebviewEndpoint, raw: unknown): Promise<MessageOutcome> {
    const checked = validatePanelMessage(raw);
    if (!checked.ok) {
      this.rejected++;
      this.host.log.warn(`ignored an invalid message from the ${from.name}: ${checked.error}`);
      return { accepted: false, error: checked.error };
    }
    try {
      await this.route(from, checked.value);
    } catch (err) {
      this.host.log.error(`${from.name} message "${checked.value.type}" failed: ${errorMessage(err)}`);
      from.post({ type: 'error', message: errorMessage(err) });
    }
    return { accepted: true };
  }

  private async route(from: WebviewEndpoint, m: PanelToHost): Promise<void> {
    switch (m.type) {
      case 'ready':
        return from.postInit();
      case 'start': {
        from.settingsChanged?.(m.settings);
        const uri = await from.requireConfig();
        if (uri) void tuneConfig(this.host, this.studies, uri, { settings: m.settings }).then((r) => reportRefusal(from, r));
        return;
      }
      case 'stop':
        this.studies.stop();
        return;
      case 'trainOnce': {
        const uri = await from.requireConfig();
        const lrRule = from.settings?.()?.lrRule;
        if (uri)
          void trainConfig(this.host, this.studies, uri, m.batchSize, { steps: m.steps, schedule: m.schedule, lrRule }).then((r) => reportRefusal(from, r));
        return;
      }
      case 'apply':
        return this.apply(from, m);
      case 'settingsChanged':
        from.settingsChanged?.(m.settings);
        return;
      case 'openConfig': {
        const uri = await from.requireConfig();
        if (uri) await vscode.window.showTextDocument(uri, { viewColumn: vscode.ViewColumn.One, preview: false });
        return;
      }
      case 'exportReport':
        await vscode.commands.executeCommand('batchTuner.exportReport', from.currentConfig());
        return;
      case 'openPanel':
        await vscode.commands.executeCommand('batchTuner.openPanel', from.currentConfig());
        return;
      case 'tuneActiveConfig':
        await vscode.commands.executeCommand('batchTuner.tune', from.currentConfig());
        return;
      case 'drawn':
        from.drawn?.(m.sentAt, m.drawnAt);
        return;
      case 'pickCheckpoints':
        from.post({ type: 'checkpointsPicked', paths: await pickCheckpointFiles(from.currentConfig()) });
        return;
    }
  }

  private async apply(from: WebviewEndpoint, m: Extract<PanelToHost, { type: 'apply' }>): Promise<void> {
    const uri = await from.requireConfig();
    if (!uri) return;
    const result = await applyToConfig(this.host, this.store, uri, { batchSize: m.batchSize, learningRate: m.learningRate, schedule: m.schedule });
    if (result.applied) from.post({ type: 'applied', batchSize: m.batchSize, learningRate: m.learningRate });
    else from.post({ type: 'error', message: result.reason ?? 'nothing was changed' });
  }
}

/**
 * Checkpoints of an earlier run (`batch-tuner train --checkpoint-every`), chosen in a file dialog
 * that starts in the config's .batch-tuner/checkpoints/ when there is one; [] when cancelled.
 */
async function pickCheckpointFiles(config: vscode.Uri | undefined): Promise<string[]> {
  const folder = config && vscode.Uri.joinPath(config, '..');
  let defaultUri = folder;
  if (folder) {
    const ckpts = vscode.Uri.joinPath(folder, '.batch-tuner', 'checkpoints');
    defaultUri = await vscode.workspace.fs.stat(ckpts).then(
      () => ckpts,
      () => folder,
    );
  }
  const picked = await vscode.window.showOpenDialog({
    title: 'Batch Tuner: Checkpoints to Branch From',
    openLabel: 'Branch from these',
    canSelectMany: true,
    canSelectFiles: true,
    canSelectFolders: false,
    ...(defaultUri ? { defaultUri } : {}),
    filters: { 'Checkpoints (Batch Tuner, PyTorch)': ['btckpt', 'pt', 'pth', 'ckpt', 'bin', 'safetensors'], 'All files': ['*'] },
  });
  return (picked ?? []).filter((u) => u.scheme === 'file').map((u) => u.fsPath);
}

/** `running: false` for a session that ended, with how a study ended (completed, stopped, failed) for the card and the live view. */
export function endedMessage(e: Extract<ServiceEvent, { type: 'ended' }>): HostMessage {
  const r = e.result;
  const ended = e.session.kind === 'tune' && (r.status === 'completed' || r.status === 'stopped' || r.status === 'failed') ? r.status : undefined;
  return { type: 'running', running: false, ...(ended ? { status: ended } : {}) };
}

/** A run that did not start (untrusted, busy, a config problem): the view says why. */
function reportRefusal(to: WebviewEndpoint, r: SessionResult): void {
  if (r.status === 'untrusted' || r.status === 'busy' || r.status === 'invalid-config') to.post({ type: 'error', message: r.reason });
}
