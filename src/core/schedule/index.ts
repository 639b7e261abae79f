// Batch-size schedules (issue 6): which batch size (and learning rate) the next step uses.
// The trainer loop asks the controller before every step; the controller may look at the
// metrics of the last step (e.g. the gradient-noise statistics for the adaptive kind).
import type { BatchScheduleSpec, LrRule, StepMetrics } from '../types';

export interface ScheduleBase {
  batchSize: number;
  learningRate: number;
  /** How the learning rate co-scales when the batch size changes. */
  lrScaling: LrRule | 'adascale';
  /** Training samples in one epoch (for epoch-based steps and to clamp to full batch). */
  datasetSize: number;
  /** Largest batch size allowed (the memory ceiling the tuner found). */
  maxBatchSize?: number;
}

export interface ScheduleState {
  step: number;
  samples: number;
  epoch: number;
  last?: StepMetrics;
}

export interface BatchScheduleController {
  next(state: ScheduleState): { batchSize: number; learningRate: number };
}

export function createScheduleController(spec: BatchScheduleSpec | undefined, base: ScheduleBase): BatchScheduleController {
  // Only `constant` until the schedules land; the other kinds are filled in by issue 6.
  void spec;
  return { next: () => ({ batchSize: base.batchSize, learningRate: base.learningRate }) };
}
