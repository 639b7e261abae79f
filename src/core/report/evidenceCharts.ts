// The charts of the evidence behind a pick: throughput (measured points with their spread, the
// fitted model with its 90% interval, the near-optimal band), time to target (predicted against
// measured), peak memory (measured, the fit a + bB, the limit) and B_noise during the noise trial.
import { isFiniteNumber as num } from '../guards';
import type { StudyRecord } from '../study/types';
import type { CandidateEvidence, Recommendation } from '../types';
import { alignSeries, COLOR, SeriesList, type ChartSpec, type Point } from './chartSpec';
import { isExtrapolated } from './recommendationText';

function bandShade(rec: Recommendation): ChartSpec['xBand'] {
  const b = rec.band as Recommendation['band'] | undefined; // absent in studies from before issue 10
  if (!b || !num(b.low) || !num(b.high)) return undefined;
  return { low: b.low, high: b.high, label: `near-optimal band ${b.low}–${b.high} (within ${Math.round(b.tolerance * 100)}% of the best, ${b.basis})` };
}

/** A model's curve: solid within the measured sizes, dashed (own series) where it extrapolates below or above them. */
function splitCurve(rec: Recommendation, pts: Point[]): { inside: Point[]; outside: Point[][] } {
  const inside = pts.filter(([b]) => !isExtrapolated(rec, b));
  if (inside.length === 0) return { inside: pts, outside: [] };
  // Each dashed part shares its edge point with the solid part so the two join.
  const below = pts.filter(([b]) => b <= inside[0][0]);
  const above = pts.filter(([b]) => b >= inside[inside.length - 1][0]);
  return { inside, outside: [below, above].filter((p) => p.length > 1) };
}

/**
 * Top of the throughput axis: room for the measurements and the fit where it was measured; an
 * extrapolation may rise to 3x that and then leaves the chart, so the measured points stay legible.
 */
function throughputTop(rec: Recommendation, measured: readonly CandidateEvidence[], fitted: readonly CandidateEvidence[]): number | undefined {
  const seen = [
    ...measured.map((c) => c.samplesPerSecondIqr?.[1] ?? c.samplesPerSecond),
    ...fitted.filter((c) => !isExtrapolated(rec, c.batchSize)).map((c) => c.fittedSamplesPerSecond),
  ].filter(num);
  const all = fitted.map((c) => c.fittedSamplesPerSecond).filter(num);
  if (seen.length === 0) return all.length > 0 ? Math.max(...all) * 1.3 : undefined;
  const top = Math.max(...seen);
  return Math.max(top * 1.3, Math.min(Math.max(...all, top) * 1.3, top * 3));
}

