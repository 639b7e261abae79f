import { test } from 'node:test';
import assert from 'node:assert/strict';
import { alignOnPixelGrid, alignSeries, decimateMinMax } from '../../webview/charts/decimate';
import { MinMaxBins } from '../../webview/charts/minMaxBins';
import { GrowableBuffer } from '../../webview/charts/growableBuffer';

function noisySeries(n: number, seed = 1): { xs: Float64Array; ys: Float64Array } {
  let s = seed;
  const rnd = () => (s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32;
  const xs = new Float64Array(n);
  const ys = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    xs[i] = (i + 1) * 32;
    ys[i] = 2 * Math.exp(-i / 2000) + 0.2 * rnd();
  }
  return { xs, ys };
}

/** min and max of ys over xs in [a, b). */
function extent(xs: ArrayLike<number>, ys: ArrayLike<number | null>, a: number, b: number): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < xs.length; i++) {
    const y = ys[i];
    if (xs[i] >= a && xs[i] < b && y !== null && Number.isFinite(y)) {
      lo = Math.min(lo, y);
      hi = Math.max(hi, y);
    }
  }
  return [lo, hi];
}

test('GrowableBuffer grows past its capacity and keeps every value', () => {
  const b = new GrowableBuffer(2);
  for (let i = 0; i < 1000; i++) b.push(i * 0.5);
  assert.equal(b.length, 1000);
  assert.equal(b.at(999), 499.5);
  assert.equal(b.last(), 499.5);
  assert.equal(b.view().length, 1000);
  assert.equal(b.view()[10], 5);
  b.clear();
  assert.equal(b.length, 0);
  assert.equal(b.last(), undefined);
});

test("decimateMinMax keeps at most 4 points per column and every column's min and max", () => {
  const { xs, ys } = noisySeries(20000);
  const cols = 400;
  const x0 = xs[0];
  const x1 = xs[xs.length - 1];
  const d = decimateMinMax(xs, ys, x0, x1, cols);
  assert.ok(d.x.length <= cols * 4, `${d.x.length} points`);
  assert.ok(d.x.length >= cols, 'every column is represented');
  const w = (x1 - x0) / cols;
  for (const c of [0, 17, 200, 399]) {
    const a = x0 + c * w;
    const b = c === cols - 1 ? x1 + 1 : a + w;
    assert.deepEqual(extent(d.x, d.y, a, b), extent(xs, ys, a, b), `column ${c}`);
  }
  for (let i = 1; i < d.x.length; i++) assert.ok(d.x[i] >= d.x[i - 1], 'x stays sorted');
});

test('decimateMinMax keeps short series whole and skips non-finite losses', () => {
  const d = decimateMinMax([1, 2, 3, 4], [1, NaN, 3, Infinity], 1, 4, 100);
  assert.deepEqual(d, { x: [1, 3], y: [1, 3] });
});

test('decimateMinMax over a zoomed range keeps the neighbours just outside it', () => {
  const { xs, ys } = noisySeries(10000);
  const d = decimateMinMax(xs, ys, 100000, 200000, 50);
  assert.ok(d.x[0] < 100000 && d.x[d.x.length - 1] > 200000);
  assert.ok(d.x.slice(1, -1).every((x) => x >= 100000 && x <= 200000));
});

test('alignSeries merges different x values with nulls where a series has none', () => {
  const [x, a, b] = alignSeries([
    { x: [1, 3, 5], y: [10, 30, 50] },
    { x: [2, 3, 6], y: [20, 31, 60] },
  ]);
  assert.deepEqual(x, [1, 2, 3, 5, 6]);
  assert.deepEqual(a, [10, null, 30, 50, null]);
  assert.deepEqual(b, [null, 20, 31, null, 60]);
});

test('MinMaxBins: bounded size, exact global extremes, first and last point kept', () => {
  const { xs, ys } = noisySeries(50000);
  const bins = new MinMaxBins(256);
  // Stream in uneven chunks, as metrics messages arrive.
  for (let end = 7; end < xs.length; end += 1234) bins.update(xs.subarray(0, end), ys.subarray(0, end));
  bins.update(xs, ys);
  assert.equal(bins.size, xs.length);
  const p = bins.points();
  assert.ok(p.x.length <= 256 * 4, `${p.x.length} points`);
  assert.ok(p.x.length > 256, 'the bins are used, not collapsed');
  assert.equal(p.x[0], xs[0]);
  assert.equal(p.x[p.x.length - 1], xs[xs.length - 1]);
  assert.deepEqual(extent(p.x, p.y, -Infinity, Infinity), extent(xs, ys, -Infinity, Infinity));
  for (let i = 1; i < p.x.length; i++) assert.ok(p.x[i] >= p.x[i - 1], 'x stays sorted');
  // Each stretch of x keeps its extremes: compare over one twentieth of the range.
  const span = xs[xs.length - 1] / 20;
  for (let k = 0; k < 20; k += 7) {
    const [lo, hi] = extent(xs, ys, k * span, (k + 1) * span);
    const [plo, phi] = extent(p.x, p.y, k * span, (k + 1) * span);
    // Bin edges need not fall on the stretch edges: the binned extremes lie within the true ones (±1 bin).
    assert.ok(plo >= lo - 1e-12 && phi <= hi + 1e-12);
  }
});

test('MinMaxBins starts over when the series is replaced by a shorter one', () => {
  const bins = new MinMaxBins(64);
  bins.update([1, 2, 3], [3, 2, 1]);
  bins.update([5], [9]);
  assert.deepEqual(bins.points(), { x: [5], y: [9] });
});

test("alignOnPixelGrid: two slots per column holding each column's min and max in time order", () => {
  const s1 = { x: [0, 1, 2, 3, 10, 11], y: [5, 1, 9, 4, 7, 7] };
  const s2 = { x: [4, 5], y: [2, 3] };
  const [x, a, b] = alignOnPixelGrid([s1, s2], 0, 12, 3);
  assert.equal(x.length, 6);
  assert.deepEqual(x, [1, 3, 5, 7, 9, 11]);
  // Column 0 = [0, 4): min 1 (i=1) before max 9 (i=2).
  assert.deepEqual(a, [1, 9, null, null, 7, null]);
  assert.deepEqual(b, [null, null, 2, 3, null, null]);
});
