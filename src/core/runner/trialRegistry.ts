// Every trial this process supervises, so that the CLI's signal handlers and the extension's
// deactivate() can end them all (stopAllTrials) and so that an abrupt process.exit still kills
// their process groups and removes their temporary files (the 'exit' hook, synchronous by
// necessity). A SIGKILL of this process runs none of this: the lifeline covers that (lifeline.ts),
// and sweepStale (leftovers.ts) removes the files at the next start.

interface Supervised {
  abort(): void;
  done: Promise<unknown>;
}

const running = new Set<Supervised>();
const exitHooks = new Set<() => void>();
let exitHookInstalled = false;

/**
 * Runs one trial under supervision: `run` gets a signal that aborts when the caller's does or when
 * stopAllTrials() is called; the trial counts as running until `run` settles (cleanup included).
 */
export async function superviseTrial<T>(outer: AbortSignal | undefined, run: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  const onOuterAbort = () => controller.abort();
  if (outer?.aborted) controller.abort();
  else outer?.addEventListener('abort', onOuterAbort, { once: true });
  const done = run(controller.signal);
  const entry: Supervised = { abort: () => controller.abort(), done };
  running.add(entry);
  try {
    return await done;
  } finally {
    running.delete(entry);
    outer?.removeEventListener('abort', onOuterAbort);
  }
}

/**
 * Registers something to do synchronously if this process exits while a trial runs (kill its
 * group, delete its temporary files). Returns the function that unregisters it.
 */
export function onHostExit(hook: () => void): () => void {
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.once('exit', runExitHooks);
  }
  exitHooks.add(hook);
  return () => exitHooks.delete(hook);
}

function runExitHooks(): void {
  for (const hook of [...exitHooks]) {
    try {
      hook();
    } catch {
      // Best effort: one failing hook must not keep the others from running.
    }
  }
  exitHooks.clear();
}

/** How many trials are running now. */
export function runningTrialCount(): number {
  return running.size;
}

/**
 * Stops every running trial (as the Stop button does: polite stop, then SIGKILL of its process
 * group) and resolves once each has ended and cleaned up. After `timeoutMs` whatever is left is
 * killed and its files removed synchronously. For the CLI's SIGINT/SIGTERM/SIGHUP handlers and
 * the extension's deactivate().
 */
export async function stopAllTrials(timeoutMs = 10_000): Promise<void> {
  const trials = [...running];
  for (const t of trials) t.abort();
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), timeoutMs)));
  const outcome = await Promise.race([Promise.allSettled(trials.map((t) => t.done)), timedOut]);
  clearTimeout(timer);
  if (outcome === 'timeout') runExitHooks();
}
