// Decimation for drawing: a line through N >> pixel-width points is drawn as, per pixel column,
// the first, min, max and last point of that column (the "M4" aggregation of Jugel et al.,
// VLDB 2014), which renders the same pixels as the full series. Pure: unit-tested in node.

export interface XY {
  x: number[];
  y: (number | null)[];
}

/**
 * Reduces (xs, ys), sorted by x, to at most 4 points per pixel column over [xMin, xMax].
 * Points outside the range are dropped, except the nearest one on each side so the line
 * still enters and leaves the plot. Non-finite y values (NaN: a diverged step) are skipped.
 */
export function decimateMinMax(xs: ArrayLike<number>, ys: ArrayLike<number>, xMin: number, xMax: number, columns: number): XY {
  const n = Math.min(xs.length, ys.length);
  const out: XY = { x: [], y: [] };
  if (n === 0) return out;
  const cols = Math.max(1, Math.floor(columns));
  // Few points: nothing to gain, keep them all (cheaper than bucketing and exact).
  if (n <= cols * 4) {
    for (let i = 0; i < n; i++) {
      if (Number.isFinite(ys[i])) {
        out.x.push(xs[i]);
        out.y.push(ys[i]);
      }
    }
    return out;
  }
  const span = xMax - xMin;
  const scale = span > 0 ? cols / span : 0;
  let col = -1;
  let firstI = -1,
    minI = -1,
    maxI = -1,
    lastI = -1;
  const flush = () => {
    if (firstI < 0) return;
    // Emit the column's extreme points in x order, without repeats.
    const idx = [firstI, minI, maxI, lastI].sort((a, b) => a - b);
    let prev = -1;
    for (const i of idx) {
      if (i !== prev) {
        out.x.push(xs[i]);
        out.y.push(ys[i]);
        prev = i;
      }
    }
  };
  let before = -1;
  let after = -1;
  for (let i = 0; i < n; i++) {
    const x = xs[i];
    const y = ys[i];
    if (!Number.isFinite(y)) continue;
    if (x < xMin) {
      before = i;
      continue;
    }
    if (x > xMax) {
      after = i;
      break;
    }
    const c = Math.min(cols - 1, Math.floor((x - xMin) * scale));
    if (c !== col) {
      flush();
      col = c;
      firstI = minI = maxI = lastI = i;
    } else {
      lastI = i;
      if (y < ys[minI]) minI = i;
      if (y > ys[maxI]) maxI = i;
    }
  }
  flush();
  if (before >= 0) {
    out.x.unshift(xs[before]);
    out.y.unshift(ys[before]);
  }
  if (after >= 0) {
    out.x.push(xs[after]);
    out.y.push(ys[after]);
  }
  return out;
}

/**
 * uPlot draws "aligned" data: one x array shared by all series. Series measured at different x
 * (each trial its own sample counts) are merged onto the sorted union of their x values, with
 * null where a series has no point (drawn across with spanGaps).
 */
export function alignSeries(series: readonly XY[]): [number[], ...(number | null)[][]] {
  const k = series.length;
  const pos = new Array<number>(k).fill(0);
  const xs: number[] = [];
  const ys: (number | null)[][] = series.map(() => []);
  for (;;) {
    let next = Infinity;
    for (let s = 0; s < k; s++) if (pos[s] < series[s].x.length && series[s].x[pos[s]] < next) next = series[s].x[pos[s]];
    if (next === Infinity) break;
    xs.push(next);
    for (let s = 0; s < k; s++) {
      const p = pos[s];
      if (p < series[s].x.length && series[s].x[p] === next) {
        ys[s].push(series[s].y[p]);
        // Duplicate x within one series (two steps at the same time stamp): keep the last.
        let q = p + 1;
        while (q < series[s].x.length && series[s].x[q] === next) {
          ys[s][ys[s].length - 1] = series[s].y[q];
          q++;
        }
        pos[s] = q;
      } else {
        ys[s].push(null);
      }
    }
  }
  return [xs, ...ys];
}

/**
 * Aligns many dense series on a shared grid of two slots per pixel column over [x0, x1]: each
 * column keeps its min and max (in the order they occur), placed at 1/4 and 3/4 of the column.
 * Moving a point by under a pixel is invisible, and the alignment costs O(points + columns)
 * instead of merging every series' own x values.
 */
export function alignOnPixelGrid(series: readonly XY[], x0: number, x1: number, columns: number): [number[], ...(number | null)[][]] {
  const cols = Math.max(1, Math.floor(columns));
  const span = x1 > x0 ? x1 - x0 : 1;
  const colWidth = span / cols;
  const xs = new Array<number>(cols * 2);
  for (let c = 0; c < cols; c++) {
    xs[2 * c] = x0 + (c + 0.25) * colWidth;
    xs[2 * c + 1] = x0 + (c + 0.75) * colWidth;
  }
  const out: (number | null)[][] = [];
  const minI = new Int32Array(cols);
  const maxI = new Int32Array(cols);
  for (const s of series) {
    minI.fill(-1);
    maxI.fill(-1);
    for (let i = 0; i < s.x.length; i++) {
      const y = s.y[i];
      if (y === null || !Number.isFinite(y)) continue;
      const c = Math.min(cols - 1, Math.max(0, Math.floor((s.x[i] - x0) / colWidth)));
      if (minI[c] < 0) {
        minI[c] = maxI[c] = i;
        continue;
      }
      if (y < (s.y[minI[c]] as number)) minI[c] = i;
      if (y > (s.y[maxI[c]] as number)) maxI[c] = i;
    }
    const ys = new Array<number | null>(cols * 2).fill(null);
    for (let c = 0; c < cols; c++) {
      if (minI[c] < 0) continue;
      const [a, b] = minI[c] <= maxI[c] ? [minI[c], maxI[c]] : [maxI[c], minI[c]];
      ys[2 * c] = s.y[a];
      if (b !== a) ys[2 * c + 1] = s.y[b];
    }
    out.push(ys);
  }
  return [xs, ...out];
}
