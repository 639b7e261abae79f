// The CLI's answer to SIGINT (Ctrl+C), SIGTERM (kill, a service manager) and SIGHUP (the terminal
// closed): the first one is Stop — the running trials are stopped and awaited (stopAllTrials), the
// study is saved as stopped, and the command exits 128 + the signal's number. A second one quits at
// once: process.exit runs the runner's host-exit hook, which SIGKILLs every trial's process group
// and removes its files synchronously. A SIGKILL of the CLI runs none of this: the trials' lifeline
// ends them (core/runner/lifeline.ts) and the next start sweeps their files (sweepAtStart).
import { stopAllTrials } from '../core/runner';

export type StopSignal = 'SIGINT' | 'SIGTERM' | 'SIGHUP';

const STOP_SIGNALS: readonly StopSignal[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

/** 128 + the signal's number, as a shell reports a process ended by it. */
export const EXIT_CODE: Readonly<Record<StopSignal, number>> = { SIGHUP: 129, SIGINT: 130, SIGTERM: 143 };

/** How long stopping may take before the CLI exits anyway (trials get 10 s in stopAllTrials, then are killed). */
const STOP_BACKSTOP_MS = 20_000;

export interface StopHandle {
  /** Aborts on the first stop signal: pass it to runStudy or the runner. */
  readonly signal: AbortSignal;
  /** The signal that stopped the command, if one did. */
  stoppedBy(): StopSignal | undefined;
  /** Removes the handlers; after a stop signal, resolves once every trial has ended and cleaned up. */
  release(): Promise<void>;
}

/**
 * Installs the handlers for the duration of a command. `say` tells the person what happens
 * (stderr; it may be gone after SIGHUP, which the CLI tolerates: cli.ts).
 */
export function stopOnSignals(say: (line: string) => void): StopHandle {
  const ac = new AbortController();
  let by: StopSignal | undefined;
  let stopping: Promise<void> = Promise.resolve();
  const handlers = new Map<StopSignal, () => void>();
  const onSignal = (sig: StopSignal) => {
    if (by) {
      // Quit at once: the 'exit' hook (core/runner/trialRegistry.ts) SIGKILLs every trial group.
      say(`\n${sig} again: quitting now; the trials are killed`);
      process.exit(EXIT_CODE[sig]);
    }
    by = sig;
    say(sig === 'SIGINT' ? '\nstopping (Ctrl+C again to quit at once)…' : `\n${sig}: stopping the trials and saving the study as stopped…`);
    ac.abort();
    stopping = stopAllTrials();
    // A study that does not wind down in time still must not hang the process: exit, killing what is left.
    setTimeout(() => process.exit(EXIT_CODE[sig]), STOP_BACKSTOP_MS).unref();
  };
  for (const sig of STOP_SIGNALS) {
    const h = () => onSignal(sig);
    handlers.set(sig, h);
    process.on(sig, h);
  }
  return {
    signal: ac.signal,
    stoppedBy: () => by,
    release: async () => {
      await stopping;
      // Until the command returns, a second signal still means "quit now"; afterwards the defaults apply.
      for (const [sig, h] of handlers) process.off(sig, h);
    },
  };
}

/** The exit status of a command that `handle` may have stopped: the signal's, else `code`. */
export function exitCodeAfter(handle: StopHandle, code: number): number {
  const by = handle.stoppedBy();
  return by ? EXIT_CODE[by] : code;
}
