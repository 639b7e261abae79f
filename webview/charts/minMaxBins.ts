// Incremental level-of-detail for a streaming series: points fall into at most `maxBins` bins of
// equal x-width, each keeping its first, min, max and last point; when x outgrows the bins the
// width doubles and neighbouring bins merge. Appending is amortised O(1) and a redraw reads at
// most 4 * maxBins points, however long the series gets. Pure: unit-tested in node.
import type { XY } from './decimate';

export class MinMaxBins {
  private width = 0;
  private count = 0;
  private consumed = 0;
  // Per bin: indices 0..3 = first, min, max, last; x and y of each.
  private readonly bx: Float64Array;
  private readonly by: Float64Array;
  private readonly used: Uint8Array;

  constructor(private readonly maxBins = 1024) {
    this.bx = new Float64Array(maxBins * 4);
    this.by = new Float64Array(maxBins * 4);
    this.used = new Uint8Array(maxBins);
  }

  /** Raw points consumed so far. */
  get size(): number {
    return this.consumed;
  }

  /** Takes the points of (xs, ys) not seen yet; xs must be non-decreasing and non-negative. */
  update(xs: ArrayLike<number>, ys: ArrayLike<number>): void {
    const n = Math.min(xs.length, ys.length);
    if (n < this.consumed) this.reset();
    for (let i = this.consumed; i < n; i++) this.add(xs[i], ys[i]);
    this.consumed = n;
  }

  reset(): void {
    this.width = 0;
    this.count = 0;
    this.consumed = 0;
    this.used.fill(0);
  }

  private add(x: number, y: number): void {
    if (!Number.isFinite(y) || !Number.isFinite(x)) return;
    // First point: a width that puts it in the first eighth, so early growth needs few merges.
    if (this.width === 0) this.width = x > 0 ? (x * 8) / this.maxBins : 1e-6;
    let b = Math.floor(Math.max(0, x) / this.width);
    while (b >= this.maxBins) {
      this.coarsen();
      b = Math.floor(Math.max(0, x) / this.width);
    }
    const o = b * 4;
    if (!this.used[b]) {
      this.used[b] = 1;
      for (let k = 0; k < 4; k++) {
        this.bx[o + k] = x;
        this.by[o + k] = y;
      }
      this.count = Math.max(this.count, b + 1);
      return;
    }
    if (y < this.by[o + 1]) {
      this.bx[o + 1] = x;
      this.by[o + 1] = y;
    }
    if (y > this.by[o + 2]) {
      this.bx[o + 2] = x;
      this.by[o + 2] = y;
    }
    this.bx[o + 3] = x;
    this.by[o + 3] = y;
  }

  /** Doubles the bin width: bins 2k and 2k+1 merge into k. */
  private coarsen(): void {
    const { bx, by, used } = this;
    for (let k = 0; k < this.maxBins / 2; k++) {
      const a = 2 * k;
      const b = a + 1;
      const o = k * 4;
      const oa = a * 4;
      const ob = b * 4;
      if (used[a] && used[b]) {
        const minFromA = by[oa + 1] <= by[ob + 1];
        const maxFromA = by[oa + 2] >= by[ob + 2];
        const minX = minFromA ? bx[oa + 1] : bx[ob + 1];
        const minY = minFromA ? by[oa + 1] : by[ob + 1];
        const maxX = maxFromA ? bx[oa + 2] : bx[ob + 2];
        const maxY = maxFromA ? by[oa + 2] : by[ob + 2];
        bx[o] = bx[oa];
        by[o] = by[oa];
        bx[o + 1] = minX;
        by[o + 1] = minY;
        bx[o + 2] = maxX;
        by[o + 2] = maxY;
        bx[o + 3] = bx[ob + 3];
        by[o + 3] = by[ob + 3];
      } else if (used[a] || used[b]) {
        const src = used[a] ? oa : ob;
        for (let q = 0; q < 4; q++) {
          bx[o + q] = bx[src + q];
          by[o + q] = by[src + q];
        }
      }
      used[k] = used[a] | used[b];
    }
    used.fill(0, this.maxBins / 2);
    this.count = Math.ceil(this.count / 2);
    this.width *= 2;
  }

  /** The binned series in x order: per bin its first, min and max (in time order) and last point. */
  points(): XY {
    const out: XY = { x: [], y: [] };
    const { bx, by, used } = this;
    for (let b = 0; b < this.count; b++) {
      if (!used[b]) continue;
      const o = b * 4;
      // first, then min and max in the order they occurred, then last; repeats skipped.
      const minFirst = bx[o + 1] <= bx[o + 2];
      const ia = minFirst ? o + 1 : o + 2;
      const ib = minFirst ? o + 2 : o + 1;
      out.x.push(bx[o]);
      out.y.push(by[o]);
      if (bx[ia] !== bx[o] || by[ia] !== by[o]) {
        out.x.push(bx[ia]);
        out.y.push(by[ia]);
      }
      if (bx[ib] !== bx[ia] || by[ib] !== by[ia]) {
        out.x.push(bx[ib]);
        out.y.push(by[ib]);
      }
      if (bx[o + 3] !== bx[ib] || by[o + 3] !== by[ib]) {
        out.x.push(bx[o + 3]);
        out.y.push(by[o + 3]);
      }
    }
    return out;
  }
}
