// "Install batch-tuner into <interpreter>": offered when a person's training script imports
// batch_tuner and the interpreter that runs it lacks the package — found by a quick
// `python -c "import batch_tuner"` before a study, or by a trial that failed with
// ModuleNotFoundError. Only in a trusted workspace, and never silently: the person clicks, and pip
// runs in a terminal they can see (`<python> -m pip install <extension>/python`, the interpreter
// itself as the terminal's process: no shell, nothing to inject into).
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { RunnerSpec } from '../core/resolve/types';
import { runnerModule } from './coreModules';
import { errorMessage, type Host } from './ctx';
import { checkBatchTunerImport, interpreterOf, missingBatchTuner, scriptImportingBatchTuner, scriptsOf } from './pythonImports';
import type { StudyService } from './studyService';
import { isWorkspaceTrusted } from './trust';

export interface InstallOffer {
  python: string;
  /** The script that imports batch_tuner (the check before a study). */
  script?: string;
  /** The trial that failed for want of it. */
  trialId?: string;
  message: string;
}

/** Offers made this session, newest last (the integration tests read them through the test API). */
const offers: InstallOffer[] = [];
/** One offer per interpreter and cause per session: a person who said no is not asked at every trial. */
const offered = new Set<string>();

export function installOffersMade(): readonly InstallOffer[] {
  return offers;
}

const actionFor = (python: string) => `Install batch-tuner into ${python}`;

function offer(host: Host, o: InstallOffer): void {
  const key = `${o.python}\u0000${o.trialId ? 'trial' : 'check'}`;
  if (offered.has(key)) return;
  if (!isWorkspaceTrusted()) {
    host.log.info(`${o.message} (no install offered: the workspace is not trusted)`);
    return;
  }
  offered.add(key);
  offers.push(o);
  host.log.warn(o.message);
  const action = actionFor(o.python);
  void vscode.window.showWarningMessage(o.message, action).then((choice) => {
    if (choice === action) installInto(host, o.python);
  });
}

/** Runs `<python> -m pip install <extension>/python` in a terminal the person sees. */
export function installInto(host: Host, python: string): vscode.Terminal | undefined {
  if (!isWorkspaceTrusted()) return undefined;
  const pkg = vscode.Uri.joinPath(host.extensionUri, 'python').fsPath;
  host.log.info(`installing the batch_tuner package: ${python} -m pip install ${pkg}`);
  const terminal = vscode.window.createTerminal({
    name: `Install batch-tuner (${path.basename(python)})`,
    shellPath: python,
    shellArgs: ['-m', 'pip', 'install', pkg],
  });
  terminal.show();
  return terminal;
}

/** The interpreter and the words of an external runner's command, or undefined for the built-in trainer or an unreadable template. */
async function commandOf(runner: RunnerSpec): Promise<{ python: string; words: string[] } | undefined> {
  if (runner.kind !== 'external') return undefined;
  const [{ splitCommandTemplate }, { defaultPython }] = await Promise.all([import('../core/runner/commandTemplate'), runnerModule()]);
  const words = splitCommandTemplate(runner.command);
  return { python: interpreterOf(words, defaultPython(runner.pythonPath)), words };
}

/**
 * Before a study or a training run: when the command's script imports batch_tuner and its
 * interpreter lacks it, offer to install it. Never blocks the run (Batch Tuner's trials find the
 * package on PYTHONPATH); a failure here is only logged.
 */
export async function checkBeforeRun(host: Host, runner: RunnerSpec, configUri: vscode.Uri): Promise<void> {
  try {
    const cmd = await commandOf(runner);
    if (!cmd || runner.kind !== 'external') return;
    const script = scriptImportingBatchTuner(scriptsOf(cmd.words, path.dirname(configUri.fsPath), runner.workspaceFolder));
    if (!script || (await checkBatchTunerImport(cmd.python)) !== 'missing') return;
    const rel = vscode.workspace.asRelativePath(script);
    offer(host, {
      python: cmd.python,
      script,
      message: `${rel} imports batch_tuner, which ${cmd.python} does not have. Batch Tuner's own trials find it, but the script will fail when you run it yourself.`,
    });
  } catch (err) {
    host.log.debug(`python package check: ${errorMessage(err)}`);
  }
}

/** While a run lasts: a trial that fails with "No module named 'batch_tuner'" brings the offer. */
export async function watchForMissingPackage(host: Host, studies: StudyService, runner: RunnerSpec): Promise<vscode.Disposable> {
  const python = await commandOf(runner)
    .then((c) => c?.python)
    .catch(() => undefined);
  if (!python) return { dispose: () => undefined };
  return studies.onDidEvent((e) => {
    if (e.type !== 'study' || e.event.type !== 'trial-end') return;
    const t = e.event.trial;
    if (missingBatchTuner(`${t.error?.message ?? ''}\n${t.error?.stderrTail ?? ''}`))
      offer(host, { python, trialId: t.id, message: `Trial ${t.id} failed: ${python} has no module named batch_tuner (the script imports it).` });
  });
}
