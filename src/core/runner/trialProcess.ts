// One trial's process, supervised the same way for the built-in trainer (with an IPC channel) and
// for a user's own command: its own process group with a lifeline guardian (lifeline.ts), a
// heartbeat timer (no sign of life for hangMs: hung), an overall limit, a graceful stop (the
// trainer's IPC `stop`, else SIGTERM to the group) then SIGKILL of the whole group, a stderr
// tail, cancellation through an AbortSignal, and a reap at the end so that nothing it started
// outlives it. What the output means is the caller's business (external.ts, trainerProcess.ts).
import { spawn, type ChildProcess } from 'node:child_process';
import type { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { withLifeline } from './lifeline';
import { LineSplitter, TailBuffer } from './boundedBuffers';
import { livePids, stillSame, type ProcessIdentity } from './procfs';
import { signalTrialTree } from './processTree';
import { ResourceSampler } from './resources';
import { onHostExit } from './trialRegistry';

export type EndReason = { kind: 'cancelled' } | { kind: 'hang'; ms: number } | { kind: 'limit'; message: string };

export interface TrialProcessOptions {
  file: string;
  args: string[];
  cwd?: string;
  env: NodeJS.ProcessEnv;
  /** Open an IPC channel (JSON messages): the built-in trainer. */
  ipc?: boolean;
  /** No output and no message for this long: the trial is hung and is stopped. */
  hangMs: number;
  /** A backstop for the whole trial. */
  limit?: { ms: number; message: string };
  /** Between the polite stop and SIGKILL. */
  graceMs: number;
  /** The polite stop tried before SIGTERM (the trainer's IPC `stop`); false when it could not be asked. */
  askToStop?: () => boolean;
  /** Sample the tree's RSS and GPU memory (and know its processes, for the reap). */
  sampleResources?: boolean;
  signal?: AbortSignal;
  onSpawn?(pid: number): void;
  onStdout?(line: string, truncated: boolean): void;
  onStderr?(line: string, truncated: boolean): void;
  onMessage?(message: unknown): void;
}

export interface ProcessEnd {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Why the supervisor ended it, when it did. */
  reason?: EndReason;
  /** A signal came from the supervisor (a SIGKILL from elsewhere is likely the OOM killer). */
  killedByUs: boolean;
  stderrTail?: string;
  /** Processes of the trial still alive after the final SIGKILL (should be none). */
  survivors: number[];
  /** The process could not be started at all (ENOENT, EACCES, ...). */
  spawnError?: NodeJS.ErrnoException;
}

interface ExitStatus {
  code: number | null;
  signal: NodeJS.Signals | null;
}

interface Started {
  child: ChildProcess;
  pid: number;
  /** Settles once the root has exited and its stdout/stderr have closed (or were closed for it). */
  ended: Promise<ExitStatus>;
  /** Emits the last partial lines of stdout/stderr (a closure: call it unbound). */
  flush: () => void;
}

const STDERR_TAIL_LINES = 40;
/** After the root exits, how long its stdout/stderr may stay open (a leftover holding them) before the rest is killed. */
const CLOSE_WAIT_MS = 1000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The overall limit for a trial with maxSeconds: the program should stop itself then; this is the
 * backstop, at twice the time plus 30 s (start-up, the final evaluation, saving).
 */
export function maxSecondsBackstop(spec: { maxSeconds?: number }, who: string, setting: string): { limit?: { ms: number; message: string } } {
  const s = spec.maxSeconds;
  if (s === undefined) return {};
  const ms = s * 1000 + Math.max(30_000, s * 1000);
  return { limit: { ms, message: `${who} ran past ${setting}=${s} by ${Math.round(ms / 1000 - s)} s and was stopped` } };
}

export class TrialProcess {
  sampler?: ResourceSampler;
  private child?: ChildProcess;
  private reason?: EndReason;
  private killedByUs = false;
  private exited = false;
  private guardianPid?: number;
  private readonly stderrTail = new TailBuffer(STDERR_TAIL_LINES);
  private readonly timers = new Set<NodeJS.Timeout>();
  private hangTimer?: NodeJS.Timeout;

  constructor(private readonly o: TrialProcessOptions) {}

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Starts the process; resolves once it has ended and its whole tree is gone. Never rejects. */
  async run(): Promise<ProcessEnd> {
    if (this.o.signal?.aborted) return { code: null, signal: null, reason: { kind: 'cancelled' }, killedByUs: false, survivors: [] };
    const started = await this.spawnChild();
    if ('error' in started) return { code: null, signal: null, killedByUs: false, survivors: [], spawnError: started.error };
    const { child, pid, ended, flush } = started;
    const unregister = onHostExit(() => signalTrialTree(pid, 'SIGKILL', this.tracked()));
    this.o.onSpawn?.(pid);
    if (this.o.sampleResources) {
      this.sampler = new ResourceSampler(pid, 250, 1000, this.o.env);
      if (this.guardianPid) this.sampler.excluded.add(this.guardianPid);
      this.sampler.start();
    }
    const onAbort = () => this.stop({ kind: 'cancelled' });
    this.o.signal?.addEventListener('abort', onAbort, { once: true });
    if (this.o.signal?.aborted) onAbort(); // aborted while it was starting
    if (this.o.limit) {
      const { ms, message } = this.o.limit;
      this.later(ms, () => this.stop({ kind: 'limit', message }));
    }
    this.alive();
    const { code, signal } = await ended;
    this.o.signal?.removeEventListener('abort', onAbort);
    for (const t of this.timers) clearTimeout(t);
    flush();
    this.sampler?.stop();
    const survivors = await this.reap(pid);
    unregister();
    this.closeLifeline(child);
    const stderrTail = this.stderrTail.text() || undefined;
    return { code, signal, ...(this.reason ? { reason: this.reason } : {}), killedByUs: this.killedByUs, ...(stderrTail ? { stderrTail } : {}), survivors };
  }

  /** A sign of life (output, a message, a metrics line): re-arms the hang timer. */
  alive(): void {
    if (this.hangTimer) {
      clearTimeout(this.hangTimer);
      this.timers.delete(this.hangTimer);
    }
    if (this.reason || this.exited) return;
    this.hangTimer = this.later(this.o.hangMs, () => this.stop({ kind: 'hang', ms: this.o.hangMs }));
  }

  /** Ends the trial: the polite stop (or SIGTERM to the group), then SIGKILL after the grace period; a hung one at once. */
  stop(reason: EndReason): void {
    const pid = this.child?.pid;
    if (this.reason || this.exited || pid === undefined) return;
    this.reason = reason;
    this.killedByUs = true;
    // A hung process reads no messages and may run no handler either; the hang timer has waited long enough.
    if (reason.kind === 'hang') return signalTrialTree(pid, 'SIGKILL', this.tracked());
    if (this.o.askToStop?.() !== true) signalTrialTree(pid, 'SIGTERM', this.tracked());
    this.later(this.o.graceMs, () => signalTrialTree(pid, 'SIGKILL', this.tracked()));
  }

  /** Sends an IPC message; false when the channel is closed (the trial is ending) or the send failed (`onError`). */
  send(message: unknown, onError?: (e: Error) => void): boolean {
    if (!this.child?.connected) return false;
    try {
      this.child.send(message as object);
      return true;
    } catch (e) {
      onError?.(e instanceof Error ? e : new Error(String(e)));
      return false;
    }
  }

  private later(ms: number, fn: () => void): NodeJS.Timeout {
    const t = setTimeout(() => {
      this.timers.delete(t);
      fn();
    }, ms);
    t.unref();
    this.timers.add(t);
    return t;
  }

  private tracked(): ProcessIdentity[] {
    return [...(this.sampler?.members.values() ?? [])];
  }

  /**
   * Spawns through the lifeline guardian, listening at once to everything it may say; resolves
   * once it runs (with the promise of its end and the final flush of its output), or the spawn error.
   */
  private spawnChild(): Promise<Started | { error: NodeJS.ErrnoException }> {
    const l = withLifeline(this.o.file, this.o.args, { ipc: this.o.ipc });
    let child: ChildProcess;
    try {
      child = spawn(l.file, l.args, {
        cwd: this.o.cwd,
        env: { ...this.o.env, ...l.env },
        stdio: l.stdio,
        detached: process.platform !== 'win32',
        windowsHide: true,
        serialization: 'json',
      });
    } catch (e) {
      return Promise.resolve({ error: e as NodeJS.ErrnoException });
    }
    this.child = child;
    if (l.lifelineIndex !== undefined) this.listenToLifeline(child.stdio[l.lifelineIndex] as Readable | null);
    const flush = this.readOutput(child);
    child.on('message', (m: unknown) => {
      this.alive();
      this.o.onMessage?.(m);
    });
    const ended = this.waitForEnd(child);
    return new Promise((resolve) => {
      child.once('spawn', () => resolve({ child, pid: child.pid as number, ended, flush }));
      child.on('error', (e) => {
        // Spawn failures (ENOENT, EACCES) come here without a pid; later errors (a failed send) are not fatal.
        if (child.pid === undefined) resolve({ error: e });
      });
    });
  }

  /** The guardian writes its pid on the lifeline: it is not part of the trial's measurements. */
  private listenToLifeline(end: Readable | null): void {
    if (!end) return;
    end.on('error', () => undefined); // the guardian died with its group
    let text = '';
    end.on('data', (b: Buffer) => {
      if (this.guardianPid !== undefined || text.length > 64) return;
      text += b.toString('latin1');
      const m = /^(\d+)\n/.exec(text);
      if (m) {
        this.guardianPid = Number(m[1]);
        this.sampler?.excluded.add(this.guardianPid);
      }
    });
  }

  private closeLifeline(child: ChildProcess): void {
    for (const s of child.stdio.slice(3)) (s as Readable | null)?.destroy();
  }

  /** Lines of stdout and stderr to the callbacks (stderr also to the tail); returns the final flush. */
  private readOutput(child: ChildProcess): () => void {
    const pipe = (stream: Readable | null, onLine: (line: string, truncated: boolean) => void) => {
      const decoder = new StringDecoder('utf8');
      const lines = new LineSplitter(onLine);
      stream?.on('data', (b: Buffer) => {
        this.alive();
        lines.push(decoder.write(b));
      });
      return () => {
        lines.push(decoder.end());
        lines.flush();
      };
    };
    const out = pipe(child.stdout, (line, truncated) => this.o.onStdout?.(line, truncated));
    const err = pipe(child.stderr, (line, truncated) => {
      this.stderrTail.push(line);
      this.o.onStderr?.(line, truncated);
    });
    return () => {
      out();
      err();
    };
  }

  /**
   * The exit status, once stdout/stderr have closed. A leftover grandchild holding them open would
   * keep the trial "running" after the root exited: shortly after the exit the rest of the tree is
   * killed, and a second later the pipes are closed from this side.
   */
  private waitForEnd(child: ChildProcess): Promise<ExitStatus> {
    return new Promise((resolve) => {
      let exit: ExitStatus | undefined;
      child.once('exit', (code, signal) => {
        this.exited = true;
        exit = { code, signal };
        // The guardian holds its end of the lifeline until ours closes: closing it now ends the
        // guardian (and any straggler of the trial's group) at once, so 'close' need not wait.
        this.closeLifeline(child);
        this.later(CLOSE_WAIT_MS, () => {
          if (child.pid !== undefined) signalTrialTree(child.pid, 'SIGKILL', this.tracked());
          this.later(CLOSE_WAIT_MS, () => {
            child.stdout?.destroy();
            child.stderr?.destroy();
            resolve(exit!);
          });
        });
      });
      child.once('close', (code, signal) => resolve(exit ?? { code, signal }));
    });
  }

  /** SIGKILL to the group and every tracked process still the same one; waits (2 s at most) until none is left. */
  private async reap(pid: number): Promise<number[]> {
    if (process.platform === 'win32') return [];
    const tracked = this.tracked();
    signalTrialTree(pid, 'SIGKILL', tracked);
    const left = async () =>
      livePids(
        (await stillSame(tracked)).map((id) => id.pid),
        pid,
      );
    let survivors = await left();
    for (let i = 0; i < 20 && survivors.length; i++) {
      await sleep(100);
      survivors = await left();
    }
    return survivors;
  }
}
