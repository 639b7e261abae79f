// Nothing Batch Tuner starts outlives the extension host (issue 12): deactivate() stops what runs
// and waits until the trials' process trees have ended and their files are cleaned up. (The
// runner's sweepStale(), for leftovers of a host that was killed, belongs at activation, deferred
// like extension.ts's setStudyContextKeysLater.)
import type { StudyService } from './studyService';

/** How long deactivate() waits for trials to end (VS Code waits a few seconds for deactivate). */
const STOP_TIMEOUT_MS = 4000;

/**
 * Stops every trial this extension host started and waits for them. Today that is the one
 * session's (aborting it kills the trial's process group; its promise settles after cleanup).
 * The one place to add the runner's registry when it lands (core/runner `stopAllTrials()`, which
 * also ends trials outside a session and kills what is left after its timeout):
 *   await Promise.all([studies?.stopAndWait(STOP_TIMEOUT_MS), stopAllTrials(STOP_TIMEOUT_MS)]);
 */
export async function stopAllTrials(studies: StudyService | undefined, log?: (line: string) => void): Promise<void> {
  if (!studies?.running) return;
  const ended = await studies.stopAndWait(STOP_TIMEOUT_MS);
  if (!ended) log?.(`deactivate: a trial did not end within ${STOP_TIMEOUT_MS / 1000} s of Stop`);
}
