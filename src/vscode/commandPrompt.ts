// The first time a user's own config has no training command: ask for one, with a suggestion
// built from the workspace (a training script next to the config, the interpreter the Python
// extension selected), and remember the answer in the workspace's `batchTuner.commands`.
import * as path from 'node:path';
import * as vscode from 'vscode';
import { commandTemplateProblem, PLACEHOLDERS } from '../core/runner/commandTemplate';
import { errorMessage, type Host } from './ctx';
import { SECTION } from './settings';

/**
 * Tests answer the prompt with this instead of an input box (the harness cannot type into one).
 * Reachable only through the test API, which activate() returns only in ExtensionMode.Test.
 */
export type CommandPromptOverride = (suggestion: string, configUri: vscode.Uri) => string | undefined | Promise<string | undefined>;
let promptOverride: CommandPromptOverride | undefined;

/** Tests: answer the training-command prompt with `fn` (undefined: the real input box again). */
export function setCommandPromptOverride(fn: CommandPromptOverride | undefined): void {
  promptOverride = fn;
}

const PYTHON_EXTENSION_ID = 'ms-python.python';
const PYTHON_API_TIMEOUT_MS = 3000;

/**
 * Asks for a config's training command (prefilled with suggestTrainingCommand) and saves it in
 * the workspace settings under the config's workspace-relative path. Undefined: dismissed.
 * `shell`: the config runs its command through a shell (tuner.shell), so the answer is checked
 * by shell mode's rules.
 */
export async function askForTrainingCommand(ctx: Host, configUri: vscode.Uri, shell = false): Promise<string | undefined> {
  const name = path.basename(configUri.fsPath);
  const suggestion = await suggestTrainingCommand(configUri);
  const validate = (text: string) => validateTrainingCommand(text, shell);
  let answer: string | undefined;
  if (promptOverride) {
    answer = await promptOverride(suggestion, configUri);
    const problem = answer === undefined ? undefined : validate(answer);
    if (problem) {
      ctx.log.warn(`training command for ${name} refused: ${problem}`);
      return undefined;
    }
  } else {
    answer = await vscode.window.showInputBox({
      title: `Training command for ${name}`,
      value: suggestion,
      prompt: `Runs in the config's folder for each trial${shell ? ' through a shell (tuner.shell)' : ''}. Placeholders: ${PLACEHOLDERS.map((p) => `\${${p}}`).join(', ')} (\${config}: the trial's copy of the config; \${python}: batchTuner.pythonPath). Saved in this workspace's batchTuner.commands.`,
      ignoreFocusOut: true,
      validateInput: validate,
    });
  }
  const command = answer?.trim();
  if (!command) return undefined;
  await rememberTrainingCommand(ctx, configUri, command);
  return command;
}

/**
 * Why a typed command cannot run (empty, an unclosed quote, an unknown placeholder, a placeholder
 * shell mode cannot pass safely), else undefined: core's check, the one the resolver makes too.
 */
export function validateTrainingCommand(text: string, shell = false): string | undefined {
  if (!text.trim()) return 'Type the command that trains this config, e.g. ${python} train.py --config ${config}';
  return commandTemplateProblem(text, shell);
}

/** `<python> <script> --config ${config}`: the script next to the config, the workspace's interpreter. */
export async function suggestTrainingCommand(configUri: vscode.Uri): Promise<string> {
  const [python, script] = await Promise.all([suggestPython(configUri), suggestScript(configUri)]);
  return `${python} ${script} --config \${config}`;
}

/** `${python}` when batchTuner.pythonPath is set (it resolves to that), else the Python extension's interpreter, else `${python}`. */
async function suggestPython(configUri: vscode.Uri): Promise<string> {
  if (vscode.workspace.getConfiguration(SECTION, configUri).get<string>('pythonPath', '').trim()) return '${python}';
  const selected = await pythonExtensionInterpreter(configUri);
  return selected ? quoteWord(selected) : '${python}';
}

async function pythonExtensionInterpreter(resource: vscode.Uri): Promise<string | undefined> {
  const ext = vscode.extensions.getExtension(PYTHON_EXTENSION_ID);
  if (!ext) return undefined;
  try {
    const lookup = (async () => {
      const api = (await ext.activate()) as { environments?: { getActiveEnvironmentPath?(r?: vscode.Uri): { path?: unknown } | undefined } } | undefined;
      const p = api?.environments?.getActiveEnvironmentPath?.(resource)?.path;
      return typeof p === 'string' && p.trim() ? p.trim() : undefined;
    })();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), PYTHON_API_TIMEOUT_MS)));
    try {
      return await Promise.race([lookup, timeout]);
    } finally {
      clearTimeout(timer);
    }
  } catch {
    // The Python extension failed to activate or changed its API: no suggestion from it.
    return undefined;
  }
}

/** train.py, else main.py, else the first *train*.py in the config's folder (trials run there); else train.py. */
async function suggestScript(configUri: vscode.Uri): Promise<string> {
  try {
    const entries = await vscode.workspace.fs.readDirectory(vscode.Uri.joinPath(configUri, '..'));
    const files = entries.filter(([, type]) => (type & vscode.FileType.File) !== 0).map(([n]) => n);
    const script = files.find((n) => n === 'train.py') ?? files.find((n) => n === 'main.py') ?? files.filter((n) => /train.*\.py$/i.test(n)).sort()[0];
    if (script) return quoteWord(script);
  } catch {
    // An unreadable folder: the generic suggestion.
  }
  return 'train.py';
}

/** One word of a command template (commandTemplate.ts's rules): quoted only when it must be. */
export function quoteWord(word: string): string {
  if (word !== '' && !/[\s'"$]/.test(word) && !/\\(?=[\s'"\\$]|$)/.test(word)) return word;
  return `"${word.replace(/\\(?=["\\$]|$)/g, '\\\\').replace(/["$]/g, '\\$&')}"`;
}

/** The config's path relative to its workspace folder, as a glob that matches exactly that file. */
export function commandKeyFor(configUri: vscode.Uri): string {
  const rel = vscode.workspace.asRelativePath(configUri, false);
  return rel.replace(/[[*?{}]/g, '[$&]');
}

async function rememberTrainingCommand(ctx: Host, configUri: vscode.Uri, command: string): Promise<void> {
  const folder = vscode.workspace.getWorkspaceFolder(configUri);
  if (!folder) {
    ctx.log.warn(`${configUri.fsPath} is outside every workspace folder: its training command is used for this run only`);
    return;
  }
  // A multi-root workspace keeps it with the config's folder (keys are relative to a folder).
  const target = vscode.workspace.workspaceFile ? vscode.ConfigurationTarget.WorkspaceFolder : vscode.ConfigurationTarget.Workspace;
  const config = vscode.workspace.getConfiguration(SECTION, configUri);
  const inspected = config.inspect<Record<string, string>>('commands');
  const existing = (target === vscode.ConfigurationTarget.WorkspaceFolder ? inspected?.workspaceFolderValue : inspected?.workspaceValue) ?? {};
  const key = commandKeyFor(configUri);
  try {
    await config.update('commands', { ...existing, [key]: command }, target);
    ctx.log.info(`saved the training command for ${key} in the workspace settings (batchTuner.commands): ${command}`);
  } catch (err) {
    ctx.log.warn(`could not save the training command for ${key} in the workspace settings: ${errorMessage(err)}; it is used for this run only`);
  }
}
