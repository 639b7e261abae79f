// Runs one trial in the built-in TensorFlow.js trainer (dist/trainer.js), a child process
// started with child_process.fork. They talk over IPC with the typed messages of
// ../protocol.ts, validated on receipt. The runner never rejects: a crash, an out-of-memory,
// a hang or a cancellation comes back as a TrialResult with a status and a structured error,
// and the child (with anything it started) is gone before the promise settles.
import { fork, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import type { TrialCallbacks, TrialError, TrialResult, TrialRunner, TrialSpec, StepMetrics, EvalMetrics, TrialStatus } from '../types';
import { PROTOCOL_VERSION, validateTrainerMessage, type HostToTrainer } from '../protocol';
import { DEFAULT_WARMUP_STEPS, summarizeThroughput } from '../tuner/throughput';
import { TailBuffer, LineSplitter } from './metricsProtocol';
import { isOutOfMemory } from './oom';
import { isProcessAlive, killProcessTree } from './processTree';

export interface TrainerRunnerOptions {
  /** The trainer bundle (default: trainer.js next to this bundle, else <repo>/dist/trainer.js). */
  trainerPath?: string;
  /** Node flags for the child, e.g. ['--max-old-space-size=256'] (default: none, not the parent's). */
  execArgv?: string[];
  /** Extra environment for the child (merged over process.env), e.g. BATCH_TUNER_BACKEND. */
  env?: NodeJS.ProcessEnv;
}

const DEFAULT_HANG_MS = 60_000;
/** After `stop`, how long the child gets to exit by itself before SIGKILL. */
const STOP_GRACE_MS = 500;

/** Walks up from `start` to the folder with package.json. */
function findRepoRoot(start: string): string | undefined {
  for (let d = path.resolve(start); ; d = path.dirname(d)) {
    if (existsSync(path.join(d, 'package.json'))) return d;
    if (path.dirname(d) === d) return undefined;
  }
}

/** All bundles live together in dist/; from the sources (tsx, tests) use <repo>/dist/trainer.js. */
export function defaultTrainerPath(): string {
  const sibling = path.join(__dirname, 'trainer.js');
  if (existsSync(sibling)) return sibling;
  const root = findRepoRoot(__dirname);
  return path.join(root ?? process.cwd(), 'dist', 'trainer.js');
}

export function createTrainerRunner(opts: TrainerRunnerOptions = {}): TrialRunner {
  return (spec, callbacks, signal) => new TrainerTrial(spec, callbacks, opts, signal).run();
}

/** A running trial the host can steer: `setBatchSize` takes effect from the trainer's next step. */
export interface TrainerTrialHandle {
  result: Promise<TrialResult>;
  setBatchSize(batchSize: number, learningRate?: number): void;
}

/** Like createTrainerRunner()(...), but returns a handle to change the batch size while it runs. */
export function startTrainerTrial(spec: TrialSpec, callbacks: TrialCallbacks, opts: TrainerRunnerOptions = {}, signal?: AbortSignal): TrainerTrialHandle {
  const trial = new TrainerTrial(spec, callbacks, opts, signal);
  return { result: trial.run(), setBatchSize: (b, lr) => trial.setBatchSize(b, lr) };
}

class TrainerTrial {
  private child?: ChildProcess;
  private readonly steps: StepMetrics[] = [];
  private readonly evals: EvalMetrics[] = [];
  private readonly warnings: string[] = [];
  private readonly stderr = new TailBuffer(40);
  private backend?: string;
  private backendReason?: string;
  private done = false;
  private reported?: TrialError;
  /** Why the host ended the child (cancel, hang), which decides the status over the exit code. */
  private endedBy?: 'cancelled' | 'hang';
  private hangTimer?: NodeJS.Timeout;
  private killTimer?: NodeJS.Timeout;
  private closeTimer?: NodeJS.Timeout;
  private readonly started = Date.now();
  private settle!: (r: TrialResult) => void;
  private settled = false;
  private malformed = 0;

  constructor(
    private readonly spec: TrialSpec,
    private readonly cb: TrialCallbacks,
    private readonly opts: TrainerRunnerOptions,
    private readonly signal?: AbortSignal,
  ) {}

  run(): Promise<TrialResult> {
    return new Promise<TrialResult>((resolve) => {
      this.settle = resolve;
      if (this.signal?.aborted) return this.finish('cancelled', { kind: 'cancelled', message: 'cancelled before the trial started' });
      const trainerPath = this.opts.trainerPath ?? defaultTrainerPath();
      if (!existsSync(trainerPath))
        return this.finish('failed', { kind: 'spawn', message: `trainer bundle not found at ${trainerPath}; run \`npm run build\` to create dist/trainer.js` });
      try {
        this.child = fork(trainerPath, [], {
          execArgv: this.opts.execArgv ?? [],
          env: { ...process.env, ...this.opts.env },
          stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
          serialization: 'json',
        });
      } catch (e) {
        return this.finish('failed', { kind: 'spawn', message: `could not start the trainer (${trainerPath}): ${(e as Error).message}` });
      }
      const child = this.child;
      const lines = new LineSplitter((line) => this.stderr.push(line));
      child.stderr?.setEncoding('utf8').on('data', (d: string) => lines.push(d));
      child.stdout?.setEncoding('utf8').on('data', (d: string) => { for (const l of d.split('\n')) if (l.trim()) this.cb.onLog?.('info', l); });
      child.on('message', (m: unknown) => this.onMessage(m));
      child.on('error', (e) => {
        // Spawn failures (ENOENT, EACCES) or a failed send; the exit handler does the rest.
        this.warnings.push(`trainer process error: ${e.message}`);
        if (child.pid === undefined) this.finish('failed', { kind: 'spawn', message: `could not start the trainer (${trainerPath}): ${e.message}` });
      });
      child.on('exit', (code, sig) => {
        // 'close' waits for stdio to drain; give it a moment, but never wait on it forever.
        this.closeTimer = setTimeout(() => this.onExit(code, sig), 1000);
        child.once('close', () => { lines.flush(); this.onExit(code, sig); });
      });
      this.signal?.addEventListener('abort', this.onAbort, { once: true });
      this.armHangTimer();
      this.send({ v: PROTOCOL_VERSION, type: 'start', trial: this.spec });
    });
  }

  setBatchSize(batchSize: number, learningRate?: number): void {
    if (!(Number.isInteger(batchSize) && batchSize >= 1)) throw new RangeError(`setBatchSize: batch size must be a positive integer (got ${batchSize})`);
    this.send({ v: PROTOCOL_VERSION, type: 'setBatchSize', batchSize, ...(learningRate === undefined ? {} : { learningRate }) });
  }

  private send(msg: HostToTrainer): void {
    try {
      if (this.child?.connected) this.child.send(msg);
    } catch (e) {
      this.warnings.push(`could not send "${msg.type}" to the trainer: ${(e as Error).message}`);
    }
  }

  private readonly onAbort = () => this.stop('cancelled');

  /** Asks the child to stop, then kills it (and its tree) if it has not exited within STOP_GRACE_MS. */
  private stop(reason: 'cancelled' | 'hang'): void {
    if (this.settled || this.endedBy) return;
    this.endedBy = reason;
    clearTimeout(this.hangTimer);
    if (reason === 'hang') return this.kill();
    this.send({ v: PROTOCOL_VERSION, type: 'stop' });
    this.killTimer = setTimeout(() => this.kill(), STOP_GRACE_MS);
  }

  private kill(): void {
    const pid = this.child?.pid;
    if (pid !== undefined && this.child?.exitCode === null && this.child.signalCode === null) killProcessTree(pid, 'SIGKILL');
  }

  private armHangTimer(): void {
    clearTimeout(this.hangTimer);
    if (this.settled || this.endedBy) return;
    const ms = this.spec.hangTimeoutMs ?? DEFAULT_HANG_MS;
    this.hangTimer = setTimeout(() => this.stop('hang'), ms);
  }

  private onMessage(raw: unknown): void {
    this.armHangTimer();
    const r = validateTrainerMessage(raw);
    if (!r.ok) {
      if (this.malformed++ < 3) this.warnings.push(`ignored a malformed trainer message: ${r.error}`);
      return;
    }
    const m = r.value;
    switch (m.type) {
      case 'ready':
        this.backend = m.backend;
        this.backendReason = m.backendReason;
        this.cb.onReady?.({ backend: m.backend, backendReason: m.backendReason, pid: m.pid });
        break;
      case 'step':
        this.steps.push(m.metrics);
        this.cb.onStep?.(m.metrics);
        break;
      case 'eval':
        this.evals.push(m.metrics);
        this.cb.onEval?.(m.metrics);
        break;
      case 'log':
        if (m.level !== 'info') this.warnings.push(m.message);
        this.cb.onLog?.(m.level, m.message);
        break;
      case 'done':
        this.done = true;
        break;
      case 'error':
        this.reported = m.error;
        break;
      case 'alive':
        break;
    }
  }

  private onExit(code: number | null, sig: NodeJS.Signals | null): void {
    if (this.settled) return;
    const stderrTail = this.stderr.text() || undefined;
    const where = { exitCode: code, signal: sig, ...(stderrTail ? { stderrTail } : {}) };
    if (this.endedBy === 'cancelled') return this.finish('cancelled', { kind: 'cancelled', message: 'the trial was stopped', ...where });
    if (this.endedBy === 'hang') {
      const ms = this.spec.hangTimeoutMs ?? DEFAULT_HANG_MS;
      return this.finish('timeout', { kind: 'hang', message: `the trainer sent nothing for ${ms / 1000} s and was killed; a step may be far too slow at batch size ${this.spec.batchSize}, or the process hung`, ...where });
    }
    if (this.reported) {
      const status: TrialStatus = this.reported.kind === 'oom' ? 'oom' : this.reported.kind === 'config' ? 'failed' : 'crashed';
      return this.finish(status, { ...this.reported, ...where });
    }
    if (this.done && code === 0) return this.finish('ok');
    if (stderrTail && isOutOfMemory(stderrTail))
      return this.finish('oom', { kind: 'oom', message: `the trainer ran out of memory at batch size ${this.spec.batchSize}: ${lastMatchingLine(stderrTail)}`, ...where });
    if (sig) return this.finish('crashed', { kind: 'crash', message: `the trainer was killed by ${sig} at batch size ${this.spec.batchSize}`, ...where });
    if (code !== 0) return this.finish('crashed', { kind: 'crash', message: `the trainer exited with code ${code}${stderrTail ? `: ${lastLine(stderrTail)}` : ''}`, ...where });
    return this.finish('failed', { kind: 'exit', message: 'the trainer exited without finishing the trial (no "done" message)', ...where });
  }

  private finish(status: TrialStatus, error?: TrialError): void {
    if (this.settled) return;
    this.settled = true;
    clearTimeout(this.hangTimer);
    clearTimeout(this.killTimer);
    clearTimeout(this.closeTimer);
    this.signal?.removeEventListener('abort', this.onAbort);
    const pid = this.child?.pid;
    // Belt and braces: nothing this trial started may outlive it.
    if (pid !== undefined && isProcessAlive(pid) && this.child?.exitCode === null) killProcessTree(pid, 'SIGKILL');
    this.child?.removeAllListeners('message');
    if (this.malformed > 3) this.warnings.push(`${this.malformed - 3} more malformed trainer messages were ignored`);
    const tp = summarizeThroughput(this.steps, this.spec.warmupSteps ?? DEFAULT_WARMUP_STEPS);
    const peak = this.steps.reduce((m, s) => Math.max(m, s.peakMemoryBytes ?? s.memoryBytes ?? 0), 0);
    this.settle({
      id: this.spec.id,
      status,
      ...(error ? { error } : {}),
      batchSize: this.spec.batchSize,
      learningRate: this.spec.learningRate,
      seed: this.spec.seed,
      ...(this.backend ? { backend: this.backend, backendReason: this.backendReason } : {}),
      steps: this.steps,
      evals: this.evals,
      ...(tp ? { samplesPerSecond: tp.samplesPerSecond, samplesPerSecondIqr: tp.iqr } : {}),
      ...(peak > 0 ? { peakMemoryBytes: peak } : {}),
      wallSeconds: (Date.now() - this.started) / 1000,
      ...(this.warnings.length ? { warnings: this.warnings } : {}),
    });
  }
}

const lastLine = (text: string) => text.trim().split('\n').pop() ?? '';
const lastMatchingLine = (text: string) => text.split('\n').reverse().find((l) => isOutOfMemory(l))?.trim() ?? lastLine(text);
