// One uPlot chart fed by streaming series. Each draw decimates every series to the plot's
// pixel width (min/max per column) and aligns them on one x array, so the cost of a frame
// depends on the chart's width, not on how many points have arrived.
import uPlot from 'uplot';
import type { ChartTheme } from '../shared/theme';
import { alignOnPixelGrid, alignSeries, decimateMinMax, type XY } from './decimate';
import { drawWhiskers, drawXRanges, type Decorations } from './decorations';
import { MinMaxBins } from './minMaxBins';

export interface Line {
  /** Identity of the series across frames (its level-of-detail cache); defaults to the label. */
  key?: string;
  label: string;
  color: string;
  dash?: number[];
  width?: number;
  /** Draw markers at the points (few-point charts) and/or the connecting line. */
  points?: boolean;
  line?: boolean;
  stepped?: boolean;
  pointSize?: number;
  /** Fill the area between this line and the line with this key (an interval band), in `fillColor`. */
  fillTo?: string;
  fillColor?: string;
  /** false: not listed in the legend (the edges of a band; the band's centre line names it). */
  legend?: boolean;
  xs: ArrayLike<number>;
  ys: ArrayLike<number>;
}

/** What one draw shows: the lines, and shaded ranges and error bars on the canvas. */
export interface ChartContent {
  lines: Line[];
  decorations?: Decorations;
}

export interface ChartSpec {
  title: string;
  xLabel: string;
  yLabel: string;
  /** Log axes: batch sizes on log2, losses/noise scales on log10. */
  xLog?: 2 | 10;
  yLog?: 2 | 10;
  xFormat?: (v: number) => string;
  yFormat?: (v: number) => string;
  /** Shown over the plot while no series has a point. */
  emptyText: string;
  height?: number;
  /** The y range also holds the error bars (decorations.whiskers), not only the lines. */
  yHoldsWhiskers?: boolean;
}

export class StreamChart {
  private plot: uPlot | undefined;
  private signature = '';
  private zoom: [number, number] | undefined;
  private readonly plotHost: HTMLDivElement;
  private readonly empty: HTMLDivElement;
  private readonly resizeObserver: ResizeObserver;
  private lastContent: ChartContent = { lines: [] };
  private decorations: Decorations = {};
  private readonly bins = new Map<string, MinMaxBins>();
  private width = 0;
  /** Set when the chart must redraw even if its data did not change (resize, theme, zoom). */
  dirty = true;

  constructor(
    readonly container: HTMLElement,
    readonly spec: ChartSpec,
    private theme: ChartTheme,
    /** Asks for a frame when the chart itself needs one (resize, zoom). */
    private readonly requestFrame: () => void = () => {},
  ) {
    container.classList.add('chart');
    container.setAttribute('role', 'figure');
    container.setAttribute('aria-label', `${spec.title}: ${spec.yLabel} against ${spec.xLabel}`);
    const title = document.createElement('div');
    title.className = 'chart-title';
    title.textContent = spec.title;
    this.plotHost = document.createElement('div');
    this.plotHost.className = 'chart-plot';
    this.empty = document.createElement('div');
    this.empty.className = 'chart-empty';
    this.empty.textContent = spec.emptyText;
    container.append(title, this.plotHost, this.empty);
    // The plot takes the width of its own box (inside the cell's padding), not the cell's.
    this.width = Math.max(200, this.plotHost.clientWidth);
    this.resizeObserver = new ResizeObserver(() => {
      const w = Math.max(200, Math.floor(this.plotHost.clientWidth));
      if (w !== this.width) {
        this.width = w;
        this.plot?.setSize({ width: w, height: this.height() });
        this.dirty = true;
        this.requestFrame();
      }
    });
    this.resizeObserver.observe(this.plotHost);
  }

  private height(): number {
    return this.spec.height ?? 220;
  }

  setTheme(theme: ChartTheme): void {
    this.theme = theme;
    this.signature = '';
    this.dirty = true;
  }

