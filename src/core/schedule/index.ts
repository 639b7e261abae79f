// Batch-size schedules (issue 6): which batch size (and learning rate) the next step uses.
// The trainer loop asks the controller before every step; the controller may look at the
// metrics of the last step (e.g. the gradient-noise statistics for the adaptive kind).
// Kinds: constant, step, linear_ramp, adaptive (docs/dynamic-batching.md). The controller is
// O(1) per call and deterministic: the same spec, base and sequence of states give the same sizes.
import type { BatchScheduleSpec, LrRule, StepMetrics } from '../types';
import { adaptiveBounds, adaptiveDecision, adaptiveInitialSize, DEFAULT_ADAPTIVE_EVERY_STEPS, defaultSmoothing } from './adaptive';
import { batchSizeCeiling } from './batchSizes';
import { GradientNoiseTracker, type GradientNoiseEstimate, type GradientNoiseTrackerState } from './gradientNoise';
import { scaledLearningRate } from './learningRate';
import { linearRampBatchSize } from './linearRamp';
import { stepScheduleBatchSize } from './stepSchedule';

export { validateSchedule, type ScheduleProblem } from './validate';
export { scaledLearningRate, adaScaleGain, adaScaleFactor } from './learningRate';
export type { GradientNoiseEstimate, GradientNoiseTrackerState } from './gradientNoise';

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
  /** Optimizer steps completed before the one being planned (0 for the first step). */
  step: number;
  /** Training samples seen before the step being planned. */
  samples: number;
  /** Epochs completed (0-based index of the current epoch). at_epochs counts samples/datasetSize instead, so either convention is safe. */
  epoch: number;
  /** Metrics of the last completed step (feeds the gradient-noise statistics). */
  last?: StepMetrics;
}

/** What a controller remembers between calls, as plain JSON (the trainer's checkpoints, issue 11). */
export interface ScheduleControllerState {
  /** Last step whose metrics were fed to the statistics (-1: none). */
  lastIngested: number;
  tracker?: GradientNoiseTrackerState;
  /** adaptive: the size in force and the step of the last decision. */
  current?: number;
  lastDecisionStep?: number;
}

export interface BatchScheduleController {
  next(state: ScheduleState): { batchSize: number; learningRate: number };
  /** The smoothed gradient-noise statistics so far (adaptive kind or AdaScale), for logs and charts. */
  noiseEstimate?(): GradientNoiseEstimate | undefined;
  /** Snapshot of the controller's memory; importState() of it on a controller built from the same spec and base continues identically. */
  exportState(): ScheduleControllerState;
  importState(state: ScheduleControllerState): void;
}

/**
 * True when the schedule needs |g_B|^2 and the micro-batch |g_b|^2 every step: the trainer must
 * then run with micro-batches (TrialSpec.microBatches >= 2).
 */
export function scheduleNeedsGradientStatistics(spec: BatchScheduleSpec | undefined, lrScaling: LrRule | 'adascale'): boolean {
  return spec?.kind === 'adaptive' || (lrScaling === 'adascale' && spec !== undefined && spec.kind !== 'constant');
}

export function createScheduleController(spec: BatchScheduleSpec | undefined, base: ScheduleBase): BatchScheduleController {
  const ceiling = batchSizeCeiling(base.maxBatchSize, base.datasetSize > 0 ? base.datasetSize : undefined);
  const everySteps = spec?.kind === 'adaptive' ? (spec.every_steps ?? DEFAULT_ADAPTIVE_EVERY_STEPS) : DEFAULT_ADAPTIVE_EVERY_STEPS;
  const needsStats = scheduleNeedsGradientStatistics(spec, base.lrScaling);
  const tracker = needsStats
    ? new GradientNoiseTracker(spec?.kind === 'adaptive' && spec.smoothing !== undefined ? spec.smoothing : defaultSmoothing(everySteps))
    : undefined;
  let lastIngested = -1;

  const ingest = (last: StepMetrics | undefined) => {
    // The trainer may hand the same metrics twice (e.g. a retried step): count each step once.
    if (!tracker || !last || last.step <= lastIngested) return;
    lastIngested = last.step;
    tracker.update(last);
  };
  const lr = (batchSize: number) => {
    const e = tracker?.estimate();
    const stats = e && e.gradSqNorm > 0 && e.traceSigma >= 0 ? e : undefined;
    return scaledLearningRate(base.lrScaling, batchSize, base, stats);
  };
  const noiseEstimate = () => tracker?.estimate();
  // The adaptive kind's own memory lives here too, so one pair of functions saves and restores all of it.
  let current = 0,
    lastDecisionStep = 0;
  const exportState = (): ScheduleControllerState => ({
    lastIngested,
    ...(tracker ? { tracker: tracker.state() } : {}),
    ...(spec?.kind === 'adaptive' ? { current, lastDecisionStep } : {}),
  });
  const importState = (st: ScheduleControllerState) => {
    lastIngested = st.lastIngested;
    if (tracker && st.tracker) tracker.restore(st.tracker);
    if (st.current !== undefined) current = st.current;
    if (st.lastDecisionStep !== undefined) lastDecisionStep = st.lastDecisionStep;
  };
  const memory = { noiseEstimate, exportState, importState };

  if (spec === undefined || spec.kind === 'constant') {
    const b = Math.min(ceiling, base.batchSize);
    const out = { batchSize: b, learningRate: scaledLearningRate(base.lrScaling, b, base) };
    return { next: () => out, ...memory };
  }

  switch (spec.kind) {
    case 'step': {
      const epochs = (s: ScheduleState) => (base.datasetSize > 0 ? Math.floor(s.samples / base.datasetSize) : s.epoch);
      return {
        next(s) {
          ingest(s.last);
          const b = stepScheduleBatchSize(spec, base.batchSize, ceiling, s.step, epochs(s));
          return { batchSize: b, learningRate: lr(b) };
        },
        ...memory,
      };
    }
    case 'linear_ramp':
      return {
        next(s) {
          ingest(s.last);
          const b = linearRampBatchSize(spec, s.samples, ceiling);
          return { batchSize: b, learningRate: lr(b) };
        },
        ...memory,
      };
    case 'adaptive': {
      const bounds = adaptiveBounds(spec, ceiling);
      const allowShrink = spec.allow_shrink ?? false;
      current = adaptiveInitialSize(base.batchSize, bounds);
      return {
        next(s) {
          ingest(s.last);
          // Decide at steps K, 2K, ... (once each, even if the trainer asks twice for a step).
          if (s.step > 0 && s.step % everySteps === 0 && s.step !== lastDecisionStep) {
            lastDecisionStep = s.step;
            current = adaptiveDecision(tracker?.estimate()?.noiseScale, current, bounds, allowShrink);
          }
          return { batchSize: current, learningRate: lr(current) };
        },
        ...memory,
      };
    }
  }
}
