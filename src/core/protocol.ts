// Typed, versioned messages between processes. Every message carries `v` (the protocol
// version) and a `type` discriminant; everything received is validated before use, in both
// directions, because the other side may be an older build, a crashed process or a user's script.
import type { CheckpointInfo, EvalMetrics, StepMetrics, TrialError, TrialSpec } from './types';
import { isObj } from './guards';

export const PROTOCOL_VERSION = 1;

// ---------------------------------------------------------------------------------------------
// Host -> trainer (child_process.fork IPC)

export type HostToTrainer =
  | { v: 1; type: 'start'; trial: TrialSpec }
  | { v: 1; type: 'stop' }
  /** A new batch size for a running trial (adaptive schedule driven from the host). */
  | { v: 1; type: 'setBatchSize'; batchSize: number; learningRate?: number };

// Trainer -> host
export type TrainerToHost =
  | { v: 1; type: 'ready'; pid: number; backend: string; backendReason: string }
  | { v: 1; type: 'step'; metrics: StepMetrics }
  | { v: 1; type: 'eval'; metrics: EvalMetrics }
  | { v: 1; type: 'log'; level: 'info' | 'warn' | 'error'; message: string }
  | { v: 1; type: 'done'; steps: number; samples: number; wallSeconds: number }
  | { v: 1; type: 'error'; error: TrialError }
  /** The trainer wrote a checkpoint (periodic, or the one TrialSpec.checkpointPath asked for). */
  | { v: 1; type: 'checkpoint'; checkpoint: CheckpointInfo }
  /** Heartbeat while a long step or data loading runs, so the host can tell slow from hung. */
  | { v: 1; type: 'alive' };

export type ValidationResult<T> = { ok: true; value: T } | { ok: false; error: string };

type Obj = Record<string, unknown>;
const isNum = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x);
const isOptNum = (x: unknown) => x === undefined || isNum(x);
const isStr = (x: unknown): x is string => typeof x === 'string';

function header(msg: unknown): ValidationResult<Obj & { type: string }> {
  if (!isObj(msg)) return { ok: false, error: 'message is not an object' };
  if (msg.v !== PROTOCOL_VERSION) return { ok: false, error: `unsupported protocol version ${String(msg.v)} (expected ${PROTOCOL_VERSION})` };
  if (!isStr(msg.type)) return { ok: false, error: 'message has no string "type"' };
  return { ok: true, value: msg as Obj & { type: string } };
}

const STEP_REQUIRED = ['step', 'epoch', 'samples', 'batchSize', 'learningRate', 'stepTimeMs', 'samplesPerSecond', 'time'] as const;
const STEP_OPTIONAL = ['memoryBytes', 'peakMemoryBytes', 'rssBytes', 'gradSqNorm', 'microGradSqNorm', 'microBatchSize'] as const;

export function validateStepMetrics(m: unknown): ValidationResult<StepMetrics> {
  if (!isObj(m)) return { ok: false, error: 'step metrics are not an object' };
  for (const k of STEP_REQUIRED) if (!isNum(m[k])) return { ok: false, error: `step metrics: "${k}" must be a finite number` };
  // A diverged run reports NaN/Infinity loss: that is a measurement, not a protocol error.
  if (typeof m.loss !== 'number' && m.loss !== null) return { ok: false, error: 'step metrics: "loss" must be a number' };
  for (const k of STEP_OPTIONAL) if (!isOptNum(m[k])) return { ok: false, error: `step metrics: "${k}" must be a finite number when present` };
  return { ok: true, value: { ...(m as unknown as StepMetrics), loss: m.loss === null ? NaN : m.loss } };
}

export function validateEvalMetrics(m: unknown): ValidationResult<EvalMetrics> {
  if (!isObj(m)) return { ok: false, error: 'eval metrics are not an object' };
  for (const k of ['step', 'samples', 'time'] as const) if (!isNum(m[k])) return { ok: false, error: `eval metrics: "${k}" must be a finite number` };
  if (typeof m.valLoss !== 'number') return { ok: false, error: 'eval metrics: "valLoss" must be a number' };
  if (!isOptNum(m.valAccuracy)) return { ok: false, error: 'eval metrics: "valAccuracy" must be a number when present' };
  return { ok: true, value: m as unknown as EvalMetrics };
}

