// The shape of one chart in the report: what the data builders produce and the page's chart
// script draws with uPlot. Colours are palette slots so light and dark themes share meanings.

/** Palette slots (CSS variables --c0..--c7, light and dark): the same meaning in every chart. */
export const COLOR = { measured: 0, limit: 1, band: 2, fit: 3, plan: 4, noise: 5, gray: 6, extra: 7 } as const;
export const PALETTE_SIZE = 8;

/**
 * points: markers only; line / dashed / step: a line (dashed: extrapolated or a limit; step: a plan);
 * area-high / area-low: the two edges of a shaded interval (`fills` pairs them).
 */
export type SeriesStyle = 'points' | 'line' | 'dashed' | 'step' | 'area-high' | 'area-low';

export interface SeriesSpec {
  label: string;
  /** Palette slot (see COLOR). */
  color: number;
  style: SeriesStyle;
}

export interface ChartSpec {
  id: string;
  title: string;
  xLabel: string;
  yLabel: string;
  /** log2 x axis (batch sizes). */
  xLog?: boolean;
  /** log y axis with this base (batch sizes: 2; memory far below its limit: 10). */
  yLog?: 2 | 10;
  /** Upper end of the y axis, when an extrapolated interval would otherwise flatten the measurements. */
  yMax?: number;
  series: SeriesSpec[];
  /** data[0] is x; data[i] is series[i - 1]. */
  data: Array<Array<number | null>>;
  /** Shade between two series (1-based indices into data), e.g. a fitted 90% interval. */
  fills?: Array<{ high: number; low: number; color: number }>;
  /** Vertical spreads at single x values (an IQR, an interval over seeds), in a series' colour. */
  whiskers?: Array<{ color: number; x: number; low: number; high: number }>;
  /** What the whiskers are, for the legend. */
  whiskerLabel?: string;
  /** A shaded x range: the near-optimal band. */
  xBand?: { low: number; high: number; label: string };
  /** One sentence under the chart: what it shows and where its numbers come from. */
  caption?: string;
}

/** Merges series with different x values into uPlot's aligned columns. */
export function alignSeries(list: ReadonlyArray<ReadonlyArray<readonly [number, number]>>): Array<Array<number | null>> {
  const xs = [...new Set(list.flatMap((s) => s.map((p) => p[0])))].filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  const index = new Map(xs.map((x, i) => [x, i]));
  const cols: Array<Array<number | null>> = [xs];
  for (const s of list) {
    const col = new Array<number | null>(xs.length).fill(null);
    for (const [x, y] of s) {
      const i = index.get(x);
      if (i !== undefined) col[i] = Number.isFinite(y) ? y : null;
    }
    cols.push(col);
  }
  return cols;
}

export type Point = readonly [number, number];

/** Series and their points, collected in drawing order; a series without points is left out. */
export class SeriesList {
  readonly series: SeriesSpec[] = [];
  private readonly points: Point[][] = [];
  /** Adds a series; returns its index in uPlot's terms (1-based: 0 is x), or undefined when it had no points. */
  add(spec: SeriesSpec, pts: readonly Point[]): number | undefined {
    if (pts.length === 0) return undefined;
    this.series.push(spec);
    this.points.push([...pts]);
    return this.series.length;
  }
  data(): Array<Array<number | null>> {
    return alignSeries(this.points);
  }
}
