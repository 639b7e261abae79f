// The trials of the study, newest last, each with a status badge and what it measured.
import type { TrialStatus, TrialSummary } from '../../src/core/types';
import { codicon, h } from '../shared/dom';
import { formatBytes, formatDuration, formatLearningRate, formatLoss, formatThroughput } from '../shared/format';
import { tag } from '../shared/tags';

const STATUS: Record<TrialStatus | 'running', { icon: string; text: string; cls: string }> = {
  running: { icon: 'loading', text: 'running', cls: 'status-running' },
  ok: { icon: 'pass', text: 'ok', cls: 'status-ok' },
  oom: { icon: 'error', text: 'out of memory', cls: 'status-error' },
  crashed: { icon: 'error', text: 'crashed', cls: 'status-error' },
  timeout: { icon: 'watch', text: 'timed out', cls: 'status-warn' },
  cancelled: { icon: 'circle-slash', text: 'cancelled', cls: 'status-warn' },
  failed: { icon: 'error', text: 'failed', cls: 'status-error' },
};

export class TrialList {
  readonly element: HTMLElement;
  private readonly body: HTMLTableSectionElement;
  private readonly count: HTMLElement;
  private readonly trials = new Map<string, TrialSummary>();
  /** Trials that have sent metrics but no summary yet. */
  private readonly running = new Map<string, number>();

  constructor() {
    this.body = h('tbody');
    this.count = document.createElement('vscode-badge');
    this.count.setAttribute('variant', 'counter');
    this.count.textContent = '0';
    this.element = h(
      'section',
      { class: 'card trials', 'aria-label': 'Trials' },
      // Every number in this table was read off a trial.
      h('div', { class: 'card-title' }, 'Trials ', this.count, tag('measured')),
      h(
        'table',
        { class: 'trial-table' },
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            ...['Trial', 'Phase', 'Batch', 'LR', 'Status', 'Throughput', 'Peak memory', 'Final loss', 'Wall time'].map((c) => h('th', { scope: 'col' }, c)),
          ),
        ),
        this.body,
      ),
    );
    this.render();
  }

  reset(trials: readonly TrialSummary[]): void {
    this.trials.clear();
    this.running.clear();
    for (const t of trials) this.trials.set(t.id, t);
    this.render();
  }

  upsert(trial: TrialSummary): void {
    this.trials.set(trial.id, trial);
    this.running.delete(trial.id);
    this.render();
  }

  /** Called when metrics arrive for a trial the list has no summary for yet. */
  markRunning(trialId: string, batchSize: number): void {
    if (this.trials.has(trialId) || this.running.has(trialId)) return;
    this.running.set(trialId, batchSize);
    this.render();
  }

  stopRunning(): void {
    if (this.running.size === 0) return;
    this.running.clear();
    this.render();
  }

  get size(): number {
    return this.trials.size + this.running.size;
  }

  private render(): void {
    this.count.textContent = String(this.size);
    const badge = (s: TrialStatus | 'running', detail?: string) => {
      const st = STATUS[s];
      return h('span', { class: `status ${st.cls}`, title: detail ?? st.text }, codicon(st.icon), ` ${st.text}`);
    };
    const rows = [...this.trials.values()].map((t) =>
      h(
        'tr',
        {},
        h('td', {}, t.id),
        h('td', {}, t.phase),
        h('td', { class: 'num' }, String(t.batchSize)),
        h('td', { class: 'num' }, formatLearningRate(t.learningRate)),
        h('td', {}, badge(t.status, t.error ? `${t.error.kind}: ${t.error.message}` : undefined)),
        h('td', { class: 'num' }, formatThroughput(t.samplesPerSecond)),
        h('td', { class: 'num' }, formatBytes(t.peakMemoryBytes)),
        h('td', { class: 'num' }, formatLoss(t.finalValLoss ?? t.finalLoss)),
        h('td', { class: 'num' }, formatDuration(t.wallSeconds)),
      ),
    );
    for (const [id, batchSize] of this.running) {
      rows.push(
        h(
          'tr',
          { class: 'row-running' },
          h('td', {}, id),
          h('td', {}, '…'),
          h('td', { class: 'num' }, String(batchSize)),
          h('td', {}),
          h('td', {}, badge('running')),
          h('td', {}),
          h('td', {}),
          h('td', {}),
          h('td', {}),
        ),
      );
    }
    if (rows.length === 0) rows.push(h('tr', {}, h('td', { colspan: 9, class: 'empty-row' }, 'No trials yet.')));
    this.body.replaceChildren(...rows);
  }
}
