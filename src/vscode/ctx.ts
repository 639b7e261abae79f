// The one context object activate() builds and every feature receives (as rust-analyzer's
// editors/code does): the log, the settings, the study service, the panel manager, storage.
import * as vscode from 'vscode';
import { readSettings, type BatchTunerSettings } from './settings';
import type { StudyService } from './studyService';
import type { PanelManager } from './panel';
import type { ConfigCatalog } from './configCatalog';

export class Ctx implements vscode.Disposable {
  readonly log: vscode.LogOutputChannel;
  readonly extensionUri: vscode.Uri;
  readonly globalStorageUri: vscode.Uri;
  /** Per-workspace memory (the panel's config, restored after a window reload). */
  readonly workspaceState: vscode.Memento;
  readonly subscriptions: vscode.Disposable[];
  /** Set by activate() right after construction; features are wired in dependency order. */
  studies!: StudyService;
  panels!: PanelManager;
  catalog!: ConfigCatalog;

  constructor(context: vscode.ExtensionContext, log: vscode.LogOutputChannel) {
    this.log = log;
    this.extensionUri = context.extensionUri;
    this.globalStorageUri = context.globalStorageUri;
    this.workspaceState = context.workspaceState;
    this.subscriptions = context.subscriptions;
  }

  settings(scope?: vscode.Uri): BatchTunerSettings {
    return readSettings(scope);
  }

  /** Registers something to dispose when the extension deactivates; returns it. */
  push<T extends vscode.Disposable>(d: T): T {
    this.subscriptions.push(d);
    return d;
  }

  /** Sets a `when`-clause context key (menus and the command palette read them). */
  setContext(key: 'batchTuner.studyRunning' | 'batchTuner.hasRecommendation' | 'batchTuner.hasStudy' | 'batchTuner.activeEditorIsConfig', value: boolean): void {
    void vscode.commands.executeCommand('setContext', key, value);
  }

  dispose(): void {
    // Disposables in context.subscriptions are disposed by VS Code.
  }
}

/** A message for the person: what went wrong, where, and what to do; logged with the details. */
export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