export function throughputChart(rec: Recommendation): ChartSpec | undefined {
  const cands = rec.candidates ?? [];
  const measured = cands.filter((c) => num(c.samplesPerSecond));
  const fitted = cands.filter((c) => num(c.fittedSamplesPerSecond));
  if (measured.length === 0 && fitted.length === 0) return undefined;
  const curve = splitCurve(
    rec,
    fitted.map((c) => [c.batchSize, c.fittedSamplesPerSecond as number] as const),
  );
  const ci = fitted.filter((c) => c.fittedSamplesPerSecondInterval);
  const pick = cands.find((c) => c.batchSize === rec.batchSize);
  const pickX = pick && (num(pick.samplesPerSecond) ? pick.samplesPerSecond : pick.fittedSamplesPerSecond);
  const list = new SeriesList();
  list.add(
    { label: 'measured median (profile trials)', color: COLOR.measured, style: 'points' },
    measured.map((c) => [c.batchSize, c.samplesPerSecond as number]),
  );
  list.add({ label: 'fitted model X(B) = B / t(B)', color: COLOR.fit, style: 'line' }, curve.inside);
  for (const part of curve.outside) list.add({ label: 'fitted model, extrapolated beyond the measured sizes', color: COLOR.fit, style: 'dashed' }, part);
  const fills: NonNullable<ChartSpec['fills']> = [];
  if (ci.length > 1) {
    const high = list.add(
      { label: 'fitted 90% interval (bootstrap)', color: COLOR.fit, style: 'area-high' },
      ci.map((c) => [c.batchSize, (c.fittedSamplesPerSecondInterval as [number, number])[1]]),
    );
    const low = list.add(
      { label: 'fitted 90% interval (low)', color: COLOR.fit, style: 'area-low' },
      ci.map((c) => [c.batchSize, (c.fittedSamplesPerSecondInterval as [number, number])[0]]),
    );
    if (high !== undefined && low !== undefined) fills.push({ high, low, color: COLOR.fit });
  }
  if (num(pickX)) list.add({ label: `pick ${rec.batchSize}`, color: COLOR.band, style: 'points' }, [[rec.batchSize, pickX]]);
  return {
    id: 'throughput',
    title: 'Throughput vs batch size (measured points, fitted model)',
    xLabel: 'batch size',
    yLabel: 'samples/s',
    xLog: true,
    yMax: throughputTop(rec, measured, fitted),
    series: list.series,
    data: list.data(),
    fills,
    whiskers: measured
      .filter((c) => c.samplesPerSecondIqr)
      .map((c) => ({
        color: COLOR.measured,
        x: c.batchSize,
        low: (c.samplesPerSecondIqr as [number, number])[0],
        high: (c.samplesPerSecondIqr as [number, number])[1],
      })),
    whiskerLabel: 'interquartile range of the measured windows',
    xBand: bandShade(rec),
    caption:
      'Points: median samples/s measured in the interleaved profile rounds (whiskers: interquartile range). Line: the step-time model fitted to them, dashed where it extrapolates; shaded: its 90% bootstrap interval. Green: the near-optimal band.',
  };
}

/** Steps the convergence runs took to the target, timed by the fitted step time t(B) = B / X(B): what the verdict compares. */
function measuredSeconds(c: CandidateEvidence): number | undefined {
  const x = c.fittedSamplesPerSecond;
  return num(c.measuredStepsToTarget) && num(x) && x > 0 ? (c.measuredStepsToTarget * c.batchSize) / x : undefined;
}

export function timeToTargetChart(rec: Recommendation): ChartSpec | undefined {
  const cands = rec.candidates ?? [];
  const seconds = cands.some((c) => num(c.predictedTimeToTarget));
  const predicted = cands.filter((c) => num(seconds ? c.predictedTimeToTarget : c.relativeTimeToTarget));
  if (predicted.length === 0) return undefined;
  const assumed = rec.basis?.noiseScale === 'assumed';
  const curve = splitCurve(
    rec,
    predicted.map((c) => [c.batchSize, (seconds ? c.predictedTimeToTarget : c.relativeTimeToTarget) as number] as const),
  );
  const basis = assumed ? 'with an assumed B_noise' : 'fitted';
  const list = new SeriesList();
  list.add({ label: `predicted T(B) = S_min (B + B_noise) / X(B), ${basis}`, color: COLOR.fit, style: 'line' }, curve.inside);
  for (const part of curve.outside) list.add({ label: 'predicted, extrapolated beyond the measured sizes', color: COLOR.fit, style: 'dashed' }, part);
  if (seconds) {
    list.add(
      { label: 'measured: steps to target x fitted step time', color: COLOR.measured, style: 'points' },
      cands.flatMap((c): Point[] => {
        const s = measuredSeconds(c);
        return s === undefined ? [] : [[c.batchSize, s]];
      }),
    );
    list.add(
      { label: "measured wall clock (drifts with the machine's load)", color: COLOR.gray, style: 'points' },
      cands.filter((c) => num(c.measuredTimeToTarget)).map((c) => [c.batchSize, c.measuredTimeToTarget as number]),
    );
  }
  return {
    id: 'time-to-target',
    title: `Time to the target loss vs batch size (predicted${seconds ? ' and measured' : ', relative to the best'})`,
    xLabel: 'batch size',
    yLabel: seconds ? 'seconds to target' : 'time relative to the best',
    xLog: true,
    series: list.series,
    data: list.data(),
    xBand: bandShade(rec),
    caption: `Line: the model's prediction (${basis}). Points: what the convergence runs measured, when they reached the target. ${rec.evidence.verdict?.by === 'measurement' ? 'The measurement decided the pick.' : 'The model decided the pick.'}`,
  };
}

