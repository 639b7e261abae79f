// A self-contained HTML report of a study: the recommendation with its evidence and alternatives,
// charts (uPlot inlined, no network), every trial, and the study's metadata. Light and dark follow
// prefers-color-scheme. A page a person can send to a colleague.
import type { StudyRecord } from '../study/types';
import { buildCharts } from './chartData';
import { formatBytes, formatNumber, formatSeconds } from './format';
import { uplotAssets } from './uplotAssets';

const esc = (s: unknown): string =>
  String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);

/** JSON safe inside a <script> element (no `</script>`, no U+2028/2029 surprises). */
function scriptJson(x: unknown): string {
  return JSON.stringify(x).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

function table(head: string[], rows: string[][], cls = ''): string {
  return `<table class="${cls}"><thead><tr>${head.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>${rows
    .map((r) => `<tr>${r.join('')}</tr>`)
    .join('')}</tbody></table>`;
}
const td = (x: unknown, cls = '') => `<td class="${cls}">${esc(x)}</td>`;

const CSS = `
:root { color-scheme: light dark; --fg:#1f2328; --bg:#ffffff; --muted:#59636e; --line:#d1d9e0; --accent:#0969da; --pick:#1a7f37; --card:#f6f8fa; }
@media (prefers-color-scheme: dark) { :root { --fg:#e6edf3; --bg:#0d1117; --muted:#9198a1; --line:#3d444d; --accent:#4493f8; --pick:#3fb950; --card:#151b23; } }
body { font: 14px/1.5 -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; color: var(--fg); background: var(--bg); margin: 0 auto; max-width: 1100px; padding: 24px; }
h1 { font-size: 22px; margin: 0 0 4px; } h2 { font-size: 17px; margin: 28px 0 8px; border-bottom: 1px solid var(--line); padding-bottom: 4px; }
.muted { color: var(--muted); } .card { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 14px 18px; }
.big { font-size: 28px; font-weight: 600; color: var(--pick); } .status-failed { color: #cf222e; } .status-stopped { color: #9a6700; }
table { border-collapse: collapse; width: 100%; margin: 6px 0; font-variant-numeric: tabular-nums; }
th, td { text-align: right; padding: 4px 8px; border-bottom: 1px solid var(--line); } th:first-child, td:first-child { text-align: left; }
tr.pick td { color: var(--pick); font-weight: 600; }
table.why td:last-child, table.why th:last-child { text-align: left; }
.charts { display: grid; grid-template-columns: repeat(auto-fill, minmax(520px, 1fr)); gap: 16px; }
.chart { border: 1px solid var(--line); border-radius: 8px; padding: 8px; }
.chart h3 { font-size: 13px; margin: 0 0 6px; font-weight: 600; }
.u-legend { font-size: 12px; } .uplot { color: var(--fg); }
code { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: 12px; }
ul { margin: 4px 0; padding-left: 20px; }
`;

// Draws every chart with uPlot; axis colours follow the page's theme.
const CHART_SCRIPT = `
(function () {
  var charts = JSON.parse(document.getElementById('chart-data').textContent);
  var palette = ['#0969da','#cf222e','#1a7f37','#8250df','#bf8700','#1b7c83','#d1242f','#6e7781','#fb8500','#3a86ff'];
  var fg = getComputedStyle(document.documentElement).getPropertyValue('--fg').trim() || '#888';
  var grid = getComputedStyle(document.documentElement).getPropertyValue('--line').trim() || '#ccc';
  charts.forEach(function (c) {
    var el = document.getElementById('chart-' + c.id);
    if (!el || typeof uPlot === 'undefined') return;
    var series = [{ label: c.xLabel }].concat(c.series.map(function (s, i) {
      return { label: s.label, stroke: palette[i % palette.length], width: s.points ? 1 : 1.5, spanGaps: true,
        points: { show: !!s.points || undefined, size: s.points ? 7 : 4 } };
    }));
    var axis = { stroke: fg, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid } };
    new uPlot({
      width: Math.max(480, el.clientWidth - 8), height: 280,
      scales: { x: c.xLog ? { time: false, distr: 3, log: 2 } : { time: false } },
      axes: [Object.assign({ label: c.xLabel }, axis), Object.assign({ label: c.yLabel }, axis)],
      series: series,
    }, c.data, el);
  });
})();
`;

export function renderStudyReport(r: StudyRecord): string {
  const rec = r.recommendation;
  const { js, css } = uplotAssets();
  const charts = buildCharts(r);
  const name = r.start.configPath.split(/[\\/]/).pop() ?? r.start.configPath;
  const parts: string[] = [];
  parts.push(`<h1>Batch Tuner study — ${esc(name)}</h1>`);
  parts.push(`<div class="muted">${esc(r.start.configPath)} · started ${esc(r.startedAt)} · <span class="status-${esc(r.status)}">${esc(r.status)}</span>${r.reason ? ` — ${esc(r.reason)}` : ''}</div>`);

  parts.push('<h2>Recommendation</h2>');
  if (rec) {
    const ns = rec.noiseScale;
    parts.push(`<div class="card"><div class="big">batch size ${rec.batchSize} · learning rate ${esc(formatNumber(rec.learningRate, 4))}</div>
<div>${esc(formatNumber(rec.speedupVsCurrent, 3))}x faster to the same loss than the current batch size ${rec.current.batchSize} (lr ${esc(formatNumber(rec.current.learningRate, 4))}), predicted
${rec.predictedTimeToTarget !== undefined ? `(${esc(formatSeconds(rec.current.predictedTimeToTarget))} → ${esc(formatSeconds(rec.predictedTimeToTarget))} to val loss ${esc(formatNumber(rec.evidence.targetLoss, 4))})` : ''}
${rec.evidence.measuredSpeedupVsCurrent !== undefined ? `; measured ${esc(formatNumber(rec.evidence.measuredSpeedupVsCurrent))}x in the convergence trials` : ''}.</div>
${ns ? `<div>Gradient noise scale B_noise = ${esc(formatNumber(ns.value))} (90% interval ${esc(formatNumber(ns.low))}–${esc(formatNumber(ns.high))}).</div>` : ''}
${rec.schedule ? `<div>Dynamic batching: ${esc(rec.schedule.description)}${rec.schedule.speedupVsBestFixed !== undefined ? ` (${esc(formatNumber(rec.schedule.speedupVsBestFixed))}x vs the best fixed size, predicted)` : ''}.</div>` : ''}
</div>`);
    const alt = rec.alternatives;
    const altRows = (
      [
        ['Recommended (goodput, checked by convergence trials)', { batchSize: rec.batchSize, learningRate: rec.learningRate, predictedTimeToTarget: rec.predictedTimeToTarget, reason: 'maximises X(B)/(B + B_noise) (Pollux)' }],
        ['Current', { batchSize: rec.current.batchSize, learningRate: rec.current.learningRate, predictedTimeToTarget: rec.current.predictedTimeToTarget, reason: 'the config as it is' }],
        ['Largest that fits', alt.largestThatFits],
        ['Highest throughput', alt.maxThroughput],
        ['Most sample-efficient', alt.mostSampleEfficient],
      ] as const
    )
      .filter(([, c]) => c !== undefined)
      .map(([n, c]) => [td(n), td(c!.batchSize), td(formatNumber(c!.learningRate, 4)), td(formatSeconds(c!.predictedTimeToTarget)), td(c!.reason)]);
    parts.push('<h2>Alternatives</h2>' + table(['', 'batch size', 'learning rate', 'predicted time to target', 'why'], altRows, 'why'));

    parts.push('<h2>Evidence per batch size</h2>');
    parts.push(
      table(
        ['batch size', 'status', 'samples/s (median)', 'IQR', 'peak memory', 'fits', 'goodput (rel.)', 'predicted time to target', 'measured val loss', 'spread', 'measured time to target', 'lr'],
        rec.candidates.map((c) => {
          const row = [
            td(c.batchSize + (c.batchSize === rec.batchSize ? ' ◀ pick' : c.batchSize === rec.current.batchSize ? ' (current)' : '')),
            td(c.status),
            td(formatNumber(c.samplesPerSecond)),
            td(c.samplesPerSecondIqr ? `${formatNumber(c.samplesPerSecondIqr[0])}–${formatNumber(c.samplesPerSecondIqr[1])}` : '–'),
            td(formatBytes(c.peakMemoryBytes)),
            td(c.fits ? 'yes' : 'no'),
            td(formatNumber(c.goodput)),
            td(formatSeconds(c.predictedTimeToTarget)),
            td(formatNumber(c.measuredLoss, 4)),
            td(formatNumber(c.measuredLossSpread, 2)),
            td(formatSeconds(c.measuredTimeToTarget)),
            td(formatNumber(c.learningRate, 4)),
          ];
          return c.batchSize === rec.batchSize ? row.map((x) => x.replace('<td class="">', '<td class="pick">')) : row;
        }),
      ).replace(/<tr><td class="pick">/, '<tr class="pick"><td class="pick">'),
    );
    const ev = rec.evidence;
    const facts = [
      `learning-rate rule: ${ev.lrRule}`,
      ev.goodputPick !== undefined ? `goodput model's pick: ${ev.goodputPick}` : '',
      ev.targetLoss !== undefined ? `target validation loss: ${formatNumber(ev.targetLoss, 4)}` : '',
      ev.minSteps !== undefined ? `S_min (steps to target at B → 0 noise): ${formatNumber(ev.minSteps)}` : '',
      ev.memoryLimitBytes !== undefined ? `memory limit: ${formatBytes(ev.memoryLimitBytes)}` : '',
      ev.memoryFit ? `memory fit: peak(B) ≈ ${formatBytes(ev.memoryFit.a)} + ${formatNumber(ev.memoryFit.b)} bytes × B (r² ${formatNumber(ev.memoryFit.r2, 4)})` : '',
      ev.predictedMaxFit !== undefined ? `largest batch predicted to fit: ${ev.predictedMaxFit}` : '',
      ev.oomCeiling !== undefined ? `first batch that failed for memory: ${ev.oomCeiling}` : '',
      ...ev.notes,
    ].filter((x) => x !== '');
    parts.push(`<h2>How it was decided</h2><ul>${facts.map((f) => `<li>${esc(f)}</li>`).join('')}</ul>
<p class="muted">Time to a target loss T(B) ≈ S_min (B + B_noise) / X(B) (McCandlish et al. 2018, “An Empirical Model of Large-Batch Training”); the pick maximises goodput X(B)/(B + B_noise) (Qiao et al., Pollux, OSDI ’21) under the memory limit, then short training runs at the top candidates confirm or correct it.</p>`);
  } else {
    parts.push(`<div class="card">No recommendation${r.reason ? `: ${esc(r.reason)}` : ''}.</div>`);
  }

  if (charts.length > 0) {
    parts.push('<h2>Charts</h2><div class="charts">');
    for (const c of charts) parts.push(`<div class="chart"><h3>${esc(c.title)}</h3><div id="chart-${esc(c.id)}"></div></div>`);
    parts.push('</div>');
  }

  parts.push('<h2>Trials</h2>');
  parts.push(
    table(
      ['trial', 'phase', 'batch size', 'lr', 'seed', 'status', 'samples/s', 'peak memory', 'final loss', 'final val loss', 'wall time'],
      r.trials.map((t) => [
        td(t.id), td(t.phase), td(t.batchSize), td(formatNumber(t.learningRate, 4)), td(t.seed),
        td(t.status + (t.error ? `: ${t.error.message}` : '')), td(formatNumber(t.samplesPerSecond)), td(formatBytes(t.peakMemoryBytes)),
        td(formatNumber(t.finalLoss, 4)), td(formatNumber(t.finalValLoss, 4)), td(formatSeconds(t.wallSeconds)),
      ]),
    ),
  );

  const s = r.start.settings;
  const meta = [
    ['study', r.id],
    ['config', `${r.start.configPath}${r.start.configHash ? ` (sha256 ${r.start.configHash})` : ''}`],
    ['current', `batch ${r.start.currentBatchSize}, lr ${r.start.currentLearningRate}, ${r.start.optimizer}, ${r.start.datasetSize} training samples`],
    ['settings', `budget ${s.budgetSeconds} s, batch ${s.minBatchSize}–${s.maxBatchSize}, lr rule ${s.lrRule}, parallel ${s.parallel}, seed ${s.seed}${s.memoryLimitBytes !== undefined ? `, memory limit ${formatBytes(s.memoryLimitBytes)}` : ''}`],
    ['plan', r.plan?.summary ?? '–'],
    ['elapsed', formatSeconds(r.elapsedSeconds)],
    ['backend', [...new Set(r.trials.map((t) => t.backend).filter(Boolean))].join(', ') || '–'],
    ['file', r.file],
  ];
  parts.push('<h2>Study</h2>' + table(['', ''], meta.map(([k, v]) => [td(k), `<td style="text-align:left">${esc(v)}</td>`])));
  if (r.warnings.length > 0) parts.push(`<h2>Warnings</h2><ul>${r.warnings.map((w) => `<li>${esc(w)}</li>`).join('')}</ul>`);

  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Batch Tuner — ${esc(name)}${rec ? ` — batch ${rec.batchSize}` : ''}</title>
<style>${css}</style><style>${CSS}</style></head>
<body>
${parts.join('\n')}
<p class="muted">Generated by Batch Tuner.</p>
<script type="application/json" id="chart-data">${scriptJson(charts)}</script>
<script>${js.replace(/<\/script/gi, '<\\/script')}</script>
<script>${CHART_SCRIPT}</script>
</body></html>
`;
}