  /** Decimates, aligns and hands the lines to uPlot; rebuilds the plot when the series set changed. */
  draw(content: ChartContent): void {
    const lines = content.lines;
    this.lastContent = content;
    this.decorations = content.decorations ?? {};
    this.dirty = false;
    const hasPoints = lines.some((l) => l.xs.length > 0);
    this.empty.hidden = hasPoints;
    this.container.classList.toggle('chart-is-empty', !hasPoints);
    // Plot area in CSS pixels, less the y axis: one column per pixel.
    const columns = Math.max(50, this.width - 90);
    let lo = Infinity;
    let hi = -Infinity;
    for (const l of lines) {
      if (l.xs.length === 0) continue;
      lo = Math.min(lo, l.xs[0]);
      hi = Math.max(hi, l.xs[l.xs.length - 1]);
    }
    const [x0, x1] = this.zoom ?? [lo, hi];
    let dense = false;
    const live = new Set<string>();
    const reduced: XY[] = lines.map((l) => {
      if (l.xs.length <= columns * 2 || l.line === false) return keepAll(l);
      dense = true;
      // Zoomed in: decimate the raw points in range (the bins are too coarse for a close-up).
      if (this.zoom) return decimateMinMax(l.xs, l.ys, x0, x1, columns);
      const key = l.key ?? l.label;
      live.add(key);
      let bins = this.bins.get(key);
      if (!bins) this.bins.set(key, (bins = new MinMaxBins()));
      bins.update(l.xs, l.ys);
      return bins.points();
    });
    for (const key of this.bins.keys()) if (!live.has(key) && !this.zoom) this.bins.delete(key);
    // Log axes cannot show zero or negative values.
    if (this.spec.xLog || this.spec.yLog) for (const r of reduced) dropNonPositive(r, !!this.spec.xLog, !!this.spec.yLog);
    const data = (dense && !this.spec.xLog && hi > lo ? alignOnPixelGrid(reduced, x0, x1, columns) : alignSeries(reduced)) as uPlot.AlignedData;
    const signature = lines
      .map((l) => `${l.label}|${l.color}|${l.dash?.join(',') ?? ''}|${l.points ?? ''}|${l.line ?? ''}|${l.fillTo ?? ''}|${l.legend ?? ''}`)
      .join(';');
    if (!this.plot || signature !== this.signature) {
      this.plot?.destroy();
      this.plot = new uPlot(this.options(lines), data, this.plotHost);
      hideLegendRows(this.plot, lines);
      this.signature = signature;
      if (this.zoom) this.plot.setScale('x', { min: this.zoom[0], max: this.zoom[1] });
    } else {
      this.plot.setData(data, this.zoom === undefined);
    }
  }

  redraw(): void {
    this.draw(this.lastContent);
  }

  destroy(): void {
    this.resizeObserver.disconnect();
    this.plot?.destroy();
    this.plot = undefined;
  }

