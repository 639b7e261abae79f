// The charts' places on the page, each with a legend written here as escaped HTML (uPlot's own
// legend is off: no row of placeholders, and no label ever reaches the page as markup).
import type { ChartSpec, SeriesSpec } from './chartSpec';
import { PALETTE_SIZE } from './chartSpec';
import { escaped, type SafeHtml } from './escape';

const SWATCH: Record<SeriesSpec['style'], string> = { points: 'points', line: 'line', dashed: 'dashed', step: 'line', 'area-high': 'area', 'area-low': 'area' };

function swatch(kind: string, color: number): SafeHtml {
  const slot = Number.isInteger(color) ? Math.abs(color) % PALETTE_SIZE : 0;
  return escaped`<span class="${`sw ${kind} sw-${slot}`}"></span>`;
}

function legend(c: ChartSpec): SafeHtml {
  const seen = new Set<string>();
  const items: SafeHtml[] = [];
  for (const s of c.series) {
    if (s.style === 'area-low' || seen.has(s.label)) continue; // an interval is one entry; split curves share theirs
    seen.add(s.label);
    items.push(escaped`<li>${swatch(SWATCH[s.style] ?? 'line', s.color)}${s.label}</li>`);
  }
  if (c.whiskers && c.whiskers.length > 0) items.push(escaped`<li>${swatch('whisker', c.whiskers[0].color)}${c.whiskerLabel ?? 'spread'}</li>`);
  if (c.xBand) items.push(escaped`<li><span class="sw shade"></span>${c.xBand.label}</li>`);
  return escaped`<ul class="legend">${items}</ul>`;
}

export function chartsSection(charts: readonly ChartSpec[]): SafeHtml | string {
  if (charts.length === 0) return '';
  const boxes = charts.map(
    (c) =>
      escaped`<figure class="chart" data-chart="${c.id}"><h3>${c.title}</h3><div id="${`chart-${c.id}`}"></div>${legend(c)}${c.caption ? escaped`<p class="caption">${c.caption}</p>` : ''}</figure>`,
  );
  return escaped`<h2>Charts</h2><div class="charts">${boxes}</div>`;
}
