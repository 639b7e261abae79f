// B_noise fitted from loss curves, for scripts that report no gradient statistics. McCandlish et
// al. 2018 ("An Empirical Model of Large-Batch Training", eq. 2.11): the optimizer steps needed to
// reach a loss level follow S(B) = S_min (1 + B_noise/B), linear in 1/B. With runs at >= 3 batch
// sizes we read, for several loss levels every run reaches, the steps each run took, and fit
//   ln S_{r,l} = ln S_min,l + ln(1 + B_noise / B_r)
// with one S_min per level and one B_noise (McCandlish et al. fit S and E per level the same way,
// sec. 3.1 and fig. 4). The log weighs each run's steps relatively (step counts at small batches
// are far larger); S_min,l is profiled out (its least-squares value is a mean), leaving a 1-D
// search over ln B_noise. Its interval is a bootstrap over the runs of each batch size (seeds) and
// over the levels, so it carries the spread between runs, not only within one.
import type { NoiseScaleEstimate } from '../types';
import { firstReach, type LossPoint } from './lossCurves';
import { median, quantile, seededRandom } from './stats';

export interface LossRun {
  batchSize: number;
  /** The run's loss curve against optimizer steps (validation, or smoothed training loss). */
  curve: readonly LossPoint[];
}

/** Steps each run took to reach one loss level. */
export interface LevelSteps {
  level: number;
  points: Array<{ batchSize: number; steps: number; run: number }>;
}

/** Fewest distinct batch sizes a loss-curve fit needs: two unknowns per level and a check. */
export const MIN_LOSS_FIT_BATCH_SIZES = 3;
/** Fractions of the common loss range (from the worst run's best loss up to the lowest start) used as levels. */
export const LEVEL_FRACTIONS = [0.05, 0.15, 0.25, 0.35, 0.45];
/** B_noise is searched within [smallest B / SEARCH_SPAN, largest B * SEARCH_SPAN]: the sizes measured cannot resolve more. */
export const SEARCH_SPAN = 64;

/** Sum of squared log residuals at a given B_noise, S_min per level profiled out. */
export function logResidualSS(table: readonly LevelSteps[], noiseScale: number): number {
  let ss = 0;
  for (const lv of table) {
    const r = lv.points.map((p) => Math.log(p.steps) - Math.log(1 + noiseScale / p.batchSize));
    const m = r.reduce((a, b) => a + b, 0) / r.length;
    for (const x of r) ss += (x - m) ** 2;
  }
  return ss;
}

export interface LossFit {
  noiseScale: number;
  /** Where the minimum sat on the search range: 'high' means steps fell as 1/B throughout, so no finite B_noise is resolved. */
  atBound?: 'low' | 'high';
}

/** Least-squares B_noise over the levels: grid on ln B_noise, then golden-section refinement. */
export function fitNoiseScaleToSteps(table: readonly LevelSteps[]): LossFit | undefined {
  const sizes = table.flatMap((l) => l.points.map((p) => p.batchSize));
  if (new Set(sizes).size < MIN_LOSS_FIT_BATCH_SIZES) return undefined;
  const lo = Math.log(Math.min(...sizes) / SEARCH_SPAN);
  const hi = Math.log(Math.max(...sizes) * SEARCH_SPAN);
  const f = (u: number) => logResidualSS(table, Math.exp(u));
  const n = 120;
  let best = 0;
  const grid = Array.from({ length: n + 1 }, (_, i) => lo + ((hi - lo) * i) / n);
  const vals = grid.map(f);
  for (let i = 1; i <= n; i++) if (vals[i] < vals[best]) best = i;
  if (best === n) return { noiseScale: Math.exp(hi), atBound: 'high' };
  if (best === 0) return { noiseScale: Math.exp(lo), atBound: 'low' };
  // Golden-section search on the bracketing grid cells (Kiefer 1953).
  let a = grid[best - 1];
  let b = grid[best + 1];
  const g = (Math.sqrt(5) - 1) / 2;
  for (let it = 0; it < 60; it++) {
    const c = b - g * (b - a);
    const d = a + g * (b - a);
    if (f(c) < f(d)) b = d;
    else a = c;
  }
  return { noiseScale: Math.exp((a + b) / 2) };
}

/** Loss levels every run reaches below its first point, in the lower half of the common range. */
export function commonLevels(runs: readonly LossRun[]): number[] {
  const curves = runs.map((r) => r.curve).filter((c) => c.length >= 2);
  if (curves.length === 0) return [];
  const top = Math.min(...curves.map((c) => c[0].loss));
  const floor = Math.max(...curves.map((c) => Math.min(...c.map((p) => p.loss))));
  if (!(top > floor)) return [];
  return LEVEL_FRACTIONS.map((q) => floor + q * (top - floor));
}

/** For each level, the steps each run needed (runs that never reach a level are left out of it). */
export function stepsToLevels(runs: readonly LossRun[], levels: readonly number[]): LevelSteps[] {
  return levels
    .map((level) => ({
      level,
      points: runs.flatMap((r, run) => {
        const s = r.curve.length >= 2 ? firstReach(r.curve, level, 'step') : undefined;
        return s !== undefined && s > 0 ? [{ batchSize: r.batchSize, steps: s, run }] : [];
      }),
    }))
    .filter((l) => new Set(l.points.map((p) => p.batchSize)).size >= MIN_LOSS_FIT_BATCH_SIZES);
}

