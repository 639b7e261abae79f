// The report's evidence per batch size: one row per candidate, each column headed with how its
// numbers were obtained; sizes in the near-optimal band marked, extrapolated values set apart.
import { isFiniteNumber as num } from '../guards';
import type { CandidateEvidence, Recommendation } from '../types';
import { escaped, type SafeHtml } from './escape';
import { formatBytes, formatNumber, formatSeconds } from './format';
import { table, type Column, type Row } from './markup';
import { predictedLabel } from './recommendationSection';
import { isExtrapolated } from './recommendationText';

const STATUS = new Map<unknown, string>([
  ['skipped', 'not run'],
  ['predicted', 'not run (predicted)'],
]);

function range(r: readonly [number, number] | undefined): string {
  return r ? ` (${formatNumber(r[0])}–${formatNumber(r[1])})` : '';
}

function memoryCell(rec: Recommendation, c: CandidateEvidence): string {
  if (c.peakMemoryBytes !== undefined) return formatBytes(c.peakMemoryBytes);
  const fit = rec.evidence.memoryFit;
  return fit && num(fit.a) && num(fit.b) ? `~${formatBytes(fit.a + fit.b * c.batchSize)} (fit)` : '–';
}

function timeCell(c: CandidateEvidence): string {
  const rel = num(c.relativeTimeToTarget) ? `${c.relativeTimeToTarget.toFixed(2)}x best` : '';
  const abs = c.predictedTimeToTarget !== undefined ? formatSeconds(c.predictedTimeToTarget) : '';
  return [abs, rel].filter(Boolean).join(', ') || '–';
}

function lossCell(c: CandidateEvidence): string {
  if (c.diverged) return `diverged: ${c.diverged}`;
  if (c.measuredLoss === undefined) return '–';
  return `${formatNumber(c.measuredLoss, 4)}${c.measuredLossSpread ? ` ±${formatNumber(c.measuredLossSpread / 2, 2)}` : ''}`;
}

function marks(rec: Recommendation, c: CandidateEvidence): string {
  return [c.batchSize === rec.batchSize ? '◀ pick' : '', c.batchSize === rec.current.batchSize ? '(current)' : ''].filter(Boolean).join(' ');
}

function row(rec: Recommendation, c: CandidateEvidence): Row {
  const ext = isExtrapolated(rec, c.batchSize);
  const cells = [
    escaped`${c.batchSize}${ext ? '*' : ''} <span class="marks">${marks(rec, c)}</span>`,
    STATUS.get(c.status) ?? c.status,
    c.samplesPerSecond !== undefined ? `${formatNumber(c.samplesPerSecond)}${range(c.samplesPerSecondIqr)}` : '–',
    c.fittedSamplesPerSecond !== undefined ? `${formatNumber(c.fittedSamplesPerSecond)}${range(c.fittedSamplesPerSecondInterval)}` : '–',
    memoryCell(rec, c),
    timeCell(c),
    c.inBand ? 'yes' : '',
    lossCell(c),
    c.measuredStepsToTarget !== undefined ? formatNumber(c.measuredStepsToTarget) : '–',
    formatSeconds(c.measuredTimeToTarget),
    formatNumber(c.learningRate, 4),
  ];
  return { cells, pick: c.batchSize === rec.batchSize, inBand: c.inBand === true, extrapolated: ext ? [3, 4, 5] : [] };
}

export function candidatesSection(rec: Recommendation): SafeHtml {
  const band = rec.band as Recommendation['band'] | undefined; // absent in studies from before issue 10
  const columns: Column[] = [
    { head: 'batch size', text: true },
    { head: 'status', text: true },
    { head: 'samples/s', sub: 'measured median (IQR)' },
    { head: 'samples/s', sub: 'fitted model (90%)' },
    { head: 'peak memory', sub: 'measured, or fit' },
    { head: 'time to target', sub: predictedLabel(rec) },
    { head: 'in band', sub: band ? `within ${Math.round(band.tolerance * 100)}%` : '' },
    { head: 'loss reached', sub: 'measured (convergence runs)' },
    { head: 'steps to target', sub: 'measured' },
    { head: 'wall time to target', sub: 'measured' },
    { head: 'learning rate', sub: 'by the lr rule' },
  ];
  return escaped`<h2>Evidence per batch size</h2>
<p class="muted">* and italic: not measured; the fitted models extrapolate beyond the measured batch sizes. Green edge: in the near-optimal band.</p>
${table(
  columns,
  (rec.candidates ?? []).map((c) => row(rec, c)),
)}`;
}
