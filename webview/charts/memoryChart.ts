// Peak memory against batch size (issue 10 §5): the measured peaks, the linear fit
// peak(B) = a + b·B (dashed where it runs beyond the largest profiled batch), the memory limit,
// the trials that ran out of memory, and the one real trial that checked a far prediction.
// Memory against time was a flat line for small models; against batch size it decides the ceiling.
// Pure (given a theme's colours): unit-tested in node.
import type { Recommendation, TrialSummary } from '../../src/core/types';
import type { ChartTheme } from '../shared/theme';
import type { ChartContent, Line } from './streamChart';

type Palette = Pick<ChartTheme, 'palette' | 'highlight' | 'muted'>;

/** Largest measured peak per batch size (trials that ran), and the sizes that ran out of memory. */
export function measuredPeaks(trials: Iterable<TrialSummary>, rec: Recommendation | undefined): { peaks: Map<number, number>; oom: number[] } {
  const peaks = new Map<number, number>();
  const oom = new Set<number>();
  const add = (b: number, bytes: number | undefined) => {
    if (bytes !== undefined && bytes > 0) peaks.set(b, Math.max(peaks.get(b) ?? 0, bytes));
  };
  for (const t of trials) {
    if (t.status === 'oom') oom.add(t.batchSize);
    else if (t.status === 'ok') add(t.batchSize, t.peakMemoryBytes);
  }
  for (const c of rec?.candidates ?? []) {
    if (c.status === 'oom') oom.add(c.batchSize);
    else if (c.status !== 'predicted' && c.status !== 'skipped') add(c.batchSize, c.peakMemoryBytes);
  }
  return { peaks, oom: [...oom].sort((a, b) => a - b) };
}

/** Powers of two from lo to hi, with lo and hi themselves: where the fit is drawn on a log2 axis. */
export function sizeGrid(lo: number, hi: number): number[] {
  const out = new Set<number>([lo]);
  for (let b = 2 ** Math.ceil(Math.log2(lo)); b < hi; b *= 2) out.add(b);
  out.add(hi);
  return [...out].filter((b) => b >= lo && b <= hi).sort((a, b) => a - b);
}

function fitLines(rec: Recommendation, lo: number, largestProfiled: number, hi: number, theme: Palette): Line[] {
  const fit = rec.evidence.memoryFit;
  if (!fit || !(hi > lo)) return [];
  const at = (b: number) => fit.a + fit.b * b;
  const color = theme.palette[1];
  const inside = sizeGrid(lo, Math.min(hi, largestProfiled));
  const lines: Line[] = [{ key: 'fit', label: 'fit a + b·B', color, width: 1.5, xs: inside, ys: inside.map(at) }];
  if (hi > largestProfiled) {
    const beyond = sizeGrid(largestProfiled, hi);
    lines.push({ key: 'fit-beyond', label: 'fit, beyond the profiled sizes', color, width: 1.5, dash: [5, 4], xs: beyond, ys: beyond.map(at) });
  }
  return lines;
}

export function memoryChart(trials: Iterable<TrialSummary>, rec: Recommendation | undefined, theme: Palette): ChartContent {
  const { peaks, oom } = measuredPeaks(trials, rec);
  const sizes = [...peaks.keys()].sort((a, b) => a - b);
  const lines: Line[] = [
    {
      key: 'peak',
      label: 'peak memory (measured)',
      color: theme.palette[0],
      points: true,
      line: false,
      pointSize: 7,
      xs: sizes,
      ys: sizes.map((b) => peaks.get(b) as number),
    },
  ];
  const ev = rec?.evidence;
  const check = ev?.memoryCheck;
  const all = [...sizes, ...oom, ...(check ? [check.batchSize] : [])];
  if (all.length === 0) return { lines };
  const lo = Math.min(...all);
  const largestProfiled = sizes.length > 0 ? sizes[sizes.length - 1] : lo;
  const hi = Math.max(...all, ev?.predictedMaxFit ?? 0);
  if (rec) lines.push(...fitLines(rec, lo, largestProfiled, hi, theme));
  const limit = ev?.memoryLimitBytes;
  const red = theme.palette[4];
  if (limit !== undefined && limit > 0) {
    lines.push({ key: 'limit', label: 'memory limit', color: red, width: 1.5, dash: [2, 3], xs: [lo, hi], ys: [limit, limit] });
    // On the fit (its predicted peak there), not on the limit: the cap may be the dataset or the search range.
    const maxFit = ev?.predictedMaxFit;
    if (maxFit !== undefined) {
      const y = ev?.memoryFit ? ev.memoryFit.a + ev.memoryFit.b * maxFit : limit;
      lines.push({
        key: 'max-fit',
        label: `largest predicted to fit (${maxFit})`,
        color: theme.highlight,
        points: true,
        line: false,
        pointSize: 9,
        xs: [maxFit],
        ys: [y],
      });
    }
  }
  if (oom.length > 0 && limit !== undefined)
    lines.push({ key: 'oom', label: 'out of memory', color: red, points: true, line: false, pointSize: 9, xs: oom, ys: oom.map(() => limit) });
  if (check?.measuredPeakBytes !== undefined)
    lines.push({
      key: 'check',
      label: `checked at ${check.batchSize}`,
      color: theme.palette[3],
      points: true,
      line: false,
      pointSize: 9,
      xs: [check.batchSize],
      ys: [check.measuredPeakBytes],
    });
  return { lines };
}
