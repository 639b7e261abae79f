// The charts built from the trials' summaries and the recommendation (not from streaming steps):
// throughput against batch size with its spread, the fitted model and its band; peak memory against
// batch size with the fit and the limit; the critical batch size along training with the plan.
// Pure (given a theme's colours): unit-tested in node.
import type { Recommendation, TrialSummary } from '../../src/core/types';
import type { ChartTheme } from '../shared/theme';
import { withAlpha, type Whisker, type XRange } from './decorations';
import type { ChartContent, Line } from './streamChart';

type Palette = Pick<ChartTheme, 'palette' | 'highlight' | 'muted'>;

interface SizePoint {
  x: number;
  y: number;
  lo?: number;
  hi?: number;
}

const byX = (a: { x: number }, b: { x: number }) => a.x - b.x;
const median = (v: number[]) => {
  const s = [...v].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

/** Measured throughput per batch size: the study's candidates when there is a recommendation, else the trials' (median over rounds, widest IQR). */
export function measuredThroughput(trials: Iterable<TrialSummary>, rec: Recommendation | undefined): SizePoint[] {
  const out = new Map<number, SizePoint>();
  for (const c of rec?.candidates ?? []) {
    if (c.status === 'predicted' || c.status === 'skipped' || !(c.samplesPerSecond !== undefined && c.samplesPerSecond > 0)) continue;
    out.set(c.batchSize, { x: c.batchSize, y: c.samplesPerSecond, lo: c.samplesPerSecondIqr?.[0], hi: c.samplesPerSecondIqr?.[1] });
  }
  const fromTrials = new Map<number, TrialSummary[]>();
  for (const t of trials) {
    if (t.status !== 'ok' || !(t.samplesPerSecond !== undefined && t.samplesPerSecond > 0) || out.has(t.batchSize)) continue;
    fromTrials.set(t.batchSize, [...(fromTrials.get(t.batchSize) ?? []), t]);
  }
  for (const [b, ts] of fromTrials) {
    const iqr = ts.map((t) => t.samplesPerSecondIqr).filter((q): q is [number, number] => q !== undefined);
    out.set(b, {
      x: b,
      y: median(ts.map((t) => t.samplesPerSecond as number)),
      ...(iqr.length > 0 ? { lo: Math.min(...iqr.map((q) => q[0])), hi: Math.max(...iqr.map((q) => q[1])) } : {}),
    });
  }
  return [...out.values()].sort(byX);
}

function xy(points: SizePoint[], y: (p: SizePoint) => number = (p) => p.y): { xs: number[]; ys: number[] } {
  return { xs: points.map((p) => p.x), ys: points.map(y) };
}

/**
 * The near-optimal band as a shaded x range: each size in it stands for the quarter octave either
 * side (the sizes are discrete points on a log2 axis).
 */
export function bandRange(rec: Recommendation | undefined, theme: Palette): XRange[] {
  const band = rec?.band;
  if (!band) return [];
  const color = theme.palette[2];
  const label = `within ${Math.round(band.tolerance * 100)}%${band.basis === 'assumed' ? ' (assumed)' : ''}`;
  return [{ from: band.low / 2 ** 0.25, to: band.high * 2 ** 0.25, color: withAlpha(color, 0.13), label, labelColor: color }];
}

/** The fitted X(B): solid over the measured sizes, dashed beyond them (extrapolated), its 90% interval as a shaded band. */
function fittedLines(rec: Recommendation | undefined, measured: SizePoint[], theme: Palette): Line[] {
  const fitted = (rec?.candidates ?? [])
    .filter((c) => c.fittedSamplesPerSecond !== undefined && c.fittedSamplesPerSecond > 0)
    .map((c) => ({
      x: c.batchSize,
      y: c.fittedSamplesPerSecond as number,
      lo: c.fittedSamplesPerSecondInterval?.[0],
      hi: c.fittedSamplesPerSecondInterval?.[1],
    }))
    .sort(byX);
  if (fitted.length === 0) return [];
  const color = theme.palette[1];
  const lastMeasured = measured.length > 0 ? measured[measured.length - 1].x : -Infinity;
  const inside = fitted.filter((p) => p.x <= lastMeasured);
  const beyond = fitted.filter((p) => p.x >= (inside.length > 0 ? inside[inside.length - 1].x : -Infinity));
  const lines: Line[] = [];
  const withInterval = fitted.filter((p) => p.lo !== undefined && p.hi !== undefined);
  if (withInterval.length > 1) {
    lines.push({
      key: 'fit-hi',
      label: 'fit 90% high',
      color: withAlpha(color, 0.35),
      width: 0.5,
      legend: false,
      fillTo: 'fit-lo',
      fillColor: withAlpha(color, 0.12),
      ...xy(withInterval, (p) => p.hi as number),
    });
    lines.push({ key: 'fit-lo', label: 'fit 90% low', color: withAlpha(color, 0.35), width: 0.5, legend: false, ...xy(withInterval, (p) => p.lo as number) });
  }
  if (inside.length > 0) lines.push({ key: 'fit', label: withInterval.length > 1 ? 'fitted X(B), 90% band' : 'fitted X(B)', color, width: 2, ...xy(inside) });
  if (beyond.length > (inside.length > 0 ? 1 : 0))
    lines.push({ key: 'fit-beyond', label: 'fitted, not run (extrapolated)', color, width: 2, dash: [5, 4], ...xy(beyond) });
  return lines;
}

/** Throughput vs batch size: measured medians with their IQR, the fitted model with its band, the near-optimal band shaded. */
export function throughputChart(trials: Iterable<TrialSummary>, rec: Recommendation | undefined, theme: Palette): ChartContent {
  const measured = measuredThroughput(trials, rec);
  const color = theme.palette[0];
  const lines: Line[] = [
    ...fittedLines(rec, measured, theme),
    { key: 'measured', label: 'measured (median, IQR)', color, points: true, line: false, pointSize: 7, ...xy(measured) },
  ];
  // A study from before the model (issue 10) marked predicted sizes instead.
  const predicted = (rec?.candidates ?? []).filter(
    (c) => c.status === 'predicted' && c.samplesPerSecond !== undefined && c.fittedSamplesPerSecond === undefined,
  );
  if (predicted.length > 0)
    lines.push({
      key: 'predicted',
      label: 'predicted (not run)',
      color: theme.palette[1],
      points: true,
      line: false,
      pointSize: 6,
      ...xy(predicted.map((c) => ({ x: c.batchSize, y: c.samplesPerSecond as number })).sort(byX)),
    });
  const whiskers: Whisker[] = measured
    .filter((p) => p.lo !== undefined && p.hi !== undefined)
    .map((p) => ({ x: p.x, lo: p.lo as number, hi: p.hi as number, color }));
  return { lines, decorations: { whiskers, xRanges: bandRange(rec, theme) } };
}
