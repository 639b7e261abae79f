// The page's one script of our own: draws every ChartSpec (./chartSpec.ts) with uPlot, inlined.
// It reads the charts from the JSON data block (never from markup), colours from the page's CSS
// variables (light and dark), and draws spreads, intervals and the near-optimal band on the canvas.
// The legend is static HTML written by the report (escaped), so uPlot's own legend is off.
export const CHART_SCRIPT = `
(function () {
  'use strict';
  var data = document.getElementById('chart-data');
  if (!data || typeof uPlot === 'undefined') return;
  var charts = JSON.parse(data.textContent);
  var css = getComputedStyle(document.documentElement);
  function color(i) { return css.getPropertyValue('--c' + i).trim() || '#888'; }
  function alpha(hex, a) {
    var m = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(hex);
    return m ? 'rgba(' + parseInt(m[1], 16) + ',' + parseInt(m[2], 16) + ',' + parseInt(m[3], 16) + ',' + a + ')' : hex;
  }
  var fg = css.getPropertyValue('--fg').trim() || '#888';
  var grid = css.getPropertyValue('--line').trim() || '#ccc';
  var noPath = function () { return null; };
  function seriesOpts(s) {
    var c = color(s.color);
    var o = { label: s.label, stroke: c, width: 2, spanGaps: true, points: { show: false } };
    if (s.style === 'points') { o.paths = noPath; o.points = { show: true, space: 0, size: 8, width: 1.5, stroke: c, fill: c }; }
    if (s.style === 'dashed') o.dash = [6, 5];
    if (s.style === 'step') o.paths = uPlot.paths.stepped({ align: 1 });
    if (s.style === 'area-high' || s.style === 'area-low') { o.stroke = alpha(c, 0.45); o.width = 1; }
    return o;
  }
  function shadeBand(c) {
    return function (u) {
      var b = c.xBand;
      if (!b) return;
      var x0 = u.valToPos(b.low, 'x', true), x1 = u.valToPos(b.high, 'x', true), pad = 8 * devicePixelRatio;
      u.ctx.save();
      u.ctx.fillStyle = alpha(color(2), 0.13);
      u.ctx.fillRect(x0 - pad, u.bbox.top, x1 - x0 + 2 * pad, u.bbox.height);
      u.ctx.restore();
    };
  }
  function drawWhiskers(c) {
    return function (u) {
      var ctx = u.ctx, cap = 4 * devicePixelRatio;
      (c.whiskers || []).forEach(function (w) {
        var x = u.valToPos(w.x, 'x', true), y0 = u.valToPos(w.low, 'y', true), y1 = u.valToPos(w.high, 'y', true);
        ctx.save();
        ctx.strokeStyle = color(w.color);
        ctx.lineWidth = 1.5 * devicePixelRatio;
        ctx.beginPath();
        ctx.moveTo(x, y0); ctx.lineTo(x, y1);
        ctx.moveTo(x - cap, y0); ctx.lineTo(x + cap, y0);
        ctx.moveTo(x - cap, y1); ctx.lineTo(x + cap, y1);
        ctx.stroke();
        ctx.restore();
      });
    };
  }
  // The y range holds the whiskers too (uPlot sees only the series), and stops at yMax when set.
  function yRange(c) {
    var ws = c.whiskers || [];
    return function (u, min, max) {
      ws.forEach(function (w) { min = Math.min(min, w.low); max = Math.max(max, w.high); });
      if (c.yMax) max = Math.min(max, c.yMax);
      if (c.yLog) return uPlot.rangeLog(Math.max(min, 1e-9), max * 1.05, c.yLog, true);
      var r = uPlot.rangeNum(Math.min(0, min), max, 0.1, true);
      return [Math.min(0, min), r[1]];
    };
  }
  // A log axis labels and grids its powers only (no row of minor lines).
  function powers(u, i, min, max) {
    var base = u.scales[i === 0 ? 'x' : 'y'].log || 10, out = [];
    for (var p = Math.pow(base, Math.floor(Math.log(min) / Math.log(base) - 1e-9)); p <= max * (1 + 1e-9); p *= base) if (p >= min * (1 - 1e-9)) out.push(p);
    return out;
  }
  function scales(c) {
    return { x: c.xLog ? { time: false, distr: 3, log: 2 } : { time: false }, y: Object.assign(c.yLog ? { distr: 3, log: c.yLog } : {}, { range: yRange(c) }) };
  }
  charts.forEach(function (c) {
    var el = document.getElementById('chart-' + c.id);
    if (!el) return;
    var axis = { stroke: fg, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid } };
    new uPlot({
      width: Math.max(420, el.clientWidth), height: 280,
      legend: { show: false },
      scales: scales(c),
      axes: [Object.assign({ label: c.xLabel }, axis, c.xLog ? { splits: powers } : {}), Object.assign({ label: c.yLabel }, axis, c.yLog ? { splits: powers } : {})],
      series: [{ label: c.xLabel }].concat(c.series.map(seriesOpts)),
      bands: (c.fills || []).map(function (f) { return { series: [f.high, f.low], fill: alpha(color(f.color), 0.14) }; }),
      hooks: { drawClear: [shadeBand(c)], draw: [drawWhiskers(c)] },
    }, c.data, el);
  });
})();
`;