  private options(lines: Line[]): uPlot.Options {
    const t = this.theme;
    const font = `${Math.round(t.fontSize * 0.85)}px ${t.fontFamily}`;
    const axis = (label: string, format?: (v: number) => string, size?: number): uPlot.Axis => ({
      label,
      // An explicit `size: undefined` would override uPlot's default and hide the axis.
      ...(size !== undefined ? { size } : {}),
      stroke: t.foreground,
      font,
      labelFont: font,
      grid: { stroke: t.grid, width: 1 },
      ticks: { stroke: t.grid, width: 1 },
      ...(format ? { values: (_u: uPlot, splits: number[]) => splits.map((v) => (v === null || v === undefined ? '' : format(v))) } : {}),
    });
    const scaleX: uPlot.Scale = this.spec.xLog ? { time: false, distr: 3, log: this.spec.xLog } : { time: false };
    const scaleY: uPlot.Scale = this.spec.yLog ? { distr: 3, log: this.spec.yLog } : {};
    if (this.spec.yHoldsWhiskers) scaleY.range = (_u, min, max) => this.yRange(min, max);
    return {
      width: this.width,
      height: this.height(),
      scales: { x: scaleX, y: scaleY },
      // The y axis is wider: its tick labels ("572 MiB", "12.3k") sit beside it.
      axes: [axis(this.spec.xLabel, this.spec.xFormat), axis(this.spec.yLabel, this.spec.yFormat, 64)],
      legend: { show: true, live: true },
      bands: bandsOf(lines),
      cursor: { drag: { x: true, y: false, setScale: true } },
      series: [
        // Values only under the cursor: an empty cell, never a row of "–" placeholders.
        { label: this.spec.xLabel, value: (_u, v) => (v === null ? '' : (this.spec.xFormat ?? String)(v)) },
        ...lines.map((l): uPlot.Series => ({
          label: l.label,
          stroke: l.color,
          width: l.width ?? 1.5,
          dash: l.dash,
          spanGaps: true,
          paths: l.line === false ? () => null : l.stepped ? uPlot.paths.stepped!({ align: 1 }) : undefined,
          points: { show: l.points ?? false, size: l.pointSize ?? 6, stroke: l.color, fill: l.color },
          value: (_u, v) => (v === null ? '' : (this.spec.yFormat ?? String)(v)),
        })),
      ],
      hooks: {
        drawClear: [(u) => drawXRanges(u, this.decorations.xRanges ?? [], font)],
        draw: [(u) => drawWhiskers(u, this.decorations.whiskers ?? [])],
        setSelect: [
          (u) => {
            // A drag zoom: redraw with decimation over the zoomed range, not the whole series.
            if (u.select.width > 2) this.zoom = [u.posToVal(u.select.left, 'x'), u.posToVal(u.select.left + u.select.width, 'x')];
            this.dirty = true;
            this.requestFrame();
          },
        ],
        ready: [
          (u) =>
            u.over.addEventListener('dblclick', () => {
              this.zoom = undefined;
              this.dirty = true;
              this.requestFrame();
            }),
        ],
      },
    };
  }

  /** The lines' y range widened to hold the error bars, padded as uPlot pads its own. */
  private yRange(min: number | null, max: number | null): uPlot.Range.MinMax {
    let lo = min ?? Infinity;
    let hi = max ?? -Infinity;
    for (const w of this.decorations.whiskers ?? []) {
      if (Number.isFinite(w.lo) && (!this.spec.yLog || w.lo > 0)) lo = Math.min(lo, w.lo);
      if (Number.isFinite(w.hi)) hi = Math.max(hi, w.hi);
    }
    if (!Number.isFinite(lo) || !Number.isFinite(hi)) return [min, max];
    return this.spec.yLog ? uPlot.rangeLog(lo, hi, this.spec.yLog, false) : uPlot.rangeNum(lo, hi, 0.1, true);
  }
}

/** uPlot bands (fills between two series) for the lines with `fillTo`; series index = line index + 1 (0 is x). */
function bandsOf(lines: Line[]): uPlot.Band[] {
  const out: uPlot.Band[] = [];
  lines.forEach((l, i) => {
    if (!l.fillTo) return;
    const j = lines.findIndex((o) => (o.key ?? o.label) === l.fillTo);
    if (j >= 0) out.push({ series: [i + 1, j + 1], fill: l.fillColor ?? l.color });
  });
  return out;
}

/** Legend rows of lines marked legend: false are hidden (row 0 is x). */
function hideLegendRows(plot: uPlot, lines: Line[]): void {
  const rows = plot.root.querySelectorAll<HTMLElement>('.u-legend .u-series');
  lines.forEach((l, i) => {
    const row = rows[i + 1];
    if (row && l.legend === false) row.hidden = true;
  });
}

function keepAll(l: Line): XY {
  const out: XY = { x: [], y: [] };
  for (let i = 0; i < l.xs.length; i++) {
    if (Number.isFinite(l.ys[i])) {
      out.x.push(l.xs[i]);
      out.y.push(l.ys[i]);
    }
  }
  return out;
}

function dropNonPositive(r: XY, x: boolean, y: boolean): void {
  let j = 0;
  for (let i = 0; i < r.x.length; i++) {
    const yi = r.y[i];
    if ((x && !(r.x[i] > 0)) || (y && !(yi !== null && yi > 0))) continue;
    r.x[j] = r.x[i];
    r.y[j] = yi;
    j++;
  }
  r.x.length = j;
  r.y.length = j;
}
