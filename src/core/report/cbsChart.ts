// "Critical batch size over training" (issue 11): the CBS measured by branched trials at points of
// the run with its interval over seeds, B_noise at the same points beside it, and the plan as a
// step line (Merrill et al. 2025, "Critical Batch Size Revisited", arXiv:2505.23971).
import { isFiniteNumber as num } from '../guards';
import type { BatchSizePlan, Recommendation } from '../types';
import { COLOR, SeriesList, type ChartSpec, type Point } from './chartSpec';

/** The plan as points of a step line: each stage from its first sample, held to the horizon. */
export function planSteps(plan: BatchSizePlan): Point[] {
  const stages = (plan.stages ?? []).filter((s) => num(s.fromSamples) && num(s.batchSize));
  if (stages.length === 0) return [];
  const pts: Point[] = stages.map((s) => [s.fromSamples, s.batchSize]);
  const end = num(plan.horizonSamples) ? plan.horizonSamples : stages[stages.length - 1].fromSamples;
  if (end > pts[pts.length - 1][0]) pts.push([end, stages[stages.length - 1].batchSize]);
  return pts;
}

export function criticalBatchChart(rec: Recommendation): ChartSpec | undefined {
  const points = (rec.criticalBatchSize ?? []).filter((c) => num(c.samples) && num(c.value));
  if (points.length === 0) return undefined;
  const list = new SeriesList();
  list.add(
    { label: 'critical batch size (measured by branched trials)', color: COLOR.measured, style: 'points' },
    points.map((c) => [c.samples, c.value]),
  );
  const withNoise = points.filter((c) => c.noiseScale && num(c.noiseScale.value));
  list.add(
    { label: 'B_noise at the same points (measured)', color: COLOR.noise, style: 'points' },
    withNoise.map((c) => [c.samples, c.noiseScale?.value as number]),
  );
  if (rec.plan)
    list.add(
      { label: `plan (${rec.plan.kind === 'warmup' ? 'batch warm-up' : 'fixed'}, ${rec.plan.basis})`, color: COLOR.plan, style: 'step' },
      planSteps(rec.plan),
    );
  const whiskers: NonNullable<ChartSpec['whiskers']> = [
    ...points.filter((c) => num(c.low) && num(c.high)).map((c) => ({ color: COLOR.measured, x: c.samples, low: c.low, high: c.high })),
    ...withNoise
      .filter((c) => num(c.noiseScale?.low) && num(c.noiseScale?.high))
      .map((c) => ({ color: COLOR.noise, x: c.samples, low: c.noiseScale?.low as number, high: c.noiseScale?.high as number })),
  ];
  const first = points[0];
  const tol = num(first.tolerance) ? `${formatPercent(first.tolerance)} of` : 'close to';
  return {
    id: 'critical-batch',
    title: 'Critical batch size over training',
    xLabel: 'training samples',
    yLabel: 'batch size',
    yLog: 2,
    series: list.series,
    data: list.data(),
    whiskers,
    whiskerLabel: 'interval over seeds',
    caption: `Critical batch size at a checkpoint: the largest branch batch whose loss stays within ${tol} the k = 1 branch's (${String(first.method)}). The step line is the plan.`,
  };
}

function formatPercent(x: number): string {
  return `${Number((x * 100).toPrecision(2))}%`;
}