export function memoryChart(rec: Recommendation): ChartSpec | undefined {
  const cands = rec.candidates ?? [];
  const mem = cands.filter((c) => num(c.peakMemoryBytes) && num(c.samplesPerSecond));
  if (mem.length === 0) return undefined;
  const e = rec.evidence;
  const fit = e.memoryFit;
  const mb = (b: number) => b / 1e6;
  const top = num(e.predictedMaxFit) ? e.predictedMaxFit : Math.max(...mem.map((c) => c.batchSize));
  const sizes = [...new Set([...cands.map((c) => c.batchSize), top])].filter((b) => num(b) && b <= top).sort((a, b) => a - b);
  const list = new SeriesList();
  list.add(
    { label: 'peak memory, measured', color: COLOR.measured, style: 'points' },
    mem.map((c) => [c.batchSize, mb(c.peakMemoryBytes as number)]),
  );
  if (fit && num(fit.a) && num(fit.b)) {
    const curve = splitCurve(
      rec,
      sizes.map((b) => [b, mb(fit.a + fit.b * b)] as const),
    );
    list.add({ label: 'fitted peak(B) = a + bB', color: COLOR.fit, style: 'line' }, curve.inside);
    for (const part of curve.outside) list.add({ label: 'fitted, extrapolated to the largest predicted to fit', color: COLOR.fit, style: 'dashed' }, part);
  }
  const check = e.memoryCheck;
  if (check && num(check.measuredPeakBytes))
    list.add({ label: `checked by a trial at ${check.batchSize}`, color: COLOR.extra, style: 'points' }, [[check.batchSize, mb(check.measuredPeakBytes)]]);
  const limit = e.memoryLimitBytes;
  if (num(limit))
    list.add(
      { label: 'memory limit', color: COLOR.limit, style: 'dashed' },
      sizes.map((b) => [b, mb(limit)]),
    );
  const peak = Math.max(...mem.map((c) => c.peakMemoryBytes as number));
  return {
    id: 'memory',
    title: 'Peak memory vs batch size (measured, fitted, limit)',
    xLabel: 'batch size',
    yLabel: 'MB',
    xLog: true,
    ...(num(limit) && limit > 10 * peak ? { yLog: 10 as const } : {}),
    series: list.series,
    data: list.data(),
    caption: num(limit) && limit > 10 * peak ? 'Log scale: the limit is far above what the model needs.' : undefined,
  };
}

/** B_noise as training went on in the noise trial (gradient statistics) or per loss level (loss curves). */
export function noiseChart(r: StudyRecord): ChartSpec | undefined {
  const est = r.recommendation?.noiseScale ?? r.noiseScale;
  const hist = (est?.history ?? []).filter((h) => num(h.samples) && num(h.value));
  if (!est || hist.length === 0) return undefined;
  const how = est.source === 'loss-curves' ? 'fitted to loss curves' : 'measured from gradient statistics';
  return {
    id: 'noise',
    title: `Gradient noise scale B_noise as training goes on (${how})`,
    xLabel: `samples${num(est.historyBatchSize) ? ` (run at batch ${est.historyBatchSize})` : ''}`,
    yLabel: 'B_noise',
    series: [{ label: 'B_noise', color: COLOR.noise, style: 'points' }],
    data: alignSeries([hist.map((h) => [h.samples, h.value] as const)]),
    whiskers: hist.filter((h) => num(h.low) && num(h.high)).map((h) => ({ color: COLOR.noise, x: h.samples, low: h.low as number, high: h.high as number })),
    whiskerLabel: '90% interval',
  };
}
