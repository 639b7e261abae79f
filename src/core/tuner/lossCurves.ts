// The loss curve of a trial, as the convergence evidence reads it. The validation loss when the
// trial reports one; otherwise the training loss, smoothed (a centred moving average: no lag, so
// the step at which a level is first reached is not shifted). A missing value is never taken for
// divergence: a run diverged only when it reported a NaN/Infinity loss or its loss exploded.
import type { EvalMetrics, LossSource, StepMetrics } from '../types';

export type { LossSource };

export interface LossPoint {
  step: number;
  samples: number;
  /** Seconds since training started. */
  time: number;
  loss: number;
}

/** A run whose smoothed loss ends above this multiple of where it started has exploded. */
export const EXPLOSION_FACTOR = 2;
/** Half-width of the training-loss smoother, as a fraction of the run's steps (at least one step). */
export const SMOOTHING_HALF_WIDTH = 0.05;

/** Centred moving average of the finite losses over +-h points (h = SMOOTHING_HALF_WIDTH of the run by default). */
export function smoothLoss(points: readonly LossPoint[], halfWidth?: number): LossPoint[] {
  const pts = points.filter((p) => Number.isFinite(p.loss));
  const h = halfWidth ?? Math.max(1, Math.round(SMOOTHING_HALF_WIDTH * pts.length));
  const prefix = [0];
  for (const p of pts) prefix.push(prefix[prefix.length - 1] + p.loss);
  return pts.map((p, i) => {
    const lo = Math.max(0, i - h);
    const hi = Math.min(pts.length - 1, i + h);
    return { ...p, loss: (prefix[hi + 1] - prefix[lo]) / (hi - lo + 1) };
  });
}

export interface Divergence {
  diverged: boolean;
  reason?: string;
}

/**
 * Diverged = a reported loss that is NaN or infinite, or a smoothed loss that ends above
 * EXPLOSION_FACTOR times its start. No losses at all is not divergence: it is missing data.
 */
export function divergence(steps: readonly StepMetrics[], evals: readonly EvalMetrics[]): Divergence {
  const bad =
    steps.find((s) => typeof s.loss === 'number' && !Number.isFinite(s.loss)) ??
    evals.find((e) => typeof e.valLoss === 'number' && !Number.isFinite(e.valLoss));
  if (bad) return { diverged: true, reason: `the loss became ${'loss' in bad ? bad.loss : bad.valLoss} at step ${bad.step}` };
  const curve = smoothLoss(steps.map((s) => ({ step: s.step, samples: s.samples, time: s.time, loss: s.loss })));
  if (curve.length >= 4) {
    const start = curve[0].loss;
    const end = curve[curve.length - 1].loss;
    if (start > 0 && end > EXPLOSION_FACTOR * start)
      return { diverged: true, reason: `the training loss rose from ${start.toPrecision(3)} to ${end.toPrecision(3)}` };
  }
  return { diverged: false };
}

/** A trial's validation curve (its evals), or its smoothed training loss when `source` is training. */
export function lossCurve(steps: readonly StepMetrics[], evals: readonly EvalMetrics[], source: LossSource): LossPoint[] {
  if (source === 'validation')
    return evals.filter((e) => Number.isFinite(e.valLoss)).map((e) => ({ step: e.step, samples: e.samples, time: e.time, loss: e.valLoss }));
  return smoothLoss(steps.map((s) => ({ step: s.step, samples: s.samples, time: s.time, loss: s.loss })));
}

/** Validation when every run reports at least two evaluations, else the training loss for all: runs are compared on one kind of loss. */
export function commonLossSource(runs: ReadonlyArray<{ evals: readonly EvalMetrics[] }>): LossSource {
  return runs.length > 0 && runs.every((r) => r.evals.filter((e) => Number.isFinite(e.valLoss)).length >= 2) ? 'validation' : 'training';
}

/** First step (or time, samples) at which the curve reaches `level`, interpolated linearly between points; undefined if never. */
export function firstReach(curve: readonly LossPoint[], level: number, key: 'time' | 'step' | 'samples'): number | undefined {
  for (let i = 0; i < curve.length; i++) {
    const p = curve[i];
    if (!(p.loss <= level)) continue;
    if (i === 0) return p[key];
    const q = curve[i - 1];
    const f = (q.loss - level) / (q.loss - p.loss);
    return q[key] + Math.min(1, Math.max(0, f)) * (p[key] - q[key]);
  }
  return undefined;
}

/** Lowest loss on the curve (the best the run reached). */
export function bestLoss(curve: readonly LossPoint[]): number {
  return curve.reduce((m, p) => Math.min(m, p.loss), Infinity);
}
