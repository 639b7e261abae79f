// Runs one trial in the built-in TensorFlow.js trainer (dist/trainer.js), a Node child process
// with an IPC channel (what child_process.fork gives), supervised by TrialProcess like any trial.
// They talk with the typed messages of ../protocol.ts, validated on receipt. The runner never
// rejects: a crash, an out-of-memory, a hang or a cancellation comes back as a TrialResult with a
// status and a structured error, and the child (with anything it started) is gone before the
// promise settles. The trainer also ends itself when the IPC channel disconnects (its host died).
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import type { EvalMetrics, StepMetrics, TrialCallbacks, TrialError, TrialResult, TrialRunner, TrialSpec } from '../types';
import { PROTOCOL_VERSION, validateTrainerMessage, type HostToTrainer } from '../protocol';
import { CheckpointLog, missingCheckpointWarning } from './checkpoints';
import { OomWatch } from './oom';
import { buildTrialResult, classifyEnd, type Outcome } from './trialOutcome';
import { maxSecondsBackstop, TrialProcess } from './trialProcess';
import { superviseTrial } from './trialRegistry';

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
  return (spec, callbacks, signal) => startTrainerTrial(spec, callbacks, opts, signal).result;
}

/** A running trial the host can steer: `setBatchSize` takes effect from the trainer's next step. */
export interface TrainerTrialHandle {
  result: Promise<TrialResult>;
  setBatchSize(batchSize: number, learningRate?: number): void;
}

/** Like createTrainerRunner()(...), but returns a handle to change the batch size while it runs. */
export function startTrainerTrial(spec: TrialSpec, callbacks: TrialCallbacks, opts: TrainerRunnerOptions = {}, signal?: AbortSignal): TrainerTrialHandle {
  let trial: TrainerTrial | undefined;
  // superviseTrial calls its function at once: `trial` is set before this returns.
  const result = superviseTrial(signal, (s) => (trial = new TrainerTrial(spec, callbacks, opts, s)).run());
  return { result, setBatchSize: (b, lr) => trial?.setBatchSize(b, lr) };
}

class TrainerTrial {
  private readonly startedMs = Date.now();
  private readonly steps: StepMetrics[] = [];
  private readonly evals: EvalMetrics[] = [];
  private readonly warnings: string[] = [];
  private readonly checkpoints: CheckpointLog;
  private readonly oom = new OomWatch();
  private backend?: string;
  private backendReason?: string;
  private done = false;
  private reported?: TrialError;
  private malformed = 0;
  private proc?: TrialProcess;

  constructor(
    private readonly spec: TrialSpec,
    private readonly cb: TrialCallbacks,
    private readonly opts: TrainerRunnerOptions,
    private readonly signal: AbortSignal,
  ) {
    this.checkpoints = new CheckpointLog(cb);
  }

  async run(): Promise<TrialResult> {
    if (this.signal.aborted) return this.result({ status: 'cancelled', error: { kind: 'cancelled', message: 'cancelled before the trial started' } });
    const trainerPath = this.opts.trainerPath ?? defaultTrainerPath();
    if (!existsSync(trainerPath)) {
      return this.result({
        status: 'failed',
        error: { kind: 'spawn', message: `trainer bundle not found at ${trainerPath}; run \`npm run build\` to create dist/trainer.js` },
      });
    }
    const proc: TrialProcess = new TrialProcess({
      file: process.execPath,
      args: [...(this.opts.execArgv ?? []), trainerPath],
      env: { ...process.env, ...this.opts.env },
      ipc: true,
      hangMs: this.spec.hangTimeoutMs ?? DEFAULT_HANG_MS,
      ...maxSecondsBackstop(this.spec, 'the trainer', 'maxSeconds'),
      graceMs: STOP_GRACE_MS,
      askToStop: (): boolean => proc.send({ v: PROTOCOL_VERSION, type: 'stop' } satisfies HostToTrainer),
      signal: this.signal,
      onSpawn: () => this.send({ v: PROTOCOL_VERSION, type: 'start', trial: this.spec }),
      onStdout: (line) => {
        if (line.trim()) this.cb.onLog?.('info', line);
      },
      onStderr: (line) => this.oom.note(line),
      onMessage: (m) => this.onMessage(m),
    });
    this.proc = proc;
    const end = await proc.run();
    if (end.spawnError)
      return this.result({ status: 'failed', error: { kind: 'spawn', message: `could not start the trainer (${trainerPath}): ${end.spawnError.message}` } });
    if (end.survivors.length)
      this.warnings.push(`processes ${end.survivors.join(', ')} of the trainer were still alive after it ended and could not be killed`);
    if (this.malformed > 3) this.warnings.push(`${this.malformed - 3} more malformed trainer messages were ignored`);
    const bs = this.spec.batchSize;
    return this.result(
      classifyEnd(this.spec, end, {
        who: 'the trainer',
        ...(this.reported ? { reported: this.reported } : {}),
        finished: this.done,
        completed: this.done,
        oomLine: this.oom.line,
        hangMessage: (s) => `the trainer sent nothing for ${s} s and was killed; a step may be far too slow at batch size ${bs}, or the process hung`,
        incompleteMessage: 'the trainer exited without finishing the trial (no "done" message)',
      }),
    );
  }

  setBatchSize(batchSize: number, learningRate?: number): void {
    if (!(Number.isInteger(batchSize) && batchSize >= 1)) throw new RangeError(`setBatchSize: batch size must be a positive integer (got ${batchSize})`);
    this.send({ v: PROTOCOL_VERSION, type: 'setBatchSize', batchSize, ...(learningRate === undefined ? {} : { learningRate }) });
  }

  private send(msg: HostToTrainer): void {
    this.proc?.send(msg, (e) => this.warnings.push(`could not send "${msg.type}" to the trainer: ${e.message}`));
  }

  private onMessage(raw: unknown): void {
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
      case 'checkpoint':
        this.checkpoints.add(m.checkpoint);
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

  private result(outcome: Outcome): TrialResult {
    const warnings = [...this.warnings];
    const missing = this.proc && missingCheckpointWarning(this.spec, outcome.status, 'the trainer', '');
    if (missing) warnings.push(missing);
    const dropped = this.checkpoints.warning();
    if (dropped) warnings.push(dropped);
    const peak = this.steps.reduce((m, s) => Math.max(m, s.peakMemoryBytes ?? s.memoryBytes ?? 0), 0);
    return buildTrialResult(this.spec, outcome, {
      steps: this.steps,
      evals: this.evals,
      warnings,
      checkpoints: this.checkpoints.all,
      ...(this.backend ? { backend: this.backend, backendReason: this.backendReason } : {}),
      ...(peak > 0 ? { peakMemoryBytes: peak } : {}),
      startedMs: this.startedMs,
    });
  }
}
