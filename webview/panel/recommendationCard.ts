// The recommendation: the pick and its learning rate, the predicted speed-up over the config's
// current batch size, the alternatives other tools would pick, and why (noise scale with its
// interval, the throughput and memory that decided it, the tuner's notes); Apply writes it.
import type { BatchScheduleSpec, BatchSizeChoice, Recommendation } from '../../src/core/types';
import { codicon, h, replaceChildren } from '../shared/dom';
import type { Button, Checkbox } from '../shared/elements';
import { formatBytes, formatCount, formatDuration, formatLearningRate, formatLoss, formatSpeedup, formatThroughput } from '../shared/format';
import { describeSchedule } from './scheduleSpec';

export interface ApplyRequest {
  batchSize: number;
  learningRate?: number;
  schedule?: BatchScheduleSpec;
}

export class RecommendationCard {
  readonly element: HTMLElement;
  private readonly body: HTMLDivElement;
  private readonly applyButton: Button;
  private readonly applyLr: Checkbox;
  private readonly applySchedule: Checkbox;
  private readonly status: HTMLDivElement;
  private rec: Recommendation | undefined;
  private trusted = false;
  private altButtons: Button[] = [];

  constructor(
    applyLearningRate: boolean,
    private readonly onApply: (req: ApplyRequest) => void,
    onApplyLrChange: (checked: boolean) => void,
  ) {
    this.body = h('div', { class: 'rec-body' });
    this.applyButton = document.createElement('vscode-button');
    this.applyButton.setAttribute('icon', 'check');
    this.applyButton.textContent = 'Apply to config';
    this.applyButton.addEventListener('click', () => this.apply());
    this.applyLr = document.createElement('vscode-checkbox');
    this.applyLr.setAttribute('label', 'Also set the learning rate');
    this.applyLr.checked = applyLearningRate;
    this.applyLr.addEventListener('change', () => onApplyLrChange(this.applyLr.checked));
    this.applySchedule = document.createElement('vscode-checkbox');
    this.applySchedule.setAttribute('label', 'Also write the batch-size schedule');
    this.applySchedule.hidden = true;
    this.status = h('div', { class: 'rec-status', role: 'status', 'aria-live': 'polite' });
    this.element = h(
      'section',
      { class: 'card rec-card', 'aria-label': 'Recommendation', hidden: true },
      this.body,
      h('div', { class: 'rec-actions' }, this.applyButton, this.applyLr, this.applySchedule),
      this.status,
    );
  }

  get recommendation(): Recommendation | undefined {
    return this.rec;
  }

  setTrusted(trusted: boolean): void {
    this.trusted = trusted;
    for (const b of this.altButtons) b.disabled = !trusted;
    this.applyButton.disabled = !trusted;
    this.applyButton.title = trusted ? 'Write this batch size into the config file' : 'Applying edits is disabled in an untrusted workspace';
  }

  /** The host refused or failed the edit (its message shows in the error banner). */
  applyFailed(): void {
    if (this.status.textContent === 'Applying…') this.status.textContent = '';
  }

  applied(batchSize: number, learningRate?: number): void {
    this.status.textContent = `Applied: batch size ${batchSize}${learningRate !== undefined ? `, learning rate ${formatLearningRate(learningRate)}` : ''}.`;
  }

