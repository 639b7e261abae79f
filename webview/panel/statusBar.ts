// Phase and progress of the study, the error banner, and the states a person must understand
// before anything runs: nothing started yet, and an untrusted workspace.
import type { StudyPhase } from '../../src/core/types';
import { codicon, h } from '../shared/dom';
import type { ProgressBar } from '../shared/elements';

const PHASE_TEXT: Record<StudyPhase, string> = {
  plan: 'Planning',
  profile: 'Profiling throughput and memory',
  noise: 'Measuring gradient noise scale',
  convergence: 'Checking convergence',
  branch: 'Measuring the critical batch size along the run',
  recommend: 'Recommending',
  done: 'Done',
};

export class StatusBar {
  readonly element: HTMLElement;
  private readonly phase: HTMLSpanElement;
  private readonly message: HTMLSpanElement;
  private readonly progress: ProgressBar;
  private readonly error: HTMLDivElement;
  private readonly errorText: HTMLSpanElement;

  constructor() {
    this.phase = h('span', { class: 'phase-name' });
    this.message = h('span', { class: 'phase-message' });
    this.progress = document.createElement('vscode-progress-bar');
    this.progress.setAttribute('aria-label', 'Study progress');
    this.progress.max = 1;
    this.progress.hidden = true;
    this.errorText = h('span', { class: 'error-text' });
    const dismiss = h('button', { class: 'icon-button', type: 'button', 'aria-label': 'Dismiss error', title: 'Dismiss' }, codicon('close'));
    dismiss.addEventListener('click', () => this.clearError());
    this.error = h('div', { class: 'error-banner', role: 'alert', hidden: true }, codicon('error'), this.errorText, dismiss);
    this.element = h(
      'div',
      { class: 'status-bar' },
      h('div', { class: 'phase', role: 'status', 'aria-live': 'polite' }, this.phase, this.message),
      this.progress,
      this.error,
    );
  }

  setPhase(phase: StudyPhase, message: string, progress: number): void {
    this.phase.textContent = PHASE_TEXT[phase] ?? phase;
    this.message.textContent = message ? ` — ${message}` : '';
    this.progress.hidden = phase === 'done';
    const p = Math.min(1, Math.max(0, progress));
    this.progress.indeterminate = !Number.isFinite(progress);
    this.progress.value = p;
    this.progress.setAttribute('aria-valuetext', `${Math.round(p * 100)}%`);
  }

  setIdle(text: string): void {
    this.phase.textContent = text;
    this.message.textContent = '';
    this.progress.hidden = true;
  }

  showError(message: string): void {
    this.errorText.textContent = message;
    this.error.hidden = false;
  }

  clearError(): void {
    this.error.hidden = true;
    this.errorText.textContent = '';
  }
}
