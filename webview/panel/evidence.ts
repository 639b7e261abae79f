// What the recommendation card says besides its headline, as text with a tag per number
// (measured / fitted / assumed, and `extrapolated` for sizes not run or memory predicted beyond the
// profiled sizes). Pure: unit-tested in node; recommendationCard.ts turns it into elements.
import type { Basis, BatchSizePlan, CandidateEvidence, Recommendation } from '../../src/core/types';
import { formatCount as compactCount } from '../../src/core/headline';
import { formatBytes, formatCount, formatDuration, formatLearningRate, formatLoss, formatThroughput } from '../shared/format';

export type Tag = Basis | 'extrapolated';

/** One statement of the card with the tags of its numbers. */
export interface EvidenceLine {
  text: string;
  tags: Tag[];
}

/** What lies beyond the measurements: sizes never run, and memory predicted past the largest profiled batch. */
export interface Extrapolation {
  /** Largest batch size whose peak memory was measured. */
  largestProfiled?: number;
  /** Candidate sizes whose numbers are predicted only (no trial ran them). */
  predictedSizes: number[];
  /** The memory fit's "largest that fits" lies beyond the profiled sizes. */
  memoryBeyondProfiled: boolean;
}

const measured = (c: CandidateEvidence) => c.status !== 'predicted' && c.status !== 'skipped';

export function extrapolation(rec: Recommendation): Extrapolation {
  const profiled = rec.candidates.filter((c) => measured(c) && c.peakMemoryBytes !== undefined).map((c) => c.batchSize);
  const largestProfiled = profiled.length > 0 ? Math.max(...profiled) : undefined;
  const predictedSizes = rec.candidates.filter((c) => !measured(c)).map((c) => c.batchSize);
  const maxFit = rec.evidence.predictedMaxFit;
  return { largestProfiled, predictedSizes, memoryBeyondProfiled: maxFit !== undefined && (largestProfiled === undefined || maxFit > largestProfiled) };
}

/** True when a batch size's numbers are predictions only (no trial ran it). */
export function isExtrapolatedSize(rec: Recommendation, batchSize: number): boolean {
  const c = rec.candidates.find((x) => x.batchSize === batchSize);
  return c !== undefined && !measured(c);
}

function noiseLine(rec: Recommendation): EvidenceLine {
  const n = rec.noiseScale;
  if (!n) {
    const assumed = rec.evidence.assumedNoiseScale;
    return {
      text: `Gradient noise scale: not measured${assumed !== undefined ? `; B_noise = ${formatCount(assumed)} assumed (the current batch size)` : ''}.`,
      tags: ['assumed'],
    };
  }
  const how = n.source === 'loss-curves' ? 'fitted to the loss curves, S(B) = S_min (1 + B_noise/B)' : 'from gradient statistics';
  return {
    text: `Gradient noise scale B_noise ≈ ${formatCount(n.value)} (90% interval ${formatCount(n.low)}–${formatCount(n.high)}), ${how}: batches much larger buy little progress per sample.`,
    tags: [n.source === 'loss-curves' ? 'fitted' : 'measured'],
  };
}

function throughputLines(rec: Recommendation): EvidenceLine[] {
  const out: EvidenceLine[] = [];
  const picked = rec.candidates.find((c) => c.batchSize === rec.batchSize);
  if (picked?.samplesPerSecond !== undefined && measured(picked)) {
    const iqr = picked.samplesPerSecondIqr ? ` (IQR ${formatCount(picked.samplesPerSecondIqr[0])}–${formatCount(picked.samplesPerSecondIqr[1])})` : '';
    out.push({
      text: `At ${rec.batchSize}: ${formatThroughput(picked.samplesPerSecond)}${iqr}, peak memory ${formatBytes(picked.peakMemoryBytes)}.`,
      tags: ['measured'],
    });
  }
  const m = rec.evidence.throughputModel;
  if (m) {
    const quad = m.terms === 'quadratic' ? ` + ${m.quadraticSeconds.toExponential(2)} s·B²` : '';
    out.push({
      text: `Step time t(B) = ${(m.overheadSeconds * 1000).toFixed(2)} ms + ${(m.perSampleSeconds * 1e6).toFixed(1)} µs·B${quad} (${m.observations} windows, residual ${(m.residualScale * 100).toFixed(1)}%, throughput ${m.shape}).`,
      tags: ['fitted'],
    });
  }
  return out;
}