  show(rec: Recommendation | undefined): void {
    this.rec = rec;
    this.element.hidden = !rec;
    this.status.textContent = '';
    if (!rec) return;
    this.applySchedule.hidden = !rec.schedule;
    this.altButtons = [];
    replaceChildren(
      this.body,
      headline(rec),
      h(
        'div',
        { class: 'rec-sub' },
        `Predicted time to target: ${formatDuration(rec.predictedTimeToTarget)} (current: ${formatDuration(rec.current.predictedTimeToTarget)}).`,
        rec.batchSize === rec.current.batchSize ? ' The config already uses this batch size.' : '',
      ),
      rec.schedule
        ? h(
            'div',
            { class: 'rec-schedule' },
            codicon('graph-line'),
            ` Schedule: ${rec.schedule.description} — ${describeSchedule(rec.schedule.schedule)}`,
            rec.schedule.speedupVsBestFixed !== undefined ? ` (${formatSpeedup(rec.schedule.speedupVsBestFixed)} vs the best fixed size)` : '',
          )
        : null,
      h(
        'table',
        { class: 'rec-alternatives' },
        h('caption', {}, 'Alternatives'),
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            h('th', { scope: 'col' }, 'Rule'),
            h('th', { scope: 'col' }, 'Batch'),
            h('th', { scope: 'col' }, 'Time to target'),
            h('th', { scope: 'col' }, 'Why'),
            h('td', {}),
          ),
        ),
        h(
          'tbody',
          {},
          this.alternativeRow('Largest that fits', rec.alternatives.largestThatFits),
          this.alternativeRow('Max throughput', rec.alternatives.maxThroughput),
          this.alternativeRow('Most sample-efficient', rec.alternatives.mostSampleEfficient),
        ),
      ),
      h('details', { class: 'rec-why', open: true }, h('summary', {}, 'Why'), h('ul', {}, ...whyLines(rec).map((w) => h('li', {}, w)))),
    );
  }

  /** One alternative, with its own Apply: a person may prefer, say, the largest batch that fits. */
  private alternativeRow(name: string, c: BatchSizeChoice | undefined): HTMLElement | null {
    if (!c) return null;
    const apply = document.createElement('vscode-button');
    apply.setAttribute('secondary', '');
    apply.textContent = 'Apply';
    apply.title = `Write batch size ${c.batchSize} into the config`;
    apply.dataset.testid = `apply-alt-${c.batchSize}`;
    apply.disabled = !this.trusted;
    apply.addEventListener('click', () => {
      if (!apply.disabled) this.apply({ batchSize: c.batchSize, learningRate: c.learningRate });
    });
    this.altButtons.push(apply);
    return h(
      'tr',
      {},
      h('th', { scope: 'row' }, name),
      h('td', { class: 'num' }, String(c.batchSize)),
      h('td', { class: 'num' }, formatDuration(c.predictedTimeToTarget)),
      h('td', {}, c.reason),
      h('td', {}, apply),
    );
  }

  private apply(choice?: { batchSize: number; learningRate: number }): void {
    const rec = this.rec;
    if (!rec) return;
    const pick = choice ?? rec;
    const req: ApplyRequest = { batchSize: pick.batchSize };
    if (this.applyLr.checked) req.learningRate = pick.learningRate;
    // The schedule belongs to the recommendation itself, not to the alternatives.
    if (!choice && rec.schedule && this.applySchedule.checked) req.schedule = rec.schedule.schedule;
    this.status.textContent = 'Applying…';
    this.onApply(req);
  }
}

/** The pick, its learning rate and the predicted speed-up over the config's current batch size. */
function headline(rec: Recommendation): HTMLElement {
  return h(
    'div',
    { class: 'rec-headline' },
    codicon('lightbulb'),
    h('span', { class: 'rec-pick' }, 'Batch size ', h('strong', { 'data-testid': 'rec-batch-size' }, String(rec.batchSize))),
    h('span', { class: 'rec-lr' }, `learning rate ${formatLearningRate(rec.learningRate)}`),
    rec.speedupVsCurrent === undefined
      ? h('span', { class: 'rec-speedup' }, 'no speed-up given: the pick rests on an assumption')
      : h(
          'span',
          { class: rec.speedupVsCurrent > 1.05 ? 'rec-speedup good' : 'rec-speedup' },
          `${formatSpeedup(rec.speedupVsCurrent)} vs current ${rec.current.batchSize}`,
        ),
  );
}

/** Why this pick: the noise scale with its interval, the throughput and memory that decided it, the tuner's notes. */
export function whyLines(rec: Recommendation): string[] {
  const why: string[] = [];
  const n = rec.noiseScale;
  if (n)
    why.push(
      `Gradient noise scale B_noise ≈ ${formatCount(n.value)} (interval ${formatCount(n.low)}–${formatCount(n.high)}): batches much larger than this buy little progress per sample.`,
    );
  const picked = rec.candidates.find((c) => c.batchSize === rec.batchSize);
  if (picked?.samplesPerSecond !== undefined) {
    const iqr = picked.samplesPerSecondIqr ? ` (IQR ${formatCount(picked.samplesPerSecondIqr[0])}–${formatCount(picked.samplesPerSecondIqr[1])})` : '';
    why.push(`Measured ${formatThroughput(picked.samplesPerSecond)}${iqr} at ${rec.batchSize}, peak memory ${formatBytes(picked.peakMemoryBytes)}.`);
  }
  const ev = rec.evidence;
  if (ev.memoryLimitBytes !== undefined) {
    const fit = ev.memoryFit;
    const fitText = fit ? ` (peak ≈ ${formatBytes(fit.a)} + ${formatBytes(fit.b)}·B${fit.r2 !== undefined ? `, R² ${fit.r2.toFixed(2)}` : ''})` : '';
    const largest = ev.predictedMaxFit ? `; largest predicted to fit: ${ev.predictedMaxFit}` : '';
    why.push(`Memory limit ${formatBytes(ev.memoryLimitBytes)}${largest}${fitText}${ev.oomCeiling ? `; out of memory at ${ev.oomCeiling}` : ''}.`);
  }
  why.push(`Learning-rate rule: ${ev.lrRule}${ev.targetLoss !== undefined ? `; target loss ${formatLoss(ev.targetLoss)}` : ''}.`);
  return [...why, ...ev.notes];
}
