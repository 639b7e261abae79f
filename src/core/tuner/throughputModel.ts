// The profile's windows turned into the throughput evidence a recommendation uses: the robust
// step-time fit (./stepTimeModel.ts), its bootstrap draws, how X(B) moves across the sizes, the
// residual per size, and how far the machine drifted between the two profile rounds.
import type { ThroughputModelEvidence } from '../types';
import type { ThroughputInput } from './recommend';
import { median } from './stats';
import { bootstrapStepTimeModel, fitStepTimeModel, predictStepSeconds, QUADRATIC_CRITERION_DROP, throughputShape } from './stepTimeModel';
import type { StepTimeWindow } from './throughput';

export const TERMS_RULE = `t(B) = overhead + B x per-sample cost, fitted by Huber IRLS on relative residuals; a B^2 term is added only when it lowers the robust Schwarz criterion by more than ${QUADRATIC_CRITERION_DROP} (Machado 1993)`;

/** Per batch size: the median measured step time against the fit. */
export function residualsBySize(windows: readonly StepTimeWindow[], fit: (b: number) => number): ThroughputModelEvidence['residuals'] {
  const sizes = [...new Set(windows.map((w) => w.batchSize))].sort((a, b) => a - b);
  return sizes.map((b) => {
    const ws = windows.filter((w) => w.batchSize === b);
    const measured = median(ws.map((w) => w.stepSeconds));
    const fitted = fit(b);
    return { batchSize: b, measuredStepSeconds: measured, fittedStepSeconds: fitted, relativeResidual: (measured - fitted) / measured, windows: ws.length };
  });
}

/** Median over sizes measured in both rounds of X(round 2) / X(round 1); undefined without such a size. */
export function roundDrift(windows: readonly StepTimeWindow[]): number | undefined {
  const ratios: number[] = [];
  for (const b of new Set(windows.map((w) => w.batchSize))) {
    const t = (r: number) => median(windows.filter((w) => w.batchSize === b && w.round === r).map((w) => w.stepSeconds));
    const t1 = t(1);
    const t2 = t(2);
    if (t1 > 0 && t2 > 0) ratios.push(t1 / t2);
  }
  return ratios.length > 0 ? median(ratios) : undefined;
}

/** The throughput model with its evidence, or undefined with fewer than three sizes measured. */
export function throughputFromWindows(windows: readonly StepTimeWindow[], seed = 1): ThroughputInput | undefined {
  const model = fitStepTimeModel(windows);
  if (!model) return undefined;
  const draws = bootstrapStepTimeModel(windows, model, { seed });
  const sizes = windows.map((w) => w.batchSize);
  const evidence: ThroughputModelEvidence = {
    overheadSeconds: model.overheadSeconds,
    perSampleSeconds: model.perSampleSeconds,
    quadraticSeconds: model.quadraticSeconds,
    terms: model.terms,
    rule: TERMS_RULE,
    residualScale: model.residualScale,
    observations: model.observations,
    shape: throughputShape(model, draws, Math.min(...sizes), Math.max(...sizes)),
    residuals: residualsBySize(windows, (b) => predictStepSeconds(model, b)),
  };
  const drift = roundDrift(windows);
  if (drift !== undefined) evidence.roundDrift = drift;
  return { model, draws, evidence };
}
