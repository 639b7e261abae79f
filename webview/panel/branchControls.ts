// "Along the run" (issue 11): how long the real run will be (the horizon), and checkpoints of an
// earlier `batch-tuner train --checkpoint-every` run to branch from. The webview cannot read the
// disk: "Add checkpoints…" asks the host for a file dialog and the paths come back in a message.
import { HORIZON_UNITS, MAX_CHECKPOINTS, type HorizonLength, type PanelSettings } from '../../src/core/webviewProtocol';
import { codicon, h, replaceChildren, uniqueId } from '../shared/dom';
import { button, type Button, type SelectElement, type TextField } from '../shared/elements';
import { baseName, normalizeCheckpoints, parseHorizon } from './state';

export interface BranchCallbacks {
  /** The horizon or the checkpoint list changed (undefined: not set). */
  onChange(patch: Pick<PanelSettings, 'fromCheckpoints' | 'horizon'>): void;
  /** Ask the host for a file dialog. */
  onPick(): void;
}

export class BranchControls {
  readonly element: HTMLElement;
  private readonly horizonField: TextField;
  private readonly unit: SelectElement;
  private readonly error: HTMLDivElement;
  private readonly list: HTMLUListElement;
  private readonly pick: Button;
  private checkpoints: string[] = [];
  private horizon: HorizonLength | undefined;
  private disabled = false;

  constructor(private readonly cb: BranchCallbacks) {
    const fieldId = uniqueId('horizon');
    this.horizonField = document.createElement('vscode-textfield');
    this.horizonField.id = fieldId;
    (this.horizonField as unknown as { label: string }).label = 'Length of the real run';
    this.horizonField.placeholder = "config's own";
    this.horizonField.classList.add('horizon-field');
    this.horizonField.addEventListener('change', () => this.horizonChanged());
    this.unit = document.createElement('vscode-single-select');
    this.unit.setAttribute('aria-label', 'Unit of the run length');
    for (const u of HORIZON_UNITS) {
      const o = document.createElement('vscode-option');
      o.setAttribute('value', u);
      o.textContent = u;
      this.unit.append(o);
    }
    this.unit.addEventListener('change', () => this.horizonChanged());
    this.error = h('div', { class: 'field-error', role: 'alert', hidden: true });
    this.list = h('ul', { class: 'checkpoint-list', 'aria-label': 'Checkpoints to branch from' });
    this.pick = button('Add checkpoints…', 'folder-opened', true, () => this.cb.onPick(), 'pick-checkpoints');
    this.pick.title = `Checkpoints written by an earlier run (batch-tuner train --checkpoint-every N); up to ${MAX_CHECKPOINTS}`;
    this.element = h(
      'div',
      { class: 'control-group', role: 'group', 'aria-label': 'Along the run' },
      h('div', { class: 'group-title' }, 'Along the run'),
      h(
        'div',
        { class: 'slider-row' },
        h('label', { class: 'control-label', for: fieldId }, 'Run length (horizon)'),
        h('div', { class: 'horizon-line' }, this.horizonField as unknown as HTMLElement, this.unit),
        this.error,
      ),
      h('div', { class: 'slider-row' }, h('div', { class: 'control-label' }, 'From checkpoints'), this.list, this.pick),
      h(
        'div',
        { class: 'hint' },
        'The study branches from points along the run to measure the critical batch size there, and plans the batch size for the whole run.',
      ),
    );
    this.renderList();
  }

  show(settings: PanelSettings): void {
    this.checkpoints = normalizeCheckpoints(settings.fromCheckpoints);
    this.horizon = settings.horizon;
    this.horizonField.value = this.horizon ? String(this.horizon.value) : '';
    this.unit.value = this.horizon?.unit ?? 'steps';
    this.horizonField.invalid = false;
    this.error.hidden = true;
    this.renderList();
  }

  /** Paths the host's dialog returned: added after the ones already listed. */
  addPicked(paths: readonly string[]): void {
    if (paths.length === 0) return;
    this.checkpoints = normalizeCheckpoints([...this.checkpoints, ...paths]);
    this.renderList();
    this.emit();
  }

  setDisabled(disabled: boolean): void {
    this.disabled = disabled;
    this.horizonField.disabled = disabled;
    this.unit.disabled = disabled;
    this.pick.disabled = disabled || this.checkpoints.length >= MAX_CHECKPOINTS;
    this.renderList();
  }

  private horizonChanged(): void {
    const parsed = parseHorizon(this.horizonField.value, this.unit.value as HorizonLength['unit']);
    this.horizonField.invalid = !parsed.ok;
    this.error.hidden = parsed.ok;
    this.error.textContent = parsed.ok ? '' : parsed.error;
    if (!parsed.ok) return;
    this.horizon = parsed.value;
    this.emit();
  }

  private emit(): void {
    this.cb.onChange({ fromCheckpoints: this.checkpoints.length > 0 ? [...this.checkpoints] : undefined, horizon: this.horizon });
  }

  private renderList(): void {
    this.pick.disabled = this.disabled || this.checkpoints.length >= MAX_CHECKPOINTS;
    const items = this.checkpoints.map((p, i) => {
      const remove = h(
        'button',
        { type: 'button', class: 'link-button', 'aria-label': `Remove ${baseName(p)}`, title: 'Remove', disabled: this.disabled },
        codicon('close'),
      );
      remove.addEventListener('click', () => {
        this.checkpoints = this.checkpoints.filter((_, j) => j !== i);
        this.renderList();
        this.emit();
      });
      return h('li', { class: 'checkpoint-item', title: p }, codicon('save'), h('span', { class: 'checkpoint-name' }, baseName(p)), remove);
    });
    replaceChildren(this.list, items.length > 0 ? items : h('li', { class: 'hint' }, 'none: the study trains its own trunk'));
  }
}
