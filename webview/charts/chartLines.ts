// What each chart draws, built from the series store, the trial summaries and the
// recommendation. Pure (given a theme's colours): unit-tested in node.
import type { Recommendation } from '../../src/core/types';
import type { ChartTheme } from '../shared/theme';
import { seriesStyle } from '../shared/theme';
import type { Column, SeriesStore } from './seriesStore';
import type { Line } from './streamChart';

type Palette = Pick<ChartTheme, 'palette' | 'highlight' | 'muted'>;

/** One line per trial: `y` against `x` (loss vs samples, loss vs time, memory vs time). */
export function trialLines(store: SeriesStore, theme: Palette, x: Column, y: Column): Line[] {
  return store.list().map((t) => ({
    key: t.trialId,
    label: store.label(t),
    ...seriesStyle(theme, t.index),
    xs: t.columns[x].view(),
    ys: t.columns[y].view(),
  }));
}

/**
 * Issue 6: the batch size in force and the gradient noise scale over training, both in samples,
 * on one axis: where B_noise rises above the batch size, a larger batch would pay off.
 * Batch-size lines for every trial whose size changed (a schedule) or else the latest trial;
 * noise-scale lines for trials with micro-batch statistics; the tuner's own estimate with its
 * interval when the recommendation carries a history.
 */
export function scheduleLines(store: SeriesStore, theme: Palette, rec: Recommendation | undefined): Line[] {
  const trials = store.list();
  const lines: Line[] = [];
  const varying = trials.filter((t) => t.batchSizeVaries);
  const shown = varying.length > 0 ? varying : trials.slice(-1);
  for (const t of shown) {
    lines.push({
      key: `batch:${t.trialId}`,
      label: `batch size ${store.label(t)}`,
      color: seriesStyle(theme, t.index).color,
      stepped: true,
      width: 2,
      xs: t.columns.samples.view(),
      ys: t.columns.batchSize.view(),
    });
  }
  // Live noise-scale curves of the latest three trials that report micro-batch statistics:
  // enough to see the trend without burying the chart in lines.
  const withNoise = trials.filter((t) => t.hasNoiseScale).slice(-3);
  for (const t of withNoise) {
    const noise = t.columns.noiseScale.view();
    lines.push({
      key: `noise:${t.trialId}`,
      label: `B_noise live ${store.label(t)}`,
      color: seriesStyle(theme, t.index).color,
      dash: [4, 3],
      xs: t.columns.samples.view(),
      ys: noise,
    });
  }
  const history = rec?.noiseScale?.history;
  if (history && history.length > 0) {
    const sorted = [...history].sort((a, b) => a.samples - b.samples);
    const xs = sorted.map((p) => p.samples);
    lines.push({ label: 'B_noise (tuner)', color: theme.highlight, width: 2, points: true, pointSize: 5, xs, ys: sorted.map((p) => p.value) });
    if (sorted.some((p) => p.low !== undefined)) {
      lines.push({ label: 'interval low', color: theme.muted, dash: [2, 3], width: 1, xs, ys: sorted.map((p) => p.low ?? NaN) });
      lines.push({ label: 'interval high', color: theme.muted, dash: [2, 3], width: 1, xs, ys: sorted.map((p) => p.high ?? NaN) });
    }
  }
  return lines;
}

interface Point {
  x: number;
  y: number;
}

function sortedLine(points: Point[]): { xs: number[]; ys: number[] } {
  const p = [...points].sort((a, b) => a.x - b.x);
  return { xs: p.map((q) => q.x), ys: p.map((q) => q.y) };
}

/** Goodput (throughput × statistical efficiency, Pollux) vs batch size, with the pick and the current size marked. */
export function goodputLines(rec: Recommendation | undefined, theme: Palette): Line[] {
  const points: Point[] = [];
  for (const c of rec?.candidates ?? []) if (c.goodput !== undefined && Number.isFinite(c.goodput)) points.push({ x: c.batchSize, y: c.goodput });
  const lines: Line[] = [{ label: 'goodput (relative)', color: theme.palette[2], points: true, pointSize: 6, width: 2, ...sortedLine(points) }];
  if (rec) {
    const at = (b: number) => points.find((p) => p.x === b)?.y;
    const pick = at(rec.batchSize);
    if (pick !== undefined)
      lines.push({ label: `recommended ${rec.batchSize}`, color: theme.highlight, line: false, points: true, pointSize: 14, xs: [rec.batchSize], ys: [pick] });
    const cur = at(rec.current.batchSize);
    if (cur !== undefined && rec.current.batchSize !== rec.batchSize) {
      lines.push({
        label: `current ${rec.current.batchSize}`,
        color: theme.palette[4],
        line: false,
        points: true,
        pointSize: 10,
        xs: [rec.current.batchSize],
        ys: [cur],
      });
    }
  }
  return lines;
}
