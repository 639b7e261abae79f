// The report's view of the whole run (issues 11 and 13): the batch-size plan with its stages and
// its prediction against the best fixed size, the critical batch size measured along the run, the
// pick as micro-batch x accumulation x workers, and a proposed dynamic schedule.
import type { CriticalBatchPoint, Recommendation } from '../types';
import { escaped, type SafeHtml } from './escape';
import { formatCompact, formatNumber } from './format';
import { basisTag, table } from './markup';
import { parallelismText, planText } from './recommendationText';

function planStages(rec: Recommendation): SafeHtml | string {
  const p = rec.plan;
  if (!p || (p.stages ?? []).length === 0) return '';
  return table(
    [{ head: 'from sample', text: true }, { head: 'batch size' }, { head: 'learning rate', sub: 'by the lr rule' }],
    p.stages.map((s) => ({ cells: [formatCompact(s.fromSamples), s.batchSize, formatNumber(s.learningRate, 4)] })),
    true,
  );
}

function branches(c: CriticalBatchPoint): string {
  return (c.branches ?? []).map((b) => `${b.batchSize}: ${formatNumber(b.relativeLoss, 4)}${b.seeds > 1 ? ` (${b.seeds} seeds)` : ''}`).join(', ');
}

function criticalBatchTable(points: readonly CriticalBatchPoint[]): SafeHtml {
  const rows = points.map((c) => ({
    cells: [
      formatCompact(c.samples),
      c.step !== undefined ? formatCompact(c.step) : '–',
      formatNumber(c.loss, 4),
      escaped`${c.value} (${c.low}–${c.high}) ${basisTag(c.basis)}`,
      c.noiseScale ? `${formatNumber(c.noiseScale.value)} (${formatNumber(c.noiseScale.low)}–${formatNumber(c.noiseScale.high)})` : '–',
      branches(c),
      c.checkpointSource === 'given' ? 'your checkpoint' : 'trained by the study',
    ],
  }));
  return table(
    [
      { head: 'samples', text: true },
      { head: 'step' },
      { head: 'loss' },
      { head: 'critical batch size', sub: 'interval over seeds' },
      { head: 'B_noise', sub: 'measured (90%)' },
      { head: 'branches', sub: 'batch: loss relative to k = 1', text: true },
      { head: 'checkpoint', text: true },
    ],
    rows,
  );
}

export function planSection(rec: Recommendation): SafeHtml | string {
  const cbs = rec.criticalBatchSize ?? [];
  const plan = planText(rec);
  const par = rec.parallelism;
  if (!plan && cbs.length === 0 && !par && !rec.schedule) return '';
  const first = cbs[0];
  return escaped`<h2>Over the whole run</h2>
${plan ? escaped`<p>${rec.plan ? basisTag(rec.plan.basis) : ''} ${plan}</p>${planStages(rec)}` : ''}
${cbs.length > 0 ? escaped`<h3>Critical batch size along the run</h3><p class="muted">Tolerance ${formatNumber((first.tolerance ?? NaN) * 100, 2)}% of the k = 1 branch's loss; ${first.method}.</p>${criticalBatchTable(cbs)}` : ''}
${par ? escaped`<h3>Parallelism</h3><p>${parallelismText(par)}.</p>` : ''}
${rec.schedule ? escaped`<h3>Dynamic batching</h3><p>${rec.schedule.description}${rec.schedule.speedupVsBestFixed !== undefined ? ` (${formatNumber(rec.schedule.speedupVsBestFixed, 3)}x against the best fixed size, predicted)` : ''}.</p>` : ''}`;
}