function memoryLines(rec: Recommendation): EvidenceLine[] {
  const ev = rec.evidence;
  if (ev.memoryLimitBytes === undefined) return [];
  const x = extrapolation(rec);
  const out: EvidenceLine[] = [];
  const fit = ev.memoryFit
    ? ` Fit: peak ≈ ${formatBytes(ev.memoryFit.a)} + ${formatBytes(ev.memoryFit.b)}·B${ev.memoryFit.r2 !== undefined ? ` (R² ${ev.memoryFit.r2.toFixed(2)})` : ''}.`
    : '';
  out.push({ text: `Memory limit ${formatBytes(ev.memoryLimitBytes)}.${fit}`, tags: ev.memoryFit ? ['fitted'] : [] });
  if (ev.predictedMaxFit !== undefined) {
    const beyond = x.memoryBeyondProfiled && x.largestProfiled !== undefined ? `, beyond the largest profiled batch ${x.largestProfiled}` : '';
    out.push({
      text: `Largest batch predicted to fit: ${formatCount(ev.predictedMaxFit)}${beyond}.`,
      tags: x.memoryBeyondProfiled ? ['fitted', 'extrapolated'] : ['fitted'],
    });
  }
  const check = ev.memoryCheck;
  if (check) {
    const result =
      check.measuredPeakBytes !== undefined
        ? `measured ${formatBytes(check.measuredPeakBytes)} against ${formatBytes(check.predictedPeakBytes)} predicted${check.relativeError !== undefined ? ` (error ${(check.relativeError * 100).toFixed(1)}%)` : ''}`
        : `${check.status} (predicted ${formatBytes(check.predictedPeakBytes)})`;
    out.push({ text: `Memory check at ${check.batchSize}: ${result}.`, tags: ['measured'] });
  }
  if (ev.oomCeiling) out.push({ text: `Out of memory at ${ev.oomCeiling}.`, tags: ['measured'] });
  return out;
}

/** The evidence behind the pick, one statement each, with the tags of its numbers. */
export function evidenceLines(rec: Recommendation): EvidenceLine[] {
  const ev = rec.evidence;
  const lines: EvidenceLine[] = [noiseLine(rec), ...throughputLines(rec), ...memoryLines(rec)];
  if (ev.startupSeconds !== undefined) lines.push({ text: `Trial start-up: ${formatDuration(ev.startupSeconds)} per trial.`, tags: ['measured'] });
  if (ev.verdict) lines.push({ text: `Decided by the ${ev.verdict.by}: ${ev.verdict.rule}`, tags: [] });
  lines.push({
    text: `Learning-rate rule: ${ev.lrRule}${ev.targetLoss !== undefined ? `; target loss ${formatLoss(ev.targetLoss)} (${ev.lossSource ?? 'validation'} loss)` : ''}.`,
    tags: [],
  });
  if (rec.band?.note) lines.push({ text: `Band: ${rec.band.note}`, tags: [] });
  return [...lines, ...ev.notes.map((text) => ({ text, tags: [] as Tag[] }))];
}

/**
 * How a predicted time to target T(B) = S_min (B + B_noise)/X(B) was obtained: fitted, unless
 * anything it is computed from (throughput, noise scale, S_min) was assumed.
 */
export function timeBasis(rec: Recommendation): Tag {
  const b = rec.basis as Recommendation['basis'] | undefined;
  return b && (b.throughput === 'assumed' || b.noiseScale === 'assumed' || b.convergence === 'assumed') ? 'assumed' : 'fitted';
}

/** The predicted time to target with its basis. */
export function timeToTargetLine(rec: Recommendation): EvidenceLine | undefined {
  if (rec.predictedTimeToTarget === undefined) return undefined;
  const current =
    rec.current.predictedTimeToTarget !== undefined ? ` (current ${rec.current.batchSize}: ${formatDuration(rec.current.predictedTimeToTarget)})` : '';
  return { text: `Predicted time to target ${formatDuration(rec.predictedTimeToTarget)}${current}`, tags: [timeBasis(rec)] };
}

/** A plan's stages as table rows. */
export function planRows(plan: BatchSizePlan): Array<{ from: string; batchSize: number; learningRate: string }> {
  return plan.stages.map((s, i) => ({
    from: i === 0 ? 'start' : `${compactCount(s.fromSamples)} samples`,
    batchSize: s.batchSize,
    learningRate: formatLearningRate(s.learningRate),
  }));
}

/** "2.1k steps, 4 min 10 s — a fixed 128: 2.8k steps, 5 min 30 s" */
export function planComparison(plan: BatchSizePlan): string | undefined {
  const part = (steps?: number, seconds?: number) =>
    [steps !== undefined ? `${compactCount(Math.round(steps))} steps` : '', seconds !== undefined ? formatDuration(seconds) : ''].filter(Boolean).join(', ');
  const mine = part(plan.predictedSteps, plan.predictedSeconds);
  const fixed = part(plan.bestFixed.predictedSteps, plan.bestFixed.predictedSeconds);
  if (!mine && !fixed) return undefined;
  return `Predicted over ${compactCount(plan.horizonSamples)} samples: ${mine || '–'}; a fixed ${plan.bestFixed.batchSize}: ${fixed || '–'}.`;
}
