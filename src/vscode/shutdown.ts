// Nothing Batch Tuner starts outlives the extension host (issue 12): deactivate() stops what runs
// and waits until the trials' process trees have ended and their files are cleaned up. (The
// runner's sweepStale(), for leftovers of a host that was killed, belongs at activation, deferred
// like extension.ts's setStudyContextKeysLater.)
import * as vscode from 'vscode';
import { runnerModule } from './coreModules';
import type { StudyService } from './studyService';

/** How long deactivate() waits for trials to end (VS Code waits a few seconds for deactivate). */
const STOP_TIMEOUT_MS = 4000;

/**
 * Stops every trial this extension host started and waits for them: the session's (aborting it
 * kills the trial's process group; its promise settles after cleanup) and any other the runner's
 * registry knows (it kills what is left after its timeout).
 */
export async function stopAllTrials(studies: StudyService | undefined, log?: (line: string) => void): Promise<void> {
  const session = studies?.running ? studies.stopAndWait(STOP_TIMEOUT_MS) : Promise.resolve(true);
  const registry = runnerModule().then((r) => r.stopAllTrials(STOP_TIMEOUT_MS));
  const [ended] = await Promise.all([session, registry]);
  if (!ended) log?.(`deactivate: a trial did not end within ${STOP_TIMEOUT_MS / 1000} s of Stop`);
}

/** Leftovers of an extension host that was killed (config copies, temp folders): swept after activation, off its path. */
export function sweepLeftoversLater(log: (line: string) => void): vscode.Disposable {
  const timer = setTimeout(() => {
    const configDirs = (vscode.workspace.workspaceFolders ?? []).map((f) => f.uri.fsPath);
    void runnerModule()
      .then((r) => r.sweepStale({ configDirs }))
      .then((report) => {
        const n = report.removed.length;
        if (n > 0) log(`removed ${n} leftover(s) of an earlier Batch Tuner that was killed`);
      })
      .catch(() => undefined);
  }, 2000);
  return { dispose: () => clearTimeout(timer) };
}
