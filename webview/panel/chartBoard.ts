// The charts of the panel: loss vs samples and vs wall-clock (live), throughput vs batch size
// (measured spread, fitted model and band, near-optimal band), peak memory vs batch size (fit and
// limit), goodput vs batch size, the batch size in force with the noise scale (live, issue 6), and
// the critical batch size over training with the plan (issue 11, when the study measured it).
import type { Recommendation, TrialSummary } from '../../src/core/types';
import type { MetricsBatch } from '../../src/core/webviewProtocol';
import { goodputLines, scheduleLines, trialLines } from '../charts/chartLines';
import { criticalBatchChart } from '../charts/criticalBatchChart';
import { FrameLoop } from '../charts/frameLoop';
import { memoryChart } from '../charts/memoryChart';
import { SeriesStore, type SeriesSnapshot } from '../charts/seriesStore';
import { StreamChart, type ChartContent, type ChartSpec } from '../charts/streamChart';
import { throughputChart } from '../charts/summaryCharts';
import { h } from '../shared/dom';
import { formatBytes, formatCount, formatDuration } from '../shared/format';
import { readChartTheme, type ChartTheme } from '../shared/theme';

interface BoardChart {
  chart: StreamChart;
  /** 'live': redraw when step data changed; 'summary': when trials or the recommendation changed. */
  source: 'live' | 'summary';
  content(): ChartContent;
  /** False: the chart has nothing to show for this study (its cell is hidden). */
  shown?(): boolean;
  cell: HTMLElement;
  drawnVersion: number;
  /** Recent cost of one draw, ms (build + decimate + uPlot's canvas commit). */
  costMs: number;
}

/** Draw work per animation frame; charts over budget wait for the next frame (16.7 ms at 60 Hz). */
const FRAME_BUDGET_MS = 6;

const seconds = (v: number) => formatDuration(v);
const lines = (f: () => ChartContent['lines']) => (): ChartContent => ({ lines: f() });
/** Loss ticks on a log axis: 3 significant digits without trailing zeros. */
const formatTick = (v: number) => String(Number(v.toPrecision(3)));

export class ChartBoard {
  readonly element: HTMLElement;
  readonly store = new SeriesStore();
  private readonly trials = new Map<string, TrialSummary>();
  private recommendation: Recommendation | undefined;
  private summaryVersion = 0;
  private theme: ChartTheme;
  private readonly charts: BoardChart[] = [];
  private readonly loop: FrameLoop | undefined;
  /** Round-robin start for the frame budget. */
  private next = 0;

  constructor(onDrawn: (sentAt: number, drawnAt: number) => void) {
    this.theme = readChartTheme();
    this.element = h('section', { class: 'charts', 'aria-label': 'Live charts' });
    this.addLossCharts();
    this.addBatchSizeCharts();
    this.updateShown();
    this.loop = new FrameLoop(() => this.render(), onDrawn);
    // Charts that resized (ResizeObserver marks them dirty) need a frame too.
  }

  private add(spec: ChartSpec, source: BoardChart['source'], content: () => ChartContent, shown?: () => boolean): void {
    const cell = h('div', { class: 'chart-cell' });
    this.element.append(cell);
    this.charts.push({ chart: new StreamChart(cell, spec, this.theme, () => this.loop?.request()), source, content, shown, cell, drawnVersion: -1, costMs: 2 });
  }

  /** Loss against samples and against wall-clock time, one line per trial (streamed). */
  private addLossCharts(): void {
    this.add(
      {
        title: 'Loss vs samples',
        xLabel: 'samples',
        yLabel: 'training loss (log)',
        yLog: 10,
        xFormat: formatCount,
        yFormat: formatTick,
        emptyText: 'Loss curves appear here as trials run.',
      },
      'live',
      lines(() => trialLines(this.store, this.theme, 'samples', 'loss')),
    );
    this.add(
      {
        title: 'Loss vs wall-clock',
        xLabel: 'time',
        yLabel: 'training loss (log)',
        yLog: 10,
        xFormat: seconds,
        yFormat: formatTick,
        emptyText: 'Loss against time, one line per batch size.',
      },
      'live',
      lines(() => trialLines(this.store, this.theme, 'time', 'loss')),
    );
  }

