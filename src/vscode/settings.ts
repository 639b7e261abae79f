// The `batchTuner.*` settings. Two kinds:
// - study settings (budget, memory limit, lr rule, timeout, trials at a time, python, commands,
//   study directory) are a LAYER of the one resolver (core/resolve): only the values a person set
//   explicitly count (read with inspect()), so a contributed default never hides the config's
//   own value or the resolver's one default;
// - editor behaviour (CodeLens on/off, which files are configs) is read here with its defaults.
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { EditorSettingValues } from '../core/resolve/layers';
import { absoluteOutDir } from '../core/resolve/layers';
import { defaultOutDir } from '../core/resolve/defaults';

export const SECTION = 'batchTuner';

export interface EditorBehaviour {
  codeLensEnabled: boolean;
  configGlobs: string[];
}

export const DEFAULT_CONFIG_GLOBS = ['**/*.{yaml,yml}', '**/*.{json,jsonc}', '**/*.toml', '**/*.py'];
/** Never searched for configs: dependencies, environments, build output, our own studies. */
export const CONFIG_SEARCH_EXCLUDE = '**/{node_modules,.git,.venv,venv,env,.env,__pycache__,site-packages,dist,out,build,.batch-tuner,.vscode-test}/**';

export function readEditorBehaviour(scope?: vscode.Uri): EditorBehaviour {
  const c = vscode.workspace.getConfiguration(SECTION, scope);
  const globs = c.get<string[]>('configGlobs', DEFAULT_CONFIG_GLOBS).filter((g) => typeof g === 'string' && g.trim() !== '');
  return { codeLensEnabled: c.get<boolean>('codeLens.enabled', true), configGlobs: globs.length > 0 ? globs : DEFAULT_CONFIG_GLOBS };
}

/** The value the person set, most specific scope first; undefined when only the contributed default applies. */
function explicit<T>(c: vscode.WorkspaceConfiguration, key: string): T | undefined {
  const i = c.inspect<T>(key);
  return i?.workspaceFolderValue ?? i?.workspaceValue ?? i?.globalValue;
}

/**
 * The study settings a person set for this config, as the resolver's editor layer takes them
 * (checked there: a bad value is an error naming the setting, never a silent default).
 */
export function editorSettingValues(document: vscode.TextDocument): EditorSettingValues {
  const c = vscode.workspace.getConfiguration(SECTION, document.uri);
  const folder = vscode.workspace.getWorkspaceFolder(document.uri);
  const values: EditorSettingValues = {
    defaultBudgetSeconds: explicit<number>(c, 'defaultBudgetSeconds'),
    memoryLimit: explicit<string>(c, 'memoryLimit'),
    lrRule: explicit<string>(c, 'lrRule'),
    trialTimeoutSeconds: explicit<number>(c, 'trialTimeoutSeconds'),
    maxConcurrentTrials: explicit<number>(c, 'maxConcurrentTrials'),
    pythonPath: explicit<string>(c, 'pythonPath'),
    command: commandFor(document, c),
    studyDirectory: explicit<string>(c, 'studyDirectory'),
    workspaceFolder: folder?.uri.fsPath,
    // Where trials run (issue 13; docs/clusters.md): checked by the resolver like every setting.
    runner: explicit<string>(c, 'runner'),
    slurmPartition: explicit<string>(c, 'slurm.partition'),
    slurmAccount: explicit<string>(c, 'slurm.account'),
    slurmGres: explicit<string>(c, 'slurm.gres'),
    slurmTimeLimit: explicit<string>(c, 'slurm.timeLimit'),
    slurmCpusPerTask: explicit<number>(c, 'slurm.cpusPerTask'),
    slurmExtraArgs: explicit<string[]>(c, 'slurm.extraArgs'),
    slurmPendingTimeoutSeconds: explicit<number>(c, 'slurm.pendingTimeoutSeconds'),
    slurmWorkers: explicit<string>(c, 'slurm.workers'),
  };
  return Object.fromEntries(Object.entries(values).filter(([, v]) => v !== undefined));
}

/**
 * The `batchTuner.commands` entry for a config: the first glob that matches, in the most specific
 * scope that has one. A glob matches the config's absolute path, or its path relative to its
 * workspace folder (the key the training-command prompt saves, e.g. "own-script/config.yaml").
 */
function commandFor(document: vscode.TextDocument, c: vscode.WorkspaceConfiguration): string | undefined {
  const i = c.inspect<Record<string, unknown>>('commands');
  const folder = vscode.workspace.getWorkspaceFolder(document.uri);
  for (const table of [i?.workspaceFolderValue, i?.workspaceValue, i?.globalValue]) {
    for (const [glob, command] of Object.entries(table ?? {})) {
      if (typeof command !== 'string') continue;
      if (vscode.languages.match({ pattern: glob }, document) > 0) return command;
      if (folder && vscode.languages.match({ pattern: new vscode.RelativePattern(folder, glob) }, document) > 0) return command;
    }
  }
  return undefined;
}

/**
 * Where the studies of a config are stored (the resolver's outDir rule: batchTuner.studyDirectory
 * against the workspace folder, else `.batch-tuner/` there, else next to the config); no config:
 * the first workspace folder's. A config's own tuner section cannot move it, so listing stored
 * studies needs no full resolve.
 */
export function studyDirectoryFor(configUri: vscode.Uri | undefined): string | undefined {
  const workspaceFolder = (configUri ? vscode.workspace.getWorkspaceFolder(configUri) : vscode.workspace.workspaceFolders?.[0])?.uri.fsPath;
  const base = workspaceFolder ?? (configUri ? path.dirname(configUri.fsPath) : undefined);
  if (!base) return undefined;
  const setting = explicit<string>(vscode.workspace.getConfiguration(SECTION, configUri), 'studyDirectory')?.trim();
  if (setting) return absoluteOutDir(setting, base);
  return defaultOutDir(configUri?.fsPath ?? base, workspaceFolder ?? base);
}
