// Issue 6 (dynamic batching): the schedule editor beside the batch-size slider. A kind select
// and that kind's parameters; a valid schedule goes into the settings (and so into start,
// trainOnce and apply); while fields are invalid their messages show and the settings keep the
// last valid schedule.
import type { BatchScheduleSpec } from '../../src/core/types';
import { h, uniqueId } from '../shared/dom';
import type { Checkbox, SelectElement, TextField } from '../shared/elements';
import { parseSchedule, SCHEDULE_FIELDS, SCHEDULE_KINDS, scheduleFieldValues, type ScheduleFieldValues, type ScheduleKind } from './scheduleSpec';

export interface ScheduleEditorCallbacks {
  /** A valid schedule (undefined: constant, or invalid fields). */
  onSchedule(schedule: BatchScheduleSpec | undefined): void;
  onDraft(kind: ScheduleKind, values: ScheduleFieldValues): void;
}

export class ScheduleEditor {
  readonly element: HTMLElement;
  private readonly kindSelect: SelectElement;
  private readonly fields: HTMLDivElement;
  private readonly description: HTMLDivElement;
  private kind: ScheduleKind;
  private values: ScheduleFieldValues;
  private disabled = false;
  private inputs: (TextField | Checkbox)[] = [];

  constructor(
    schedule: BatchScheduleSpec | undefined,
    draft: { kind?: ScheduleKind; values?: ScheduleFieldValues },
    private readonly cb: ScheduleEditorCallbacks,
  ) {
    const fromSpec = scheduleFieldValues(schedule);
    this.kind = draft.kind ?? fromSpec.kind;
    this.values = draft.values ?? fromSpec.values;
    const id = uniqueId('schedule-kind');
    this.kindSelect = document.createElement('vscode-single-select');
    this.kindSelect.id = id;
    this.kindSelect.setAttribute('aria-label', 'Batch-size schedule');
    for (const k of SCHEDULE_KINDS) {
      const o = document.createElement('vscode-option');
      o.setAttribute('value', k.kind);
      o.setAttribute('description', k.description);
      o.textContent = k.label;
      this.kindSelect.append(o);
    }
    this.kindSelect.value = this.kind;
    this.kindSelect.addEventListener('change', () => {
      this.kind = this.kindSelect.value as ScheduleKind;
      this.renderFields();
      this.emit(true);
    });
    this.description = h('div', { class: 'hint' });
    this.fields = h('div', { class: 'schedule-fields' });
    this.element = h(
      'div',
      { class: 'schedule-editor' },
      h('label', { class: 'control-label', for: id }, 'Schedule'),
      this.kindSelect,
      this.description,
      this.fields,
    );
    this.renderFields();
  }

  /** Shows a schedule chosen elsewhere (the host's settings, or the recommendation's). */
  show(schedule: BatchScheduleSpec | undefined): void {
    const { kind, values } = scheduleFieldValues(schedule);
    this.kind = kind;
    this.values = values;
    this.kindSelect.value = kind;
    this.renderFields();
  }

  setDisabled(disabled: boolean): void {
    this.disabled = disabled;
    this.kindSelect.disabled = disabled;
    for (const i of this.inputs) i.disabled = disabled;
  }

  private renderFields(): void {
    this.description.textContent = SCHEDULE_KINDS.find((k) => k.kind === this.kind)?.description ?? '';
    this.inputs = [];
    const rows = SCHEDULE_FIELDS[this.kind].map((f) => {
      if (f.type === 'boolean') {
        const box = document.createElement('vscode-checkbox') as Checkbox;
        box.setAttribute('label', f.label);
        box.checked = this.values[f.key] === true;
        box.disabled = this.disabled;
        box.dataset.key = f.key;
        box.addEventListener('change', () => {
          this.values = { ...this.values, [f.key]: box.checked };
          this.emit();
        });
        this.inputs.push(box);
        return h('div', { class: 'schedule-field' }, box, h('div', { class: 'hint' }, f.hint));
      }
      const id = uniqueId(`schedule-${f.key}`);
      const input = document.createElement('vscode-textfield') as TextField;
      input.id = id;
      input.dataset.key = f.key;
      // The accessible name of the inner <input> (a <label for> does not reach into the shadow DOM).
      (input as TextField & { label: string }).label = f.label;
      input.placeholder = f.hint;
      input.value = typeof this.values[f.key] === 'string' ? (this.values[f.key] as string) : '';
      input.disabled = this.disabled;
      const error = h('div', { class: 'field-error', role: 'alert', hidden: true, id: `${id}-error` });
      input.setAttribute('aria-describedby', error.id);
      input.addEventListener('input', () => {
        this.values = { ...this.values, [f.key]: input.value };
        this.emit();
      });
      this.inputs.push(input);
      return h('div', { class: 'schedule-field' }, h('label', { class: 'control-label', for: id }, f.label + (f.required ? ' *' : '')), input, error);
    });
    this.fields.replaceChildren(...rows);
    this.showErrors({});
  }

  private showErrors(errors: Record<string, string>): void {
    for (const input of this.inputs) {
      const key = input.dataset.key ?? '';
      const message = errors[key];
      if ('invalid' in input) input.invalid = !!message;
      const error = input.parentElement?.querySelector('.field-error');
      if (error instanceof HTMLElement) {
        error.hidden = !message;
        error.textContent = message ?? '';
      }
    }
  }

  /** `quiet`: just switched kind, so empty required fields are not yet an error worth showing. */
  private emit(quiet = false): void {
    this.cb.onDraft(this.kind, this.values);
    const parsed = parseSchedule(this.kind, this.values);
    const shown = quiet
      ? Object.fromEntries(Object.entries(parsed.errors).filter(([k]) => typeof this.values[k] === 'string' && this.values[k] !== ''))
      : parsed.errors;
    this.showErrors(shown);
    if (Object.keys(parsed.errors).length === 0) this.cb.onSchedule(parsed.schedule);
  }
}
