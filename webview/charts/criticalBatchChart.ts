// "Critical batch size over training" (issue 11): the critical batch size measured by branched
// trials at points along the run with its interval over seeds, the gradient noise scale B_noise at
// the same points beside it (it under-estimates the CBS; Merrill et al. 2025), and the plan as a
// step line over the run's horizon. Shown only when the recommendation carries the CBS.
// Pure (given a theme's colours): unit-tested in node.
import type { Recommendation } from '../../src/core/types';
import type { ChartTheme } from '../shared/theme';
import type { Whisker } from './decorations';
import type { ChartContent, Line } from './streamChart';

type Palette = Pick<ChartTheme, 'palette' | 'highlight' | 'muted'>;

export function criticalBatchChart(rec: Recommendation | undefined, theme: Palette): ChartContent {
  const points = [...(rec?.criticalBatchSize ?? [])].sort((a, b) => a.samples - b.samples);
  if (!rec || points.length === 0) return { lines: [] };
  const plan = rec.plan;
  const horizon = Math.max(plan?.horizonSamples ?? 0, ...points.map((p) => p.samples));
  // B_noise sits a little to the right of its CBS point, so the two error bars do not overlap.
  const offset = horizon * 0.012;
  const cbsColor = theme.palette[0];
  const noiseColor = theme.palette[1];
  const lines: Line[] = [
    {
      key: 'cbs',
      label: 'critical batch size',
      color: cbsColor,
      width: 2,
      points: true,
      pointSize: 7,
      xs: points.map((p) => p.samples),
      ys: points.map((p) => p.value),
    },
  ];
  const whiskers: Whisker[] = points.map((p) => ({ x: p.samples, lo: p.low, hi: p.high, color: cbsColor }));
  const noise = points.filter((p) => p.noiseScale !== undefined && p.noiseScale.value > 0);
  if (noise.length > 0) {
    lines.push({
      key: 'bnoise',
      label: 'B_noise',
      color: noiseColor,
      dash: [4, 3],
      points: true,
      pointSize: 6,
      xs: noise.map((p) => p.samples + offset),
      ys: noise.map((p) => p.noiseScale?.value ?? NaN),
    });
    for (const p of noise) if (p.noiseScale) whiskers.push({ x: p.samples + offset, lo: p.noiseScale.low, hi: p.noiseScale.high, color: noiseColor });
  }
  if (plan && plan.stages.length > 0) {
    const stages = [...plan.stages].sort((a, b) => a.fromSamples - b.fromSamples);
    const xs = [...stages.map((s) => s.fromSamples), horizon];
    const ys = [...stages.map((s) => s.batchSize), stages[stages.length - 1].batchSize];
    lines.push({
      key: 'plan',
      label: plan.kind === 'warmup' ? 'plan (batch warm-up)' : 'plan (fixed)',
      color: theme.palette[2],
      width: 2.5,
      stepped: true,
      xs,
      ys,
    });
    if (plan.kind === 'warmup')
      lines.push({
        key: 'fixed',
        label: `best fixed ${plan.bestFixed.batchSize}`,
        color: theme.muted,
        width: 1,
        dash: [2, 3],
        xs: [0, horizon],
        ys: [plan.bestFixed.batchSize, plan.bestFixed.batchSize],
      });
  }
  return { lines, decorations: { whiskers } };
}
