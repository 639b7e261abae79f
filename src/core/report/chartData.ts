// The report's chart data, computed from a study record: plain arrays uPlot can draw
// ([x, y1, y2, ...] aligned on x, null where a series has no point), plus what the chart script
// draws itself (spreads as whiskers, the near-optimal band as a shaded range, fitted intervals as
// fills). Every title says whether its numbers are measured, fitted or assumed.
import type { StudyRecord } from '../study/types';
import { criticalBatchChart } from './cbsChart';
import { alignSeries, PALETTE_SIZE, type ChartSpec, type SeriesSpec } from './chartSpec';
import { memoryChart, noiseChart, throughputChart, timeToTargetChart } from './evidenceCharts';

export { alignSeries, type ChartSpec } from './chartSpec';

type Trial = StudyRecord['trials'][number];

/** Training (and validation) loss of the convergence trials, or of the profile trials when none ran. */
function lossCharts(r: StudyRecord): ChartSpec[] {
  const conv = r.trials.filter((t) => t.phase === 'convergence' && t.status === 'ok');
  const trials = conv.length > 0 ? conv : r.trials.filter((t) => t.status === 'ok' && t.phase !== 'branch');
  if (trials.length === 0) return [];
  const series = (points: boolean) =>
    trials.map((t, i): SeriesSpec => ({ label: `B=${t.batchSize} seed ${t.seed}`, color: i % PALETTE_SIZE, style: points ? 'points' : 'line' }));
  const steps = (t: Trial) => t.series?.steps ?? [];
  const which = conv.length > 0 ? 'convergence trials' : 'profile trials';
  const charts: ChartSpec[] = [
    {
      id: 'loss-samples',
      title: `Training loss vs samples (${which}, measured)`,
      xLabel: 'samples',
      yLabel: 'loss',
      series: series(false),
      data: alignSeries(trials.map((t) => steps(t).map((s) => [s.samples, s.loss] as const))),
    },
    {
      id: 'loss-time',
      title: `Training loss vs wall-clock (${which}, measured)`,
      xLabel: 'seconds of training',
      yLabel: 'loss',
      series: series(false),
      data: alignSeries(trials.map((t) => steps(t).map((s) => [s.time, s.loss] as const))),
    },
  ];
  const withEvals = trials.filter((t) => (t.series?.evals ?? []).length > 1);
  if (withEvals.length > 0)
    charts.push({
      id: 'val-time',
      title: 'Validation loss vs wall-clock (measured)',
      xLabel: 'seconds of training',
      yLabel: 'validation loss',
      series: withEvals.map((t, i): SeriesSpec => ({ label: `B=${t.batchSize} seed ${t.seed}`, color: i % PALETTE_SIZE, style: 'line' })),
      data: alignSeries(withEvals.map((t) => t.series.evals.map((e) => [e.time, e.valLoss] as const))),
    });
  return charts;
}

/** The charts in reading order: the decision first (throughput, time to target, memory, the run), then the raw curves. */
export function buildCharts(r: StudyRecord): ChartSpec[] {
  const rec = r.recommendation;
  const evidence = rec ? [throughputChart(rec), timeToTargetChart(rec), memoryChart(rec), criticalBatchChart(rec)] : [];
  return [...evidence, noiseChart(r), ...lossCharts(r)].filter((c): c is ChartSpec => c !== undefined);
}
