// The recommendation: one headline (core/headline.ts, the same words as CodeLens, the sidebar and
// the CLI), what it rests on with a tag per number (measured / fitted / assumed / extrapolated),
// what could not be determined, the split into micro-batch x accumulation x workers, the plan over
// the run with its stages, the study's state, the alternatives and the evidence; Apply writes the
// pick, Apply plan the plan's batch_schedule.
import { warmupPlan, warmupPlanChanges } from '../../src/core/headline';
import type { BatchScheduleSpec, BatchSizeChoice, Recommendation } from '../../src/core/types';
import type { PanelStudyInfo } from '../../src/core/webviewProtocol';
import { codicon, h, replaceChildren } from '../shared/dom';
import type { Button, Checkbox } from '../shared/elements';
import { formatDuration, formatLearningRate, formatSpeedup } from '../shared/format';
import { headlineElement, tag } from '../shared/tags';
import { basisRow, evidenceDetails, parallelismRow, planSection, studyRow, subLine, undeterminedList } from './cardSections';
import { isExtrapolatedSize, timeBasis } from './evidence';
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

  show(rec: Recommendation | undefined, study?: PanelStudyInfo): void {
    this.rec = rec;
    this.element.hidden = !rec && !study;
    this.status.textContent = '';
    this.altButtons = [];
    if (!rec) {
      // A study without a recommendation (interrupted, failed, stopped early) still says so.
      replaceChildren(this.body, studyRow(study));
      this.applyButton.hidden = true;
      this.applyLr.hidden = true;
      this.applySchedule.hidden = true;
      return;
    }
    this.applyButton.hidden = false;
    this.applyButton.textContent = warmupPlan(rec) ? `Apply fixed ${rec.batchSize}` : 'Apply to config';
    this.applyLr.hidden = false;
    this.applySchedule.hidden = !rec.schedule || !!warmupPlan(rec);
    replaceChildren(
      this.body,
      headlineElement(rec),
      subLine(rec),
      basisRow(rec),
      undeterminedList(rec),
      parallelismRow(rec),
      planSection(rec, this.planButton(rec)),
      studyRow(study),
      !warmupPlan(rec) && rec.schedule ? legacySchedule(rec.schedule) : null,
      this.alternatives(rec),
      evidenceDetails(rec),
    );
    this.setTrusted(this.trusted);
  }

  /** "Apply plan": what core's warmupPlanChanges says a plan writes (the learning rate when the box is ticked). */
  private planButton(rec: Recommendation): Button | null {
    const plan = warmupPlanChanges(rec);
    if (!plan) return null;
    const b = document.createElement('vscode-button');
    b.setAttribute('icon', 'check-all');
    b.textContent = 'Apply plan';
    b.title = `Write batch size ${plan.batchSize} and this batch_schedule into the config`;
    b.dataset.testid = 'apply-plan';
    b.addEventListener('click', () => {
      if (b.disabled) return;
      const req = warmupPlanChanges(rec, this.applyLr.checked);
      if (!req) return;
      this.status.textContent = 'Applying…';
      this.onApply(req);
    });
    this.altButtons.push(b);
    return b;
  }

  private alternatives(rec: Recommendation): HTMLElement {
    const a = rec.alternatives;
    // A column of "–" says nothing: the times are shown only when some alternative has one.
    const timed = [a.largestThatFits, a.maxThroughput, a.mostSampleEfficient].some((c) => c?.predictedTimeToTarget !== undefined);
    return h(
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
          timed ? h('th', { scope: 'col' }, 'Time to target') : null,
          h('th', { scope: 'col' }, 'Why'),
          h('td', {}),
        ),
      ),
      h(
        'tbody',
        {},
        this.alternativeRow(rec, timed, 'Largest that fits', a.largestThatFits),
        this.alternativeRow(rec, timed, 'Max throughput', a.maxThroughput),
        this.alternativeRow(rec, timed, 'Most sample-efficient', a.mostSampleEfficient),
      ),
    );
  }

  /** One alternative, with its own Apply: a person may prefer, say, the largest batch that fits. */
  private alternativeRow(rec: Recommendation, timed: boolean, name: string, c: BatchSizeChoice | undefined): HTMLElement | null {
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
      h('td', { class: 'num' }, String(c.batchSize), isExtrapolatedSize(rec, c.batchSize) ? [' ', tag('extrapolated')] : null),
      timed
        ? h('td', { class: 'num' }, formatDuration(c.predictedTimeToTarget), c.predictedTimeToTarget !== undefined ? [' ', tag(timeBasis(rec))] : null)
        : null,
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

/** A schedule proposed by a study from before the plan (issue 6): its description and speed-up. */
function legacySchedule(sched: NonNullable<Recommendation['schedule']>): HTMLElement {
  return h(
    'div',
    { class: 'rec-schedule' },
    codicon('graph-line'),
    ` Schedule: ${sched.description} — ${describeSchedule(sched.schedule)}`,
    sched.speedupVsBestFixed !== undefined ? ` (${formatSpeedup(sched.speedupVsBestFixed)} vs the best fixed size)` : '',
  );
}
