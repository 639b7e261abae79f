// The recommendation's evidence in sentences, shared by the CLI and the HTML report so both say the
// same thing. Every number carries how it was obtained: measured (read off real trials), fitted (a
// model fitted to real trials) or assumed (a default, never shown as a measurement), and a number
// the model extrapolates beyond the measured batch sizes says so. Plain strings: the report escapes.
import type { CandidateEvidence, CriticalBatchPoint, Parallelism, Recommendation } from '../types';
import { formatBytes, formatCompact, formatNumber, formatSeconds } from './format';
import { assumedQuantities, formatSpeedupFactor } from '../headline';

/** The batch sizes throughput was measured at (profile trials), smallest and largest. */
export function measuredRange(rec: Recommendation): { low: number; high: number } | undefined {
  const sizes = (rec.candidates ?? []).filter((c) => c.samplesPerSecond !== undefined).map((c) => c.batchSize);
  return sizes.length > 0 ? { low: Math.min(...sizes), high: Math.max(...sizes) } : undefined;
}

/** A size outside the measured range: what is said about it comes from the model alone. */
export function isExtrapolated(rec: Recommendation, batchSize: number): boolean {
  const r = measuredRange(rec);
  return r !== undefined && (batchSize < r.low || batchSize > r.high);
}

/** "5.1k (fit 5.0k ±4%)", "fit 6.2k ±9%" (not measured: check isExtrapolated), "5.1k" (no model). */
export function throughputCell(c: CandidateEvidence): string {
  const measured = c.samplesPerSecond !== undefined ? formatCompact(c.samplesPerSecond) : undefined;
  const fit = c.fittedSamplesPerSecond;
  if (fit === undefined) return measured ?? '–';
  const ci = c.fittedSamplesPerSecondInterval;
  const pm = ci && fit > 0 ? ` ±${Math.round(((ci[1] - ci[0]) / 2 / fit) * 100)}%` : '';
  const fitText = `fit ${formatCompact(fit)}${pm}`;
  return measured !== undefined ? `${measured} (${fitText})` : fitText;
}

/** "learning rate 0.002 (sqrt rule from 0.001 at 32)" */
export function learningRateText(rec: Recommendation): string {
  const lr = `learning rate ${formatNumber(rec.learningRate, 4)}`;
  if (rec.batchSize === rec.current.batchSize) return lr;
  return `${lr} (${rec.evidence.lrRule} rule from ${formatNumber(rec.current.learningRate, 4)} at ${rec.current.batchSize})`;
}

/** The speed-up against the current batch size, measured and predicted side by side; none when anything is assumed. */
export function speedupText(rec: Recommendation): string {
  const cur = rec.current.batchSize;
  const assumed = assumedQuantities(rec);
  if (assumed.length > 0)
    return `No speed-up is given against the current ${cur}: the ${assumed.join(' and ')} ${assumed.length > 1 ? 'were' : 'was'} assumed, not measured.`;
  if (rec.batchSize === cur) return `The current batch size ${cur} is already the best found.`;
  const e = rec.evidence;
  const parts: string[] = [];
  if (e.measuredSpeedupVsCurrent !== undefined)
    parts.push(`measured ${formatSpeedupFactor(e.measuredSpeedupVsCurrent)} (the convergence runs' steps to the target, timed by the step-time model)`);
  if (e.predictedSpeedupVsCurrent !== undefined) parts.push(`the fitted model predicts ${formatSpeedupFactor(e.predictedSpeedupVsCurrent)}`);
  const times =
    rec.predictedTimeToTarget !== undefined
      ? `; predicted time to the target ${formatSeconds(rec.current.predictedTimeToTarget)} at ${cur} -> ${formatSeconds(rec.predictedTimeToTarget)} (fitted)`
      : '';
  if (parts.length === 0) return `No speed-up against the current ${cur} could be computed (the model does not reach ${cur}).`;
  return `Against the current ${cur}: ${parts.join('; ')}${times}.`;
}

