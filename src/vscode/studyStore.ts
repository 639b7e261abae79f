// Stored studies: the JSONL files in the study directory, the same ones the CLI writes, so a study
// run in a terminal shows up here too. Reads are cached per config and refreshed when a file in a
// watched study directory changes (or when a session here ends).
import * as vscode from 'vscode';
import type { StudyListEntry, StudyRecord } from '../core/study/types';
import { studyModule } from './coreModules';
import { errorMessage, type Host } from './ctx';
import { studyDirectoryFor } from './settings';

export class StudyStore implements vscode.Disposable {
  private readonly latestCache = new Map<string, Promise<StudyRecord | undefined>>();
  private readonly changed = new vscode.EventEmitter<void>();
  /** Fires when stored studies may have changed (a study ended here, or a file was written by the CLI). */
  readonly onDidChange = this.changed.event;
  private readonly watchers = new Map<string, vscode.FileSystemWatcher>();
  private invalidateTimer: NodeJS.Timeout | undefined;

  constructor(private readonly host: Host) {}

  /** The newest stored study for a config. */
  latestStudy(configUri: vscode.Uri): Promise<StudyRecord | undefined> {
    const key = configUri.fsPath;
    let p = this.latestCache.get(key);
    if (!p) {
      p = this.readLatest(configUri);
      this.latestCache.set(key, p);
    }
    return p;
  }

  /** Stored studies of a config (or of every config in the study directory), newest first. */
  async listStudies(configUri?: vscode.Uri): Promise<StudyListEntry[]> {
    const dir = studyDirectoryFor(configUri);
    if (!dir) return [];
    this.watch(dir);
    try {
      const { listStudies } = await studyModule();
      const all = listStudies(dir);
      return (configUri ? all.filter((s) => samePath(s.configPath, configUri.fsPath)) : all).sort((a, b) => b.startedAt.localeCompare(a.startedAt));
    } catch (err) {
      this.host.log.warn(`could not list studies in ${dir}: ${errorMessage(err)}`);
      return [];
    }
  }

  async readStudy(file: string): Promise<StudyRecord> {
    const { readStudy } = await studyModule();
    return readStudy(file);
  }

  /** Forgets cached reads and tells the views (a session ended, or a study file changed). */
  invalidate(): void {
    this.latestCache.clear();
    this.changed.fire();
  }

  private async readLatest(configUri: vscode.Uri): Promise<StudyRecord | undefined> {
    const dir = studyDirectoryFor(configUri);
    if (!dir) return undefined;
    this.watch(dir);
    try {
      const { latestStudyFor } = await studyModule();
      return latestStudyFor(dir, configUri.fsPath);
    } catch (err) {
      this.host.log.debug(`no stored study for ${configUri.fsPath}: ${errorMessage(err)}`);
      return undefined;
    }
  }

  /** Watches a study directory (once), so studies written by the CLI show up without a reload. */
  private watch(dir: string): void {
    if (this.watchers.has(dir)) return;
    const watcher = vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(vscode.Uri.file(dir), '*.jsonl'));
    const changed = () => {
      // A running study appends a line per event: coalesce into one refresh.
      clearTimeout(this.invalidateTimer);
      this.invalidateTimer = setTimeout(() => this.invalidate(), 300);
    };
    watcher.onDidCreate(changed);
    watcher.onDidChange(changed);
    watcher.onDidDelete(changed);
    this.watchers.set(dir, watcher);
  }

  dispose(): void {
    clearTimeout(this.invalidateTimer);
    for (const w of this.watchers.values()) w.dispose();
    this.changed.dispose();
  }
}

function samePath(a: string, b: string): boolean {
  return process.platform === 'win32' || process.platform === 'darwin' ? a.toLowerCase() === b.toLowerCase() : a === b;
}
