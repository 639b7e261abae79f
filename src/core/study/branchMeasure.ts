// What the branches from one checkpoint measured: each branch's smoothed final loss on a fixed
// evaluation set (the validation loss when every branch reports it, else the training loss),
// the critical batch size they imply (../tuner/criticalBatch.ts), and B_noise from the k = 1
// branches' gradient statistics beside it (McCandlish et al. 2018, appendix A).
import type { CriticalBatchPoint, EvalMetrics, LossSource, StepMetrics, TrialResult } from '../types';
import { CBS_TOLERANCE, criticalBatchMethod, criticalBatchSize, smoothedFinalLoss, type BranchLoss } from '../tuner/criticalBatch';
import { commonLossSource, divergence } from '../tuner/lossCurves';
import { estimateNoiseScale, noiseSamplesFromSteps } from '../tuner/noiseScale';

/** Where a checkpoint stands in the run, and the loss there. */
export interface CheckpointPoint {
  path: string;
  step: number;
  samples: number;
  loss: number;
  source: 'given' | 'study';
}

export interface PointMeasurement {
  point?: CriticalBatchPoint;
  /** Why this checkpoint gave no CBS. */
  problem?: string;
}

/** The loss where a trial ended: its last validation loss, else its mean training loss over its last 10% of steps. */
export function lossAtEnd(steps: readonly StepMetrics[], evals: readonly EvalMetrics[]): number {
  const v = [...evals].reverse().find((e) => Number.isFinite(e.valLoss));
  if (v) return v.valLoss;
  const ok = steps.filter((s) => Number.isFinite(s.loss));
  const tail = ok.slice(Math.floor(0.9 * ok.length));
  return tail.length > 0 ? tail.reduce((a, s) => a + s.loss, 0) / tail.length : NaN;
}

/** A branch's loss: NaN when it failed, diverged or stopped short of its samples (it would not be comparable). */
export function branchLoss(r: TrialResult, from: number, to: number, source: LossSource): number {
  if (r.status !== 'ok' || divergence(r.steps, r.evals).diverged) return NaN;
  const last = r.steps[r.steps.length - 1];
  if (!last || last.samples < to) return NaN;
  const curve =
    source === 'validation' ? r.evals.map((e) => ({ samples: e.samples, loss: e.valLoss })) : r.steps.map((s) => ({ samples: s.samples, loss: s.loss }));
  return smoothedFinalLoss(curve, from, to);
}

/**
 * The CBS at one checkpoint from its branches (each a TrialResult at some k x B and seed). Only
 * sizes every seed ran are compared (a size cut by the budget is left out, not counted as failing).
 */
export function measurePoint(
  cp: CheckpointPoint,
  branches: readonly TrialResult[],
  o: { reference: number; branchSamples: number; seeds: number[]; seed: number; datasetSize: number },
): PointMeasurement {
  const from = cp.samples;
  const to = cp.samples + o.branchSamples;
  const complete = [...new Set(branches.map((r) => r.batchSize))].filter((b) => o.seeds.every((s) => branches.some((r) => r.batchSize === b && r.seed === s)));
  if (complete.filter((b) => b !== o.reference).length === 0 || !complete.includes(o.reference))
    return { problem: `${cp.path}: no critical batch size at ${from} samples: no branch above k = 1 ran there for every seed (the budget ran out)` };
  const used = branches.filter((r) => complete.includes(r.batchSize) && o.seeds.includes(r.seed));
  const source = commonLossSource(used.filter((r) => r.status === 'ok'));
  const losses: BranchLoss[] = used.map((r) => ({ batchSize: r.batchSize, seed: r.seed, loss: branchLoss(r, from, to, source) }));
  const est = criticalBatchSize(losses, o.reference, CBS_TOLERANCE);
  if (!est) {
    const ref = used.find((r) => r.batchSize === o.reference && r.status !== 'ok');
    const why = ref ? `the k = 1 branch ended ${ref.status}${ref.error ? ` (${ref.error.message})` : ''}` : 'no k = 1 branch trained its samples to the end';
    return { problem: `${cp.path}: no critical batch size at ${from} samples: ${why}` };
  }
  const largest = Math.max(...est.branches.map((b) => b.batchSize));
  const point: CriticalBatchPoint = {
    samples: cp.samples,
    step: cp.step,
    loss: cp.loss,
    value: est.value,
    low: est.low,
    high: est.high,
    ...(est.atLeast ? { atLeast: true } : {}),
    tolerance: CBS_TOLERANCE,
    method: criticalBatchMethod({
      tolerance: CBS_TOLERANCE,
      lossSource: source,
      branchSamples: o.branchSamples,
      seeds: o.seeds.length,
      atLeast: est.atLeast,
      largest,
      tried: complete,
    }),
    branches: est.branches,
    checkpointSource: cp.source,
    basis: 'measured',
  };
  const reference = used.filter((r) => r.batchSize === o.reference && r.status === 'ok');
  const perTrial = reference.map((r) => noiseSamplesFromSteps(r.steps));
  const noise = estimateNoiseScale(perTrial.flat(), { seed: o.seed, cap: o.datasetSize, trials: perTrial });
  if (noise) point.noiseScale = { value: noise.value, low: noise.low, high: noise.high };
  return { point };
}
