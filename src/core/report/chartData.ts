// The report's chart data, computed from a study record: plain arrays uPlot can draw
// ([x, y1, y2, ...] aligned on x, null where a series has no point).
import type { StudyRecord } from '../study/types';

export interface ChartSpec {
  id: string;
  title: string;
  xLabel: string;
  yLabel: string;
  /** log2 x axis (batch sizes). */
  xLog?: boolean;
  series: Array<{ label: string; points?: boolean }>;
  data: Array<Array<number | null>>;
  /** x of the pick, drawn as a marker series already present in `data`. */
}

/** Merges series with different x values into uPlot's aligned columns. */
export function alignSeries(list: ReadonlyArray<ReadonlyArray<readonly [number, number]>>): Array<Array<number | null>> {
  const xs = [...new Set(list.flatMap((s) => s.map((p) => p[0])))].sort((a, b) => a - b);
  const index = new Map(xs.map((x, i) => [x, i]));
  const cols: Array<Array<number | null>> = [xs];
  for (const s of list) {
    const col = new Array<number | null>(xs.length).fill(null);
    for (const [x, y] of s) col[index.get(x) as number] = Number.isFinite(y) ? y : null;
    cols.push(col);
  }
  return cols;
}

export function buildCharts(r: StudyRecord): ChartSpec[] {
  const charts: ChartSpec[] = [];
  const conv = r.trials.filter((t) => t.phase === 'convergence' && t.status === 'ok');
  const lossTrials = conv.length > 0 ? conv : r.trials.filter((t) => t.status === 'ok');
  const label = (t: (typeof lossTrials)[number]) => `B=${t.batchSize} seed ${t.seed}`;
  if (lossTrials.length > 0) {
    charts.push({
      id: 'loss-samples',
      title: conv.length > 0 ? 'Training loss vs samples (convergence trials)' : 'Training loss vs samples (profile trials)',
      xLabel: 'samples',
      yLabel: 'loss',
      series: lossTrials.map((t) => ({ label: label(t) })),
      data: alignSeries(lossTrials.map((t) => t.series.steps.map((s) => [s.samples, s.loss] as const))),
    });
    charts.push({
      id: 'loss-time',
      title: 'Training loss vs wall-clock',
      xLabel: 'seconds of training',
      yLabel: 'loss',
      series: lossTrials.map((t) => ({ label: label(t) })),
      data: alignSeries(lossTrials.map((t) => t.series.steps.map((s) => [s.time, s.loss] as const))),
    });
    const withEvals = lossTrials.filter((t) => t.series.evals.length > 1);
    if (withEvals.length > 0)
      charts.push({
        id: 'val-time',
        title: 'Validation loss vs wall-clock',
        xLabel: 'seconds of training',
        yLabel: 'validation loss',
        series: withEvals.map((t) => ({ label: label(t), points: true })),
        data: alignSeries(withEvals.map((t) => t.series.evals.map((e) => [e.time, e.valLoss] as const))),
      });
  }
  const cands = r.recommendation?.candidates ?? [];
  const measured = cands.filter((c) => c.samplesPerSecond !== undefined);
  if (measured.length > 0) {
    charts.push({
      id: 'throughput',
      title: 'Throughput vs batch size',
      xLabel: 'batch size',
      yLabel: 'samples/s',
      xLog: true,
      series: [{ label: 'samples/s (median)', points: true }, { label: 'q1', points: true }, { label: 'q3', points: true }],
      data: alignSeries([
        measured.map((c) => [c.batchSize, c.samplesPerSecond as number] as const),
        measured.filter((c) => c.samplesPerSecondIqr).map((c) => [c.batchSize, (c.samplesPerSecondIqr as [number, number])[0]] as const),
        measured.filter((c) => c.samplesPerSecondIqr).map((c) => [c.batchSize, (c.samplesPerSecondIqr as [number, number])[1]] as const),
      ]),
    });
    const mem = measured.filter((c) => c.peakMemoryBytes !== undefined);
    const fit = r.recommendation?.evidence.memoryFit;
    if (mem.length > 0)
      charts.push({
        id: 'memory',
        title: 'Peak memory vs batch size',
        xLabel: 'batch size',
        yLabel: 'MB',
        xLog: true,
        series: [{ label: 'peak memory (MB)', points: true }, ...(fit ? [{ label: 'fit a + bB' }] : [])],
        data: alignSeries([
          mem.map((c) => [c.batchSize, (c.peakMemoryBytes as number) / 1e6] as const),
          ...(fit ? [mem.map((c) => [c.batchSize, (fit.a + fit.b * c.batchSize) / 1e6] as const)] : []),
        ]),
      });
    const pick = r.recommendation?.batchSize;
    const good = measured.filter((c) => c.goodput !== undefined);
    if (good.length > 0)
      charts.push({
        id: 'goodput',
        title: 'Goodput X(B)/(B + B_noise) vs batch size (relative; pick marked)',
        xLabel: 'batch size',
        yLabel: 'relative goodput',
        xLog: true,
        series: [{ label: 'goodput', points: true }, { label: `pick (${pick})`, points: true }],
        data: alignSeries([
          good.map((c) => [c.batchSize, c.goodput as number] as const),
          good.filter((c) => c.batchSize === pick).map((c) => [c.batchSize, c.goodput as number] as const),
        ]),
      });
  }
  const hist = r.noiseScale?.history ?? r.recommendation?.noiseScale?.history;
  if (hist && hist.length > 0)
    charts.push({
      id: 'noise',
      title: 'Gradient noise scale B_noise as training goes on',
      xLabel: 'samples',
      yLabel: 'B_noise',
      series: [{ label: 'B_noise', points: true }, { label: 'low' }, { label: 'high' }],
      data: alignSeries([
        hist.map((h) => [h.samples, h.value] as const),
        hist.filter((h) => h.low !== undefined).map((h) => [h.samples, h.low as number] as const),
        hist.filter((h) => h.high !== undefined).map((h) => [h.samples, h.high as number] as const),
      ]),
    });
  return charts;
}