/**
 * Runs whose curves share loss levels: the run that stops highest is dropped while the others
 * still span MIN_LOSS_FIT_BATCH_SIZES batch sizes and share no level (a run that never got far).
 */
export function comparableRuns(runs: readonly LossRun[]): LossRun[] {
  let kept = runs.filter((r) => r.curve.length >= 2);
  while (commonLevels(kept).length === 0 && new Set(kept.map((r) => r.batchSize)).size > MIN_LOSS_FIT_BATCH_SIZES) {
    const worst = kept.reduce((a, r) => (Math.min(...r.curve.map((p) => p.loss)) > Math.min(...a.curve.map((p) => p.loss)) ? r : a));
    kept = kept.filter((r) => r !== worst);
  }
  return kept;
}

export type LossNoiseScaleResult = { estimate: NoiseScaleEstimate } | { undetermined: string };

/** Two-stage bootstrap: runs within each batch size, then levels; percentile interval of B_noise. */
function bootstrapLossFit(runs: readonly LossRun[], levels: readonly number[], seed: number, level: number): [number, number] | undefined {
  const rand = seededRandom(seed);
  const bySize = new Map<number, LossRun[]>();
  for (const r of runs) bySize.set(r.batchSize, [...(bySize.get(r.batchSize) ?? []), r]);
  const values: number[] = [];
  for (let i = 0; i < 200; i++) {
    const sample = [...bySize.values()].flatMap((rs) => rs.map(() => rs[Math.floor(rand() * rs.length)]));
    const lv = levels.map(() => levels[Math.floor(rand() * levels.length)]);
    const fit = fitNoiseScaleToSteps(stepsToLevels(sample, lv));
    if (fit) values.push(fit.noiseScale);
  }
  if (values.length < 20) return undefined;
  return [quantile(values, (1 - level) / 2), quantile(values, 1 - (1 - level) / 2)];
}

/**
 * B_noise from the loss curves of runs at >= 3 batch sizes, with a 90% interval and its history
 * over the loss levels (one fit per level: B_noise grows as the loss falls). Says why when it cannot.
 */
export function noiseScaleFromLossCurves(all: readonly LossRun[], opts: { seed?: number; level?: number } = {}): LossNoiseScaleResult {
  const sizes = new Set(all.filter((r) => r.curve.length >= 2).map((r) => r.batchSize));
  if (sizes.size < MIN_LOSS_FIT_BATCH_SIZES)
    return {
      undetermined:
        sizes.size === 0
          ? `no run reported a loss curve (two or more loss values); fitting S(B) = S_min (1 + B_noise/B) needs curves at ${MIN_LOSS_FIT_BATCH_SIZES} batch sizes`
          : `loss curves came from ${sizes.size} batch size${sizes.size === 1 ? '' : 's'} only (${[...sizes].sort((a, b) => a - b).join(', ')}); fitting S(B) = S_min (1 + B_noise/B) needs ${MIN_LOSS_FIT_BATCH_SIZES}`,
    };
  const runs = comparableRuns(all);
  const levels = commonLevels(runs);
  const table = stepsToLevels(runs, levels);
  const fit = fitNoiseScaleToSteps(table);
  if (!fit)
    return {
      undetermined: `the loss curves at ${[...sizes].sort((a, b) => a - b).join(', ')} share no loss level that ${MIN_LOSS_FIT_BATCH_SIZES} batch sizes all reached`,
    };
  if (fit.atBound === 'high')
    return {
      undetermined: `steps to every common loss level fell in proportion to 1/B across ${[...sizes].sort((a, b) => a - b).join(', ')}: B_noise is above ${Math.round(fit.noiseScale)}, more than these sizes can resolve (no finite estimate)`,
    };
  const ci = bootstrapLossFit(
    runs,
    table.map((t) => t.level),
    opts.seed ?? 1,
    opts.level ?? 0.9,
  );
  const estimate: NoiseScaleEstimate = {
    value: fit.noiseScale,
    low: Math.min(ci?.[0] ?? fit.noiseScale, fit.noiseScale),
    high: Math.max(ci?.[1] ?? fit.noiseScale, fit.noiseScale),
    source: 'loss-curves',
  };
  const history = lossFitHistory(runs, table);
  if (history) Object.assign(estimate, history);
  return { estimate };
}

/** One fit per level, ordered from the highest loss down; samples counted in the run at the median batch size. */
function lossFitHistory(runs: readonly LossRun[], table: readonly LevelSteps[]): Pick<NoiseScaleEstimate, 'history' | 'historyBatchSize'> | undefined {
  const refB = median(runs.map((r) => r.batchSize));
  const ref = runs.reduce((a, r) => (Math.abs(Math.log(r.batchSize / refB)) < Math.abs(Math.log(a.batchSize / refB)) ? r : a));
  const history = [...table]
    .sort((a, b) => b.level - a.level)
    .flatMap((lv) => {
      const f = fitNoiseScaleToSteps([lv]);
      const samples = firstReach(ref.curve, lv.level, 'samples');
      return f && !f.atBound && samples !== undefined ? [{ samples, loss: lv.level, value: f.noiseScale }] : [];
    });
  return history.length >= 3 ? { history, historyBatchSize: ref.batchSize } : undefined;
}
