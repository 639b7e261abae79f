// The `batchTuner.*` settings, read in one place so every feature sees the same defaults.
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { parseMemorySize } from '../core/config/memorySize';
import { defaultLrRule, isLrRule } from '../core/tuner/lrScaling';
import type { LrRule, OptimizerSpec } from '../core/types';

export const SECTION = 'batchTuner';

export interface BatchTunerSettings {
  pythonPath: string;
  maxConcurrentTrials: number;
  codeLensEnabled: boolean;
  configGlobs: string[];
  defaultBudgetSeconds: number;
  /** As written: "4GB", "80%", or "" (use the config's, else 80% of physical memory). */
  memoryLimit: string;
  lrRule: LrRule | 'auto';
  trialTimeoutSeconds: number;
  /** Config glob -> external training command template. */
  commands: Record<string, string>;
  studyDirectory: string;
}

export const DEFAULT_CONFIG_GLOBS = ['**/*.{yaml,yml}', '**/*.{json,jsonc}', '**/*.toml', '**/*.py'];
/** Never searched for configs: dependencies, environments, build output, our own studies. */
export const CONFIG_SEARCH_EXCLUDE = '**/{node_modules,.git,.venv,venv,env,.env,__pycache__,site-packages,dist,out,build,.batch-tuner,.vscode-test}/**';

export function readSettings(scope?: vscode.Uri): BatchTunerSettings {
  const c = vscode.workspace.getConfiguration(SECTION, scope);
  const globs = c.get<string[]>('configGlobs', DEFAULT_CONFIG_GLOBS).filter((g) => typeof g === 'string' && g.trim() !== '');
  const rule = c.get<string>('lrRule', 'auto');
  const commands = c.get<Record<string, unknown>>('commands', {});
  return {
    pythonPath: c.get<string>('pythonPath', '').trim(),
    maxConcurrentTrials: Math.max(1, Math.floor(c.get<number>('maxConcurrentTrials', 1))),
    codeLensEnabled: c.get<boolean>('codeLens.enabled', true),
    configGlobs: globs.length > 0 ? globs : DEFAULT_CONFIG_GLOBS,
    defaultBudgetSeconds: positive(c.get<number>('defaultBudgetSeconds', 120), 120),
    memoryLimit: c.get<string>('memoryLimit', '').trim(),
    lrRule: isLrRule(rule) ? rule : 'auto',
    trialTimeoutSeconds: positive(c.get<number>('trialTimeoutSeconds', 300), 300),
    commands: Object.fromEntries(Object.entries(commands ?? {}).filter((e): e is [string, string] => typeof e[1] === 'string')),
    studyDirectory: c.get<string>('studyDirectory', '').trim(),
  };
}

function positive(x: number | undefined, fallback: number): number {
  return typeof x === 'number' && Number.isFinite(x) && x > 0 ? x : fallback;
}

/** The learning-rate scaling rule for a config: its own `tuner.lr_rule` wins; "auto" picks by optimizer. */
export function resolveLrRule(setting: LrRule | 'auto', optimizer: OptimizerSpec | undefined, fromConfig?: LrRule): LrRule {
  if (fromConfig) return fromConfig;
  if (setting !== 'auto') return setting;
  return defaultLrRule(optimizer?.name ?? 'sgd');
}

/** "4GB", "512MiB", "80%" (of physical memory) -> bytes; undefined when empty or unreadable. */
export function parseMemoryLimit(value: string | number | undefined, totalBytes = os.totalmem()): number | undefined {
  if (value === undefined || value === '') return undefined;
  const percent = typeof value === 'string' ? /^\s*(\d+(?:\.\d+)?)\s*%\s*$/.exec(value) : null;
  if (percent) {
    const n = Number(percent[1]);
    return n > 0 && n <= 100 ? Math.floor((totalBytes * n) / 100) : undefined;
  }
  try {
    return parseMemorySize(value);
  } catch {
    return undefined;
  }
}

/** Where studies of a config are stored: the setting (relative to the workspace folder), else `<folder>/.batch-tuner`; no config: the first folder's. */
export function studyDirectoryFor(configUri: vscode.Uri | undefined, settings = readSettings(configUri)): string | undefined {
  // A config outside every workspace folder keeps its studies next to it (never in an unrelated folder).
  const folder = configUri ? vscode.workspace.getWorkspaceFolder(configUri) : vscode.workspace.workspaceFolders?.[0];
  const base = folder?.uri.fsPath ?? (configUri ? path.dirname(configUri.fsPath) : undefined);
  if (!base) return undefined;
  if (settings.studyDirectory) return path.resolve(base, settings.studyDirectory);
  return path.join(base, '.batch-tuner');
}

/**
 * The external command for a config (first matching glob of `batchTuner.commands`), if any. A glob
 * matches the config's absolute path, or its path relative to its workspace folder (the key the
 * training-command prompt saves, e.g. "own-script/config.yaml").
 */
export function externalCommandFor(document: vscode.TextDocument, settings: BatchTunerSettings): string | undefined {
  const folder = vscode.workspace.getWorkspaceFolder(document.uri);
  for (const [glob, command] of Object.entries(settings.commands)) {
    if (vscode.languages.match({ pattern: glob }, document) > 0) return command;
    if (folder && vscode.languages.match({ pattern: new vscode.RelativePattern(folder, glob) }, document) > 0) return command;
  }
  return undefined;
}
