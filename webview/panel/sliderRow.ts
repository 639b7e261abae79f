// One labelled slider with an exact-value text field beside it: native <input type=range>
// (vscode-elements has no slider) styled with theme colours, keyboard-operable, with
// aria-valuetext in human units. The slider position may be a log scale; the field is exact.
import { h, uniqueId } from '../shared/dom';

export interface SliderRowOptions {
  label: string;
  /** Slider positions. */
  min: number;
  max: number;
  step: number;
  toValue(position: number): number;
  toPosition(value: number): number;
  /** Human text for the value (aria-valuetext and the readout). */
  format(value: number): string;
  /** Exact entry: text -> value (undefined: invalid). */
  parse(text: string): number | undefined;
  /** Text shown in the field for a value. */
  fieldText(value: number): string;
  fieldLabel: string;
  invalidMessage: string;
  onChange(value: number): void;
}

export class SliderRow {
  readonly element: HTMLDivElement;
  readonly range: HTMLInputElement;
  readonly field: HTMLElement & { value: string; invalid: boolean; disabled: boolean };
  private readonly readout: HTMLSpanElement;
  private readonly error: HTMLDivElement;
  private value = 0;

  constructor(private opts: SliderRowOptions) {
    const id = uniqueId('slider');
    this.range = h('input', { type: 'range', id, class: 'slider', min: opts.min, max: opts.max, step: opts.step });
    this.field = document.createElement('vscode-textfield');
    // The accessible name of the field's inner <input>, inside its shadow DOM.
    (this.field as unknown as { label: string }).label = opts.fieldLabel;
    this.field.classList.add('slider-field');
    this.readout = h('span', { class: 'slider-readout', 'aria-hidden': 'true' });
    this.error = h('div', { class: 'field-error', role: 'alert', hidden: true });
    const label = h('label', { for: id, class: 'control-label' }, opts.label);
    this.element = h(
      'div',
      { class: 'slider-row' },
      label,
      h('div', { class: 'slider-line' }, this.range, this.field as unknown as HTMLElement, this.readout),
      this.error,
    );

    this.range.addEventListener('input', () => {
      const v = this.opts.toValue(Number(this.range.value));
      this.show(v, true);
      this.opts.onChange(v);
    });
    const commitField = (final: boolean) => {
      const v = this.opts.parse(this.field.value);
      const ok = v !== undefined;
      this.field.invalid = !ok;
      this.error.hidden = ok || !final;
      this.error.textContent = ok ? '' : this.opts.invalidMessage;
      if (!ok) return;
      this.value = v;
      this.range.value = String(this.opts.toPosition(v));
      this.updateAria(v);
      this.opts.onChange(v);
    };
    this.field.addEventListener('input', () => commitField(false));
    this.field.addEventListener('change', () => {
      commitField(true);
      if (!this.field.invalid) this.field.value = this.opts.fieldText(this.value);
    });
  }

  /** New bounds (e.g. another dataset size); keeps the value. */
  setBounds(min: number, max: number): void {
    this.range.min = String(min);
    this.range.max = String(max);
    this.range.value = String(this.opts.toPosition(this.value));
  }

  set(value: number): void {
    this.show(value, true);
  }

  get(): number {
    return this.value;
  }

  setDisabled(disabled: boolean): void {
    this.range.disabled = disabled;
    this.field.disabled = disabled;
  }

  private show(value: number, updateField: boolean): void {
    this.value = value;
    this.range.value = String(this.opts.toPosition(value));
    if (updateField) this.field.value = this.opts.fieldText(value);
    this.field.invalid = false;
    this.error.hidden = true;
    this.updateAria(value);
  }

  private updateAria(value: number): void {
    const text = this.opts.format(value);
    this.range.setAttribute('aria-valuetext', text);
    this.readout.textContent = text;
  }
}