/** B_noise with how it was obtained (a clause: callers name the quantity). */
export function noiseScaleText(rec: Recommendation): string {
  const n = rec.noiseScale;
  if (!n) {
    const v = rec.evidence.assumedNoiseScale;
    return `B_noise = ${formatNumber(v)} assumed (the current batch size): it could be neither measured nor fitted`;
  }
  const how =
    n.source === 'loss-curves' ? 'fitted to the loss curves of runs at several batch sizes, S(B) = S_min (1 + B_noise/B)' : 'measured from gradient statistics';
  const x = rec.evidence.noiseScaleCrossCheck;
  const cross = x
    ? `; cross-check: ${x.source === 'loss-curves' ? 'loss curves give' : 'gradient statistics give'} ${formatNumber(x.value)} (${formatNumber(x.low)}–${formatNumber(x.high)})`
    : '';
  return `B_noise ≈ ${formatNumber(n.value)} (90% interval ${formatNumber(n.low)}–${formatNumber(n.high)}), ${how}${cross}`;
}

/** The step-time model behind every throughput number, or why there is none (a clause). */
export function throughputText(rec: Recommendation): string {
  const m = rec.evidence.throughputModel;
  if (!m) {
    const r = measuredRange(rec);
    return r
      ? `measured at ${r.low}–${r.high} only, no model fitted: interpolated between the measured sizes, nothing predicted outside them`
      : 'nothing measured';
  }
  const quad = m.quadraticSeconds ? ` + ${formatNumber(m.quadraticSeconds * 1e3)} ms·B²` : '';
  const drift = m.roundDrift !== undefined ? `; the machine drifted ${Math.round(Math.abs(m.roundDrift - 1) * 100)}% between the two profile rounds` : '';
  return `step time t(B) = ${formatNumber(m.overheadSeconds * 1e3)} ms + ${formatNumber(m.perSampleSeconds * 1e3)} ms·B${quad} fitted to ${m.observations} measured windows (residual scale ${Math.round(m.residualScale * 100)}%; throughput ${m.shape} with B)${drift}`;
}

/** The near-optimal band, which of its sizes are extrapolated, and why it is what it is. */
export function bandText(rec: Recommendation): string {
  const b = rec.band as Recommendation['band'] | undefined; // absent in studies from before issue 10
  if (!b) return 'Near-optimal band: not recorded (a study from before issue 10).';
  const extra = b.sizes.filter((s) => isExtrapolated(rec, s));
  const ext = extra.length > 0 ? `; ${extra.join(', ')} ${extra.length > 1 ? 'are' : 'is'} extrapolated by the model beyond the measured sizes` : '';
  const note = b.note ? ` (${b.note})` : '';
  return `Near-optimal band (${b.basis}): ${b.sizes.join(', ')}, within ${Math.round(b.tolerance * 100)}% of the best predicted time given the uncertainty${ext}${note}.`;
}

/** What the time to the target rests on (a clause). */
export function convergenceText(rec: Recommendation): string {
  const e = rec.evidence;
  const loss =
    e.targetLoss !== undefined ? ` ${e.lossSource === 'training' ? 'smoothed training' : 'validation'} loss ${formatNumber(e.targetLoss, 4)}` : ' loss';
  const pick = (rec.candidates ?? []).find((c) => c.batchSize === rec.batchSize);
  switch (rec.basis?.convergence) {
    case 'measured':
      return `the convergence runs at ${rec.batchSize} reached the target${loss}${pick?.measuredStepsToTarget !== undefined ? ` in ${formatNumber(pick.measuredStepsToTarget)} steps` : ''}`;
    case 'fitted':
      return `the runs at the current ${rec.current.batchSize} reached the target${loss}; other sizes' times are predicted by S(B) = S_min (1 + B_noise/B)`;
    case 'assumed':
      return 'no run reached a target loss, so no time to target is known';
    default:
      return 'not recorded (a study from before issue 10)';
  }
}

/** Who decided, in one sentence (the rule itself is in evidence.verdict.rule). */
export function verdictText(rec: Recommendation): string {
  const v = rec.evidence.verdict;
  const model = rec.evidence.goodputPick;
  if (!v) return model !== undefined ? `Decided by the model (its pick: ${model}).` : 'Decided by the model.';
  const measured =
    v.measuredPick !== undefined ? `; fastest measured in the convergence runs: ${v.measuredPick}` : '; no convergence run reached the target at every seed';
  return `Decided by the ${v.by === 'measurement' ? 'measurement' : 'model'} (model's pick: ${formatNumber(model)}${measured}).`;
}