  /** What depends on the batch size: throughput, memory, goodput, the batch size in force, the critical batch size. */
  private addBatchSizeCharts(): void {
    this.add(
      {
        title: 'Throughput vs batch size',
        xLabel: 'batch size',
        yLabel: 'samples/s',
        xLog: 2,
        xFormat: formatCount,
        yFormat: formatCount,
        emptyText: 'Measured samples/s per batch size, with the fitted model.',
        yHoldsWhiskers: true,
      },
      'summary',
      () => throughputChart(this.trials.values(), this.recommendation, this.theme),
    );
    this.add(
      {
        title: 'Peak memory vs batch size',
        xLabel: 'batch size',
        yLabel: 'peak memory (log)',
        xLog: 2,
        yLog: 2,
        xFormat: formatCount,
        yFormat: formatBytes,
        emptyText: 'Peak memory per batch size, the fit and the limit.',
      },
      'summary',
      () => memoryChart(this.trials.values(), this.recommendation, this.theme),
    );
    this.add(
      {
        title: 'Goodput vs batch size',
        xLabel: 'batch size',
        yLabel: 'goodput (1 = best)',
        xLog: 2,
        xFormat: formatCount,
        yFormat: (v) => v.toFixed(2),
        emptyText: 'Goodput and the pick appear with the recommendation.',
      },
      'summary',
      lines(() => goodputLines(this.recommendation, this.theme)),
    );
    this.add(
      {
        title: 'Batch size and noise scale',
        xLabel: 'samples',
        yLabel: 'samples per step',
        yLog: 2,
        xFormat: formatCount,
        yFormat: formatCount,
        emptyText: 'Batch size in force and gradient noise scale over training.',
      },
      'live',
      lines(() => scheduleLines(this.store, this.theme, this.recommendation)),
    );
    this.add(
      {
        title: 'Critical batch size over training',
        xLabel: 'samples',
        yLabel: 'batch size (log)',
        yLog: 2,
        xFormat: formatCount,
        yFormat: formatCount,
        emptyText: 'The critical batch size along the run, measured by branching from checkpoints.',
        yHoldsWhiskers: true,
      },
      'summary',
      () => criticalBatchChart(this.recommendation, this.theme),
      () => (this.recommendation?.criticalBatchSize?.length ?? 0) > 0,
    );
  }

  appendMetrics(batches: readonly MetricsBatch[], sentAt: number): void {
    for (const b of batches) this.store.append(b);
    this.loop?.request(sentAt);
  }

  setTrials(trials: readonly TrialSummary[]): void {
    this.trials.clear();
    for (const t of trials) this.trials.set(t.id, t);
    this.summaryVersion++;
    this.loop?.request();
  }

  upsertTrial(trial: TrialSummary): void {
    this.trials.set(trial.id, trial);
    this.summaryVersion++;
    this.loop?.request();
  }

  setRecommendation(rec: Recommendation | undefined): void {
    this.recommendation = rec;
    this.updateShown();
    this.summaryVersion++;
    // The noise-scale chart shows the recommendation's history too.
    this.store.version++;
    this.loop?.request();
  }

  snapshot(): SeriesSnapshot {
    return this.store.snapshot();
  }

  restore(snapshot: unknown): void {
    this.store.restore(snapshot);
    this.loop?.request();
  }

  clearSeries(): void {
    this.store.clear();
    this.loop?.request();
  }

  themeChanged(): void {
    this.theme = readChartTheme();
    for (const c of this.charts) c.chart.setTheme(this.theme);
    this.loop?.request();
  }

  /** Cells of charts with nothing to show for this study are hidden (and skipped by render). */
  private updateShown(): void {
    for (const c of this.charts) {
      const hide = c.shown ? !c.shown() : false;
      if (c.cell.hidden !== hide) {
        c.cell.hidden = hide;
        c.chart.dirty = true;
      }
    }
  }

  private render(): { drawn: number; pending: boolean } {
    let drawn = 0;
    let pending = false;
    let planned = 0;
    const marks: { chart: BoardChart; syncMs: number }[] = [];
    // Start after the chart drawn last, so a tight budget still reaches every chart in turn.
    const n = this.charts.length;
    const start = this.next;
    for (let k = 0; k < n; k++) {
      const c = this.charts[(start + k) % n];
      const version = c.source === 'live' ? this.store.version : this.summaryVersion;
      if (!c.chart.dirty && version === c.drawnVersion) continue;
      // A chart in a collapsed or hidden part of the page waits until it is shown.
      if (c.chart.container.offsetParent === null) continue;
      if (drawn > 0 && planned + c.costMs > FRAME_BUDGET_MS) {
        pending = true;
        continue;
      }
      const s = performance.now();
      c.chart.draw(c.content());
      c.drawnVersion = version;
      planned += c.costMs;
      marks.push({ chart: c, syncMs: performance.now() - s });
      this.next = (this.charts.indexOf(c) + 1) % n;
      drawn++;
    }
    // uPlot paints in a microtask queued by each setData; a microtask queued after all of them
    // sees their total, shared among the charts in proportion to their synchronous work.
    if (marks.length > 0) {
      const syncEnd = performance.now();
      queueMicrotask(() => {
        const commitMs = performance.now() - syncEnd;
        const syncTotal = marks.reduce((a, m) => a + m.syncMs, 0) || 1;
        for (const m of marks) m.chart.costMs = 0.7 * m.chart.costMs + 0.3 * (m.syncMs + (commitMs * m.syncMs) / syncTotal);
      });
    }
    return { drawn, pending };
  }

  /** Called when a hidden part of the page was shown. */
  refresh(): void {
    for (const c of this.charts) c.chart.dirty = true;
    this.loop?.request();
  }
}
