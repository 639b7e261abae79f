// The live charts of the panel: loss vs samples and vs wall-clock, memory vs time, throughput
// and goodput vs batch size, and (issue 6) batch size in force with the noise scale.
import type { Recommendation, TrialSummary } from '../../src/core/types';
import type { MetricsBatch } from '../../src/core/webviewProtocol';
import { goodputLines, scheduleLines, throughputLines, trialLines } from '../charts/chartLines';
import { FrameLoop } from '../charts/frameLoop';
import { SeriesStore } from '../charts/seriesStore';
import { StreamChart, type ChartSpec, type Line } from '../charts/streamChart';
import { h } from '../shared/dom';
import { formatBytes, formatCount, formatDuration } from '../shared/format';
import { readChartTheme, type ChartTheme } from '../shared/theme';

interface BoardChart {
  chart: StreamChart;
  /** 'live': redraw when step data changed; 'summary': when trials or the recommendation changed. */
  source: 'live' | 'summary';
  lines(): Line[];
  drawnVersion: number;
}

const seconds = (v: number) => formatDuration(v);

export class ChartBoard {
  readonly element: HTMLElement;
  readonly store = new SeriesStore();
  private readonly trials = new Map<string, TrialSummary>();
  private recommendation: Recommendation | undefined;
  private summaryVersion = 0;
  private theme: ChartTheme;
  private readonly charts: BoardChart[] = [];
  private readonly loop: FrameLoop | undefined;

  constructor(onDrawn: (sentAt: number, drawnAt: number) => void) {
    this.theme = readChartTheme();
    this.element = h('section', { class: 'charts', 'aria-label': 'Live charts' });
    const add = (spec: ChartSpec, source: BoardChart['source'], lines: () => Line[]) => {
      const host = h('div', { class: 'chart-cell' });
      this.element.append(host);
      this.charts.push({ chart: new StreamChart(host, spec, this.theme, () => this.loop?.request()), source, lines, drawnVersion: -1 });
    };
    add({ title: 'Loss vs samples', xLabel: 'samples', yLabel: 'training loss', xFormat: formatCount, emptyText: 'Loss curves appear here as trials run.' }, 'live', () =>
      trialLines(this.store, this.theme, 'samples', 'loss'),
    );
    add({ title: 'Loss vs wall-clock', xLabel: 'time', yLabel: 'training loss', xFormat: seconds, emptyText: 'Loss against time, one line per batch size.' }, 'live', () =>
      trialLines(this.store, this.theme, 'time', 'loss'),
    );
    add({ title: 'Memory vs time', xLabel: 'time', yLabel: 'memory', xFormat: seconds, yFormat: formatBytes, emptyText: 'Memory in use during each trial.' }, 'live', () =>
      trialLines(this.store, this.theme, 'time', 'memory'),
    );
    add(
      { title: 'Throughput vs batch size', xLabel: 'batch size', yLabel: 'samples/s', xLog: 2, xFormat: formatCount, yFormat: formatCount, emptyText: 'Measured samples/s per batch size.' },
      'summary',
      () => throughputLines(this.trials.values(), this.recommendation, this.theme),
    );
    add(
      { title: 'Goodput vs batch size', xLabel: 'batch size', yLabel: 'goodput (1 = best)', xLog: 2, xFormat: formatCount, yFormat: (v) => v.toFixed(2), emptyText: 'Goodput and the pick appear with the recommendation.' },
      'summary',
      () => goodputLines(this.recommendation, this.theme),
    );
    add(
      { title: 'Batch size and noise scale', xLabel: 'samples', yLabel: 'samples per step', yLog: 2, xFormat: formatCount, yFormat: formatCount, emptyText: 'Batch size in force and gradient noise scale over training.' },
      'live',
      () => scheduleLines(this.store, this.theme, this.recommendation),
    );
    this.loop = new FrameLoop(() => this.render(), onDrawn);
    // Charts that resized (ResizeObserver marks them dirty) need a frame too.

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
    this.summaryVersion++;
    // The noise-scale chart shows the recommendation's history too.
    this.store.version++;
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

  private render(): number {
    let drawn = 0;
    for (const c of this.charts) {
      const version = c.source === 'live' ? this.store.version : this.summaryVersion;
      if (!c.chart.dirty && version === c.drawnVersion) continue;
      // A chart in a collapsed or hidden part of the page waits until it is shown.
      if (c.chart.container.offsetParent === null) continue;
      c.chart.draw(c.lines());
      c.drawnVersion = version;
      drawn++;
    }
    return drawn;
  }

  /** Called when a hidden part of the page was shown. */
  refresh(): void {
    for (const c of this.charts) c.chart.dirty = true;
    this.loop?.request();
  }
}