/** The fit a + bB, the limit, the largest predicted to fit and whether a trial checked it. */
export function memoryText(rec: Recommendation): string | undefined {
  const e = rec.evidence;
  const parts: string[] = [];
  if (e.memoryFit)
    parts.push(
      `peak(B) ≈ ${formatBytes(e.memoryFit.a)} + ${formatBytes(e.memoryFit.b)}·B (fitted${e.memoryFit.r2 !== undefined ? `, r² ${Number(e.memoryFit.r2).toFixed(3)}` : ''})`,
    );
  if (e.memoryLimitBytes !== undefined) parts.push(`limit ${formatBytes(e.memoryLimitBytes)}`);
  if (e.predictedMaxFit !== undefined) parts.push(`largest predicted to fit ${e.predictedMaxFit} (fitted, capped by the dataset and the search range)`);
  const c = e.memoryCheck;
  if (c) {
    const err = c.relativeError !== undefined ? `, error ${formatNumber(c.relativeError * 100, 2)}%` : '';
    parts.push(
      `checked by a trial at ${c.batchSize}: ${c.status}, predicted ${formatBytes(c.predictedPeakBytes)}, measured ${formatBytes(c.measuredPeakBytes)}${err}`,
    );
  }
  if (e.oomCeiling !== undefined) parts.push(`out of memory at ${e.oomCeiling} (measured)`);
  return parts.length > 0 ? `Memory: ${parts.join('; ')}.` : undefined;
}

/** "64 until 120k samples, then 128 ..." with its predicted steps and time against the best fixed size. */
export function planText(rec: Recommendation): string | undefined {
  const p = rec.plan;
  if (!p) return undefined;
  const pred = (steps?: number, secs?: number) =>
    [steps !== undefined ? `${formatCompact(steps)} steps` : '', secs !== undefined ? formatSeconds(secs) : ''].filter(Boolean).join(', ');
  const mine = pred(p.predictedSteps, p.predictedSeconds);
  const fixed = pred(p.bestFixed.predictedSteps, p.bestFixed.predictedSeconds);
  const vs = p.kind === 'warmup' ? ` against a fixed ${p.bestFixed.batchSize}${fixed ? ` (${fixed})` : ''}` : '';
  const speed =
    p.kind === 'warmup' && p.speedupVsBestFixed !== undefined && p.basis !== 'assumed' ? `, ${formatSpeedupFactor(p.speedupVsBestFixed)} faster` : '';
  const head = p.kind === 'warmup' ? 'batch warm-up' : 'one batch size for the whole run';
  return `Plan over ${formatCompact(p.horizonSamples)} samples (${head}, ${p.basis}): ${p.description}${mine ? `; predicted ${mine}${vs}${speed}` : ''}.`;
}

/** "at 12k samples (loss 0.62): CBS 64 (32–128), B_noise 40 (30–55)" */
export function criticalBatchText(c: CriticalBatchPoint): string {
  const n = c.noiseScale ? `, B_noise ${formatNumber(c.noiseScale.value)} (${formatNumber(c.noiseScale.low)}–${formatNumber(c.noiseScale.high)})` : '';
  return `at ${formatCompact(c.samples)} samples (loss ${formatNumber(c.loss, 3)}): critical batch size ${c.atLeast ? '≥' : ''}${c.value} (${c.low}–${c.high}, ${c.basis}${c.atLeast ? '; the largest size tried still kept up' : ''})${n}`;
}

/** "128 = 32 per micro-batch x 2 accumulation steps x 2 workers" */
export function parallelismText(p: Parallelism): string {
  const w = p.worldSize === 1 ? '1 worker' : `${p.worldSize} workers`;
  const acc = p.accumulationSteps === 1 ? '1 step (no accumulation)' : `${p.accumulationSteps} accumulation steps`;
  return `global batch ${p.globalBatchSize} = ${p.microBatchSize} per micro-batch x ${acc} x ${w}${p.reason ? ` (${p.reason})` : ''}`;
}
