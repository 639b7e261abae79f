// How a trial ended, and the TrialResult that says so: one classification and one assembly for
// the built-in trainer and external commands alike. The order is the order of trust: what the
// supervisor itself did (stop, hang), then what the trial said about itself (its error, its
// `done`), then what its output and exit status suggest.
import type { CheckpointInfo, EvalMetrics, StepMetrics, TrialError, TrialResult, TrialSpec, TrialStatus } from '../types';
import { DEFAULT_WARMUP_STEPS, summarizeThroughput } from '../tuner/throughput';
import { preview } from './metricsProtocol';
import type { ProcessEnd } from './trialProcess';

export interface TrialAccount {
  /** The subject of messages: "the trainer", "the training command". */
  who: string;
  /** The trial's own report of why it ended (the trainer's `error`, the metrics protocol's `oom`). */
  reported?: TrialError;
  /** It said it finished the trial (the trainer's `done`): trusted over what its output looks like. */
  finished: boolean;
  /** It did its work by its own standard (the trainer: `done`; a script: at least one step). */
  completed: boolean;
  /** The first line of its output that looked like running out of memory. */
  oomLine?: string;
  hangMessage(seconds: number): string;
  /** Why an exit with status 0 without `completed` is a failure, and what to do. */
  incompleteMessage: string;
}

export interface Outcome {
  status: TrialStatus;
  error?: TrialError;
}

export function classifyEnd(spec: TrialSpec, end: ProcessEnd, a: TrialAccount): Outcome {
  const { code, signal: sig, reason } = end;
  const where = { exitCode: code, signal: sig, ...(end.stderrTail ? { stderrTail: end.stderrTail } : {}) };
  const bs = spec.batchSize;
  if (reason?.kind === 'cancelled') return { status: 'cancelled', error: { kind: 'cancelled', message: 'the trial was stopped', ...where } };
  if (reason?.kind === 'hang') return { status: 'timeout', error: { kind: 'hang', message: a.hangMessage(reason.ms / 1000), ...where } };
  if (a.reported) {
    const status: TrialStatus = a.reported.kind === 'oom' ? 'oom' : a.reported.kind === 'config' ? 'failed' : 'crashed';
    return { status, error: { ...a.reported, ...where } };
  }
  if (a.finished && code === 0) return { status: 'ok' };
  if (a.oomLine !== undefined)
    return { status: 'oom', error: { kind: 'oom', message: `${a.who} ran out of memory at batch size ${bs}: ${preview(a.oomLine, 300)}`, ...where } };
  if (reason?.kind === 'limit') return a.completed ? { status: 'ok' } : { status: 'timeout', error: { kind: 'hang', message: reason.message, ...where } };
  if (sig === 'SIGKILL' && !end.killedByUs) {
    // Nobody here sent it: on Linux that is almost always the kernel's out-of-memory killer.
    return {
      status: 'oom',
      error: { kind: 'oom', message: `${a.who} was killed by SIGKILL (most likely the kernel's out-of-memory killer) at batch size ${bs}`, ...where },
    };
  }
  if (sig) return { status: 'crashed', error: { kind: 'crash', message: `${a.who} was killed by ${sig} at batch size ${bs}`, ...where } };
  if (code !== 0) {
    const last = end.stderrTail
      ?.split('\n')
      .filter((l) => l.trim())
      .pop();
    return {
      status: 'crashed',
      error: { kind: 'crash', message: `${a.who} exited with code ${code}${last ? `: ${preview(last.trim(), 300)}` : ''}`, ...where },
    };
  }
  if (!a.completed) return { status: 'failed', error: { kind: 'exit', message: a.incompleteMessage, ...where } };
  return { status: 'ok' };
}

/** A spawn failure (ENOENT, EACCES, ...) in words, with what to do. */
export function spawnFailureMessage(program: string, e: NodeJS.ErrnoException, remedy: string): string {
  const what = e.code === 'ENOENT' ? 'was not found' : e.code === 'EACCES' ? 'is not executable' : `could not be started (${e.message})`;
  return `${program} ${what}${remedy ? `: ${remedy}` : ''}`;
}

export interface TrialMeasurements {
  steps: StepMetrics[];
  evals: EvalMetrics[];
  warnings: string[];
  checkpoints: CheckpointInfo[];
  backend?: string;
  backendReason?: string;
  peakMemoryBytes?: number;
  /** Date.now() when the trial started. */
  startedMs: number;
}

export function buildTrialResult(spec: TrialSpec, outcome: Outcome, m: TrialMeasurements): TrialResult {
  const tp = summarizeThroughput(m.steps, spec.warmupSteps ?? DEFAULT_WARMUP_STEPS);
  return {
    id: spec.id,
    status: outcome.status,
    ...(outcome.error ? { error: outcome.error } : {}),
    batchSize: spec.batchSize,
    learningRate: spec.learningRate,
    seed: spec.seed,
    ...(m.backend ? { backend: m.backend, backendReason: m.backendReason } : {}),
    steps: m.steps,
    evals: m.evals,
    ...(tp ? { samplesPerSecond: tp.samplesPerSecond, samplesPerSecondIqr: tp.iqr } : {}),
    ...(m.peakMemoryBytes ? { peakMemoryBytes: m.peakMemoryBytes } : {}),
    wallSeconds: (Date.now() - m.startedMs) / 1000,
    ...(m.warnings.length ? { warnings: m.warnings } : {}),
    ...(m.checkpoints.length ? { checkpoints: m.checkpoints } : {}),
  };
}
