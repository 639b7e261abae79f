// Which files are training configs: the documents CodeLens annotates and the sidebar lists.
// A file counts when it matches `batchTuner.configGlobs` and a batch-size key is found in it.
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { BatchSizeSite } from '../core/config/types';
import type { GlobalBatchReading } from '../core/config/globalBatch';
import { configModule } from './coreModules';
import type { Host } from './ctx';
import { CONFIG_SEARCH_EXCLUDE, readEditorBehaviour } from './settings';

/** A config's global batch and its one-line label (`global 256 = 32 x 4 acc x 2 workers`). */
export interface GlobalBatchInfo {
  reading: GlobalBatchReading;
  label: string;
}

export interface ConfigEntry {
  uri: vscode.Uri;
  sites: BatchSizeSite[];
}

/** Files larger than this are not scanned for batch-size keys (generated data, lock files). */
const MAX_SCAN_BYTES = 1024 * 1024;
const MAX_FILES = 2000;

export class ConfigCatalog implements vscode.Disposable {
  private readonly siteCache = new Map<string, { version: number; sites: BatchSizeSite[]; globalBatch?: Promise<GlobalBatchInfo | undefined> }>();
  private discovered: Promise<ConfigEntry[]> | undefined;
  private watcher: vscode.FileSystemWatcher | undefined;
  private readonly changed = new vscode.EventEmitter<void>();
  /** Fires when the set of configs (or their sites) may have changed. */
  readonly onDidChange = this.changed.event;
  private refreshTimer: NodeJS.Timeout | undefined;

  constructor(private readonly ctx: Host) {
    ctx.push(
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration('batchTuner.configGlobs')) this.refresh();
      }),
    );
    ctx.push(vscode.workspace.onDidChangeWorkspaceFolders(() => this.refresh()));
  }

  /** True when the document's path matches one of the configured globs. */
  matchesGlobs(document: vscode.TextDocument): boolean {
    if (document.uri.scheme !== 'file' && document.uri.scheme !== 'untitled') return false;
    const globs = readEditorBehaviour(document.uri).configGlobs;
    return globs.some((pattern) => vscode.languages.match({ pattern }, document) > 0) || document.uri.scheme === 'untitled';
  }

  /** Batch-size sites of an open document (cached per document version). */
  async sitesIn(document: vscode.TextDocument): Promise<BatchSizeSite[]> {
    const key = document.uri.toString();
    const cached = this.siteCache.get(key);
    if (cached && cached.version === document.version) return cached.sites;
    const sites = await sitesOfText(document.getText(), document.fileName, this.ctx);
    this.siteCache.set(key, { version: document.version, sites });
    return sites;
  }

  /**
   * The global batch the document asks for (micro-batch x accumulation x workers, issue 13), read
   * once per document version; undefined when it has no batch-size key or cannot be read.
   */
  async globalBatchIn(document: vscode.TextDocument): Promise<GlobalBatchInfo | undefined> {
    await this.sitesIn(document);
    const cached = this.siteCache.get(document.uri.toString());
    if (!cached || cached.version !== document.version) return undefined;
    cached.globalBatch ??= configModule()
      .then(({ readGlobalBatch, effectiveGlobalBatchLabel }) => {
        const reading = readGlobalBatch(document.getText(), document.fileName, document.uri.fsPath);
        return reading && { reading, label: effectiveGlobalBatchLabel(reading) };
      })
      .catch((err: unknown) => {
        this.ctx.log.debug(`no global batch in ${document.fileName}: ${err instanceof Error ? err.message : String(err)}`);
        return undefined;
      });
    return cached.globalBatch;
  }

  /** Training configs in the workspace (searched once, then kept up to date by a file watcher). */
  discover(): Promise<ConfigEntry[]> {
    this.discovered ??= this.search();
    this.watch();
    return this.discovered;
  }

  /** Forgets what was found: the next discover() searches again. */
  refresh(): void {
    this.discovered = undefined;
    this.siteCache.clear();
    this.changed.fire();
  }

  private async search(): Promise<ConfigEntry[]> {
    const started = performance.now();
    const globs = readEditorBehaviour().configGlobs;
    const seen = new Set<string>();
    const uris: vscode.Uri[] = [];
    for (const glob of globs) {
      for (const uri of await vscode.workspace.findFiles(glob, CONFIG_SEARCH_EXCLUDE, MAX_FILES)) {
        if (!seen.has(uri.toString())) {
          seen.add(uri.toString());
          uris.push(uri);
        }
      }
    }
    const entries: ConfigEntry[] = [];
    for (const uri of uris) {
      try {
        const stat = await vscode.workspace.fs.stat(uri);
        if (stat.size > MAX_SCAN_BYTES) continue;
        const open = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString());
        const text = open ? open.getText() : new TextDecoder().decode(await vscode.workspace.fs.readFile(uri));
        const sites = await sitesOfText(text, uri.fsPath, this.ctx);
        if (sites.length > 0) entries.push({ uri, sites });
      } catch (err) {
        this.ctx.log.debug(`skipped ${uri.fsPath}: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    entries.sort((a, b) => a.uri.fsPath.localeCompare(b.uri.fsPath));
    this.ctx.log.info(`found ${entries.length} training config(s) in ${uris.length} candidate file(s) in ${(performance.now() - started).toFixed(0)} ms`);
    return entries;
  }

  private watch(): void {
    if (this.watcher) return;
    // One watcher over the config extensions; changes are coalesced into one refresh.
    this.watcher = vscode.workspace.createFileSystemWatcher('**/*.{yaml,yml,json,jsonc,toml,py}');
    const schedule = (uri: vscode.Uri) => {
      if (/[\\/](node_modules|\.git|\.batch-tuner)[\\/]/.test(uri.fsPath)) return;
      clearTimeout(this.refreshTimer);
      this.refreshTimer = setTimeout(() => this.refresh(), 500);
    };
    this.watcher.onDidCreate(schedule);
    this.watcher.onDidDelete(schedule);
    this.watcher.onDidChange(schedule);
  }

  /** A short label for a config: its path relative to the workspace folder. */
  static label(uri: vscode.Uri): string {
    const rel = vscode.workspace.asRelativePath(uri, vscode.workspace.workspaceFolders !== undefined && vscode.workspace.workspaceFolders.length > 1);
    return rel || path.basename(uri.fsPath);
  }

  dispose(): void {
    clearTimeout(this.refreshTimer);
    this.watcher?.dispose();
    this.changed.dispose();
  }
}

async function sitesOfText(text: string, fileName: string, ctx: Host): Promise<BatchSizeSite[]> {
  try {
    const { findBatchSizeSites } = await configModule();
    return findBatchSizeSites(text, fileName);
  } catch (err) {
    // An unparsable file has no sites; the diagnostics feature reports what is wrong with it.
    ctx.log.debug(`no batch-size sites in ${fileName}: ${err instanceof Error ? err.message : String(err)}`);
    return [];
  }
}
