// The checkpoint header (format version 1): what the run was, where it stood, and the small parts
// of its state; the large parts (weights, optimizer slots, data order) are the file's tensors.
// A header is read from a file, so it is checked field by field before anything uses it.
import { isFiniteNumber, isObj } from '../../core/guards';
import type { ScheduleControllerState } from '../../core/schedule';
import type { StepMetrics } from '../../core/types';
import { validateStepMetrics } from '../../core/protocol';
import type { Fingerprint } from './fingerprint';
import type { OptimizerStateHeader } from './optimizerState';

export const CHECKPOINT_FORMAT = 'batch-tuner-checkpoint';

export interface CheckpointHeader {
  format: typeof CHECKPOINT_FORMAT;
  createdAt: string;
  /** TensorFlow.js backend that wrote it: another backend continues, but not bit for bit. */
  backend: string;
  progress: { step: number; samples: number; epoch: number };
  fingerprint: Fingerprint;
  run: { seed: number; dataSeed: number; scheduleKey: string };
  /** Position in the data order; the permutation itself is the tensor `data/order`. */
  dataOrder: { rngState: number; cursor: number };
  schedule: {
    controller: ScheduleControllerState;
    currentLr: number;
    hostRequest?: { batchSize: number; learningRate?: number };
    last?: StepMetrics;
  };
  optimizer: OptimizerStateHeader;
  /** Number of model weight tensors (`weights/0..n-1`, in model.weights order). */
  weights: number;
  /** 'unseeded': the model has dropout/noise layers whose masks come from TensorFlow.js's own unseeded generator. */
  dropout: 'none' | 'unseeded';
}

const isNonNegInt = (x: unknown): x is number => Number.isInteger(x) && (x as number) >= 0;
const isStr = (x: unknown): x is string => typeof x === 'string';

function fingerprintProblem(f: unknown): string | undefined {
  if (!isObj(f)) return 'fingerprint missing';
  if (!Array.isArray(f.model) || !f.model.every(isStr)) return 'fingerprint.model must be a list of strings';
  for (const k of ['loss', 'data', 'dataSha256', 'optimizer'] as const) if (!isStr(f[k])) return `fingerprint.${k} must be a string`;
  return undefined;
}

function scheduleProblem(s: unknown): string | undefined {
  if (!isObj(s) || !isObj(s.controller) || !isFiniteNumber(s.currentLr)) return 'schedule state missing';
  const c = s.controller;
  if (!isFiniteNumber(c.lastIngested)) return 'schedule.controller.lastIngested must be a number';
  for (const k of ['current', 'lastDecisionStep'] as const) if (c[k] !== undefined && !isFiniteNumber(c[k])) return `schedule.controller.${k} must be a number`;
  if (c.tracker !== undefined && !(isObj(c.tracker) && ['g', 's', 'n', 'weight'].every((k) => isFiniteNumber((c.tracker as Record<string, unknown>)[k]))))
    return 'schedule.controller.tracker must hold numbers g, s, n, weight';
  if (s.hostRequest !== undefined && !(isObj(s.hostRequest) && isFiniteNumber(s.hostRequest.batchSize))) return 'schedule.hostRequest is malformed';
  if (s.last !== undefined && !validateStepMetrics(s.last).ok) return 'schedule.last is malformed';
  return undefined;
}

/** The header, or the first problem found in it. */
export function validateCheckpointHeader(h: Record<string, unknown>): CheckpointHeader | string {
  if (h.format !== CHECKPOINT_FORMAT) return `format must be "${CHECKPOINT_FORMAT}"`;
  const p = h.progress,
    run = h.run,
    order = h.dataOrder,
    opt = h.optimizer;
  if (!isObj(p) || !isNonNegInt(p.step) || !isNonNegInt(p.samples) || !isNonNegInt(p.epoch)) return 'progress must hold step, samples, epoch';
  if (!isObj(run) || !isFiniteNumber(run.seed) || !isFiniteNumber(run.dataSeed) || !isStr(run.scheduleKey)) return 'run must hold seed, dataSeed, scheduleKey';
  if (!isObj(order) || !isFiniteNumber(order.rngState) || !isNonNegInt(order.cursor)) return 'dataOrder must hold rngState, cursor';
  if (!isObj(opt) || !isNonNegInt(opt.iterations) || !isNonNegInt(opt.slots)) return 'optimizer must hold iterations, slots';
  if ((opt.accBeta1 !== undefined && !isFiniteNumber(opt.accBeta1)) || (opt.accBeta2 !== undefined && !isFiniteNumber(opt.accBeta2)))
    return 'optimizer.accBeta1/2 must be numbers';
  if (!isNonNegInt(h.weights)) return 'weights must be a count';
  if (h.dropout !== 'none' && h.dropout !== 'unseeded') return 'dropout must be "none" or "unseeded"';
  if (!isStr(h.backend) || !isStr(h.createdAt)) return 'backend and createdAt must be strings';
  return fingerprintProblem(h.fingerprint) ?? scheduleProblem(h.schedule) ?? (h as unknown as CheckpointHeader);
}
