// Nothing a trial starts may outlive the process that supervises it — not even when that process
// is SIGKILLed or crashes, when no handler of ours runs. The kernel closes a dead process's file
// descriptors, so a pipe is a signal that cannot be missed: each trial gets a "lifeline", a socket
// whose other end only the supervisor holds (close-on-exec, so no other child inherits it).
//
// - A guardian: the trial is started through `/bin/sh -c GUARDIAN`, which forks a tiny subshell
//   and then execs the trial's own command (same pid, same process group; the trial is the group
//   leader). The subshell blocks reading the lifeline; EOF means the supervisor is gone, and it
//   sends SIGTERM to the whole group, then SIGKILL one second later. Being in the group, it also
//   keeps the group id from being reused while the trial's processes live. It works for any
//   command, including scripts that never import our reporter.
// - Cooperative children: the lifeline is fd 3 of the trial, named by env BATCH_TUNER_LIFELINE_FD;
//   a child that reads EOF from it ends itself and its children (the Python reporter does).
// - The built-in trainer also exits when its IPC channel disconnects.
//
// Windows has no process groups or /bin/sh: there the lifeline would be a job object created with
// JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE and the trial assigned to it right after spawn
// (AssignProcessToJobObject), so the kernel ends the tree when the supervisor's handle closes.
// Node exposes no job objects, so that needs a native helper; until then Windows trials end on
// stop/exit only (taskkill /T, processTree.ts).
import { existsSync } from 'node:fs';
import type { StdioOptions } from 'node:child_process';

export const LIFELINE_ENV = 'BATCH_TUNER_LIFELINE_FD';
/** The trial's fd for the lifeline (0-2 are stdio; the trainer's IPC channel comes after it). */
export const LIFELINE_FD = 3;

/**
 * The guardian, as one `sh -c` script: "$@" is the trial's command. `$!` (the guardian's pid) is
 * written back on the lifeline so the supervisor can leave it out of the trial's measurements.
 */
function guardianScript(ipcFd?: number): string {
  const closeIpc = ipcFd === undefined ? '' : ` ${ipcFd}>&-`;
  return [
    '(',
    "trap '' INT HUP TERM",
    `exec </dev/null >/dev/null 2>&1${closeIpc}`,
    `read -r _ <&${LIFELINE_FD}`,
    'kill -s TERM 0',
    'sleep 1',
    'kill -s KILL 0',
    ') &',
    `echo "$!" >&${LIFELINE_FD} 2>/dev/null`,
    'exec "$@"',
  ].join('\n');
}

export interface LifelineSpawn {
  file: string;
  args: string[];
  stdio: StdioOptions;
  /** Merged over the trial's environment. */
  env: NodeJS.ProcessEnv;
  /** Index in child.stdio of the supervisor's end (undefined: no lifeline on this platform). */
  lifelineIndex?: number;
}

let shell: string | null | undefined;
function posixShell(): string | null {
  if (shell === undefined) shell = process.platform !== 'win32' && existsSync('/bin/sh') ? '/bin/sh' : null;
  return shell;
}

/** How to spawn `file args` with a lifeline: stdin ignored, stdout/stderr piped, then lifeline, then IPC. */
export function withLifeline(file: string, args: string[], opts: { ipc?: boolean } = {}): LifelineSpawn {
  const ipc: StdioOptions = opts.ipc ? ['ipc'] : [];
  if (process.platform === 'win32') {
    return { file, args, stdio: ['ignore', 'pipe', 'pipe', ...ipc], env: { [LIFELINE_ENV]: undefined } };
  }
  const stdio: StdioOptions = ['ignore', 'pipe', 'pipe', 'pipe', ...ipc];
  const env = { [LIFELINE_ENV]: String(LIFELINE_FD) };
  const sh = posixShell();
  if (!sh) return { file, args, stdio, env, lifelineIndex: LIFELINE_FD };
  const script = guardianScript(opts.ipc ? LIFELINE_FD + 1 : undefined);
  return { file: sh, args: ['-c', script, 'batch-tuner-trial', file, ...args], stdio, env, lifelineIndex: LIFELINE_FD };
}
