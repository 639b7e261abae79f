// `step`: multiply the batch size by `factor` at given steps, at given epochs, or every N steps
// (the batch-size analogue of a step learning-rate decay: Smith et al. 2018, "Don't Decay the
// Learning Rate, Increase the Batch Size"). Milestones follow PyTorch's MultiStepLR: a milestone
// m applies from step (or epoch) index m on, i.e. once m steps (epochs) are complete.
import type { BatchScheduleSpec } from '../types';

type StepSpec = Extract<BatchScheduleSpec, { kind: 'step' }>;

/** How many growth events have happened by this point of training. */
export function stepEventsSoFar(spec: StepSpec, stepsDone: number, epochsDone: number): number {
  if (spec.at_steps && spec.at_steps.length > 0) return spec.at_steps.filter((s) => stepsDone >= s).length;
  if (spec.at_epochs && spec.at_epochs.length > 0) return spec.at_epochs.filter((e) => epochsDone >= e).length;
  if (spec.every_steps && spec.every_steps > 0) return Math.floor(stepsDone / spec.every_steps);
  return 0;
}

/** B = round(B0 * factor^k), at most max_batch_size and `ceiling` (memory, dataset), at least 1. */
export function stepScheduleBatchSize(spec: StepSpec, baseBatchSize: number, ceiling: number, stepsDone: number, epochsDone: number): number {
  const factor = spec.factor ?? 2;
  const k = stepEventsSoFar(spec, stepsDone, epochsDone);
  const raw = Math.round(baseBatchSize * Math.pow(factor, k));
  return Math.max(1, Math.min(ceiling, spec.max_batch_size ?? Infinity, raw));
}
