// The one context object activate() builds and every feature receives (as rust-analyzer's
// editors/code does). It is built whole, in dependency order, before any feature sees it:
// Host (the log, storage, disposal) -> catalog, stored studies, sessions -> the webviews that
// share one message router -> Ctx.
import * as vscode from 'vscode';
import { ConfigCatalog } from './configCatalog';
import { LiveViewProvider } from './liveView';
import { MessageRouter } from './messageRouter';
import { PanelManager } from './panel';
import { StudyService } from './studyService';
import { StudyStore } from './studyStore';

export type ContextKey = 'batchTuner.studyRunning' | 'batchTuner.hasRecommendation' | 'batchTuner.hasStudy' | 'batchTuner.activeEditorIsConfig';

/** What every part of the host needs and nothing else: no feature depends on another through it. */
export interface Host {
  readonly log: vscode.LogOutputChannel;
  readonly extensionUri: vscode.Uri;
  readonly globalStorageUri: vscode.Uri;
  /** Per-workspace memory (the panel's config, restored after a window reload). */
  readonly workspaceState: vscode.Memento;
  /** Registers something to dispose when the extension deactivates; returns it. */
  push<T extends vscode.Disposable>(d: T): T;
  /** Sets a `when`-clause context key (menus and the command palette read them). */
  setContext(key: ContextKey, value: boolean): void;
}

export interface Ctx extends Host {
  readonly catalog: ConfigCatalog;
  readonly store: StudyStore;
  readonly studies: StudyService;
  /** The one handler of what the panel and the live view post. */
  readonly router: MessageRouter;
  readonly panels: PanelManager;
  readonly liveView: LiveViewProvider;
}

export function createHost(context: vscode.ExtensionContext, log: vscode.LogOutputChannel): Host {
  return {
    log,
    extensionUri: context.extensionUri,
    globalStorageUri: context.globalStorageUri,
    workspaceState: context.workspaceState,
    push: <T extends vscode.Disposable>(d: T): T => {
      context.subscriptions.push(d);
      return d;
    },
    setContext: (key, value) => void vscode.commands.executeCommand('setContext', key, value),
  };
}

/** Every shared part, constructed in dependency order; nothing is filled in later. */
export function createCtx(host: Host): Ctx {
  const catalog = host.push(new ConfigCatalog(host));
  const store = host.push(new StudyStore(host));
  const studies = host.push(new StudyService(host, store));
  const router = new MessageRouter(host, studies, store);
  const panels = host.push(new PanelManager(host, studies, store, router));
  const liveView = new LiveViewProvider(host, studies, store, router, () => panels.config ?? activeConfigOf(catalog));
  return Object.freeze({ ...host, catalog, store, studies, router, panels, liveView });
}

/** The active editor's document when it is a config file by the globs. */
export function activeConfigOf(catalog: ConfigCatalog): vscode.Uri | undefined {
  const d = vscode.window.activeTextEditor?.document;
  return d && d.uri.scheme === 'file' && catalog.matchesGlobs(d) ? d.uri : undefined;
}

/** A message for the person: what went wrong, where, and what to do; logged with the details. */
export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