export function validateTrainerMessage(msg: unknown): ValidationResult<TrainerToHost> {
  const h = header(msg);
  if (!h.ok) return h;
  const m = h.value;
  switch (m.type) {
    case 'ready':
      return isNum(m.pid) && isStr(m.backend) && isStr(m.backendReason)
        ? { ok: true, value: m as unknown as TrainerToHost }
        : { ok: false, error: 'ready: needs pid, backend, backendReason' };
    case 'step': {
      const s = validateStepMetrics(m.metrics);
      return s.ok ? { ok: true, value: { v: 1, type: 'step', metrics: s.value } } : s;
    }
    case 'eval': {
      const e = validateEvalMetrics(m.metrics);
      return e.ok ? { ok: true, value: { v: 1, type: 'eval', metrics: e.value } } : e;
    }
    case 'log':
      return (m.level === 'info' || m.level === 'warn' || m.level === 'error') && isStr(m.message)
        ? { ok: true, value: m as unknown as TrainerToHost }
        : { ok: false, error: 'log: needs level (info|warn|error) and message' };
    case 'done':
      return isNum(m.steps) && isNum(m.samples) && isNum(m.wallSeconds)
        ? { ok: true, value: m as unknown as TrainerToHost }
        : { ok: false, error: 'done: needs steps, samples, wallSeconds' };
    case 'error': {
      const e = m.error;
      return isObj(e) && isStr(e.kind) && isStr(e.message)
        ? { ok: true, value: m as unknown as TrainerToHost }
        : { ok: false, error: 'error: needs error.kind and error.message' };
    }
    case 'checkpoint': {
      const c = m.checkpoint;
      return isObj(c) && isStr(c.path) && isNum(c.step) && isNum(c.samples)
        ? { ok: true, value: { v: 1, type: 'checkpoint', checkpoint: { path: c.path, step: c.step, samples: c.samples } } }
        : { ok: false, error: 'checkpoint: needs checkpoint.path, checkpoint.step, checkpoint.samples' };
    }
    case 'alive':
      return { ok: true, value: m as unknown as TrainerToHost };
    default:
      return { ok: false, error: `unknown message type "${m.type}"` };
  }
}

export function validateHostMessage(msg: unknown): ValidationResult<HostToTrainer> {
  const h = header(msg);
  if (!h.ok) return h;
  const m = h.value;
  switch (m.type) {
    case 'start': {
      const t = m.trial;
      if (!isObj(t)) return { ok: false, error: 'start: "trial" must be an object' };
      if (!isStr(t.id) || !isStr(t.configPath)) return { ok: false, error: 'start: trial needs id and configPath' };
      if (!isObj(t.config)) return { ok: false, error: 'start: trial.config must be an object' };
      if (!isNum(t.batchSize) || t.batchSize < 1 || !Number.isInteger(t.batchSize))
        return { ok: false, error: 'start: trial.batchSize must be a positive integer' };
      if (!isNum(t.learningRate) || t.learningRate <= 0) return { ok: false, error: 'start: trial.learningRate must be a positive number' };
      if (!isNum(t.seed)) return { ok: false, error: 'start: trial.seed must be a number' };
      for (const k of [
        'maxSteps',
        'maxSeconds',
        'warmupSteps',
        'microBatches',
        'evalEvery',
        'hangTimeoutMs',
        'maxBatchSize',
        'checkpointEvery',
        'accumulationSteps',
        'worldSize',
      ] as const)
        if (!isOptNum(t[k])) return { ok: false, error: `start: trial.${k} must be a number when present` };
      for (const k of ['checkpointDir', 'checkpointPath', 'resumeFrom'] as const)
        if (t[k] !== undefined && !isStr(t[k])) return { ok: false, error: `start: trial.${k} must be a path when present` };
      return { ok: true, value: m as unknown as HostToTrainer };
    }
    case 'stop':
      return { ok: true, value: { v: 1, type: 'stop' } };
    case 'setBatchSize':
      return isNum(m.batchSize) && m.batchSize >= 1 && isOptNum(m.learningRate)
        ? { ok: true, value: m as unknown as HostToTrainer }
        : { ok: false, error: 'setBatchSize: needs a positive batchSize' };
    default:
      return { ok: false, error: `unknown message type "${m.type}"` };
  }
}
