// The study settings form: batch size (log2 slider + exact field, with the SGD / mini-batch /
// full-batch regions labelled under it), the search range, memory limit, time budget,
// learning-rate rule and the batch-size schedule editor.
import type { PanelInit, PanelProvenance, PanelSettings } from '../../src/core/webviewProtocol';
import type { LrRule } from '../../src/core/types';
import { h, uniqueId } from '../shared/dom';
import type { SelectElement } from '../shared/elements';
import { formatBytes, formatCount, formatDuration, parseBytes } from '../shared/format';
import {
  BUDGET_STOPS,
  batchRegime,
  batchToPosition,
  budgetToIndex,
  indexToBudget,
  log2Ticks,
  maxPosition,
  memoryToPosition,
  MIN_MEMORY_BYTES,
  positionFraction,
  positionToBatch,
  positionToMemory,
} from '../shared/logScale';
import { BranchControls } from './branchControls';
import { ScheduleEditor } from './scheduleEditor';
import type { ScheduleFieldValues, ScheduleKind } from './scheduleSpec';
import { SliderRow, type SliderRowOptions } from './sliderRow';
import { withRange } from './state';

const REGIME_TEXT = { sgd: 'SGD', 'mini-batch': 'mini-batch', 'full-batch': 'full batch' } as const;
const LR_RULE_TEXT: ReadonlyArray<readonly [LrRule, string]> = [
  ['linear', 'Linear (lr × B/B₀, Goyal et al. 2017)'],
  ['sqrt', 'Square root (lr × √(B/B₀))'],
  ['none', 'None (keep the learning rate)'],
];

type TaggedKey = Exclude<keyof PanelSettings, 'schedule' | 'fromCheckpoints' | 'horizon'>;

/** Where a value came from, as the tag next to its label says it (the panel's own changes need no tag). */
const TAG: Partial<Record<NonNullable<PanelProvenance[TaggedKey]>, [string, string]>> = {
  default: ['default', "Batch Tuner's default: nothing set this"],
  derived: ['default', "Batch Tuner's default, from the config's batch size and training-set size"],
  config: ['config', 'Set by the config file (its tuner section, or its batch size)'],
  editor: ['settings', 'Set in the VS Code settings (batchTuner.*); the config file would win over it'],
};

export interface ControlsCallbacks {
  onSettings(settings: PanelSettings): void;
  onScheduleDraft(kind: ScheduleKind, values: ScheduleFieldValues): void;
  /** "Add checkpoints…": the host opens a file dialog. */
  onPickCheckpoints(): void;
}

export class SettingsControls {
  readonly element: HTMLElement;
  private settings: PanelSettings;
  private datasetSize: number;
  private totalMemory: number;
  private readonly batch: SliderRow;
  private readonly minBatch: SliderRow;
  private readonly maxBatch: SliderRow;
  private readonly memory: SliderRow;
  private readonly budget: SliderRow;
  private readonly lrRule: SelectElement;
  private readonly scale: HTMLDivElement;
  readonly schedule: ScheduleEditor;
  readonly branch: BranchControls;
  /** The provenance tags, and the values they describe (a value changed here loses its tag). */
  private readonly tags = new Map<TaggedKey, HTMLSpanElement>();
  private provenance: PanelProvenance = {};
  private origin: PanelSettings;

  constructor(
    init: PanelInit,
    settings: PanelSettings,
    draft: { kind?: ScheduleKind; values?: ScheduleFieldValues },
    private readonly cb: ControlsCallbacks,
  ) {
    this.settings = settings;
    this.origin = init.settings;
    this.datasetSize = Math.max(1, init.datasetSize);
    this.totalMemory = Math.max(MIN_MEMORY_BYTES, init.totalMemoryBytes);
    this.batch = new SliderRow(this.batchRow('Batch size', 'Batch size, exact', (v) => this.change({ ...this.settings, batchSize: v })));
    this.scale = h('div', { class: 'slider-scale', 'aria-hidden': 'true' });
    this.minBatch = new SliderRow(this.batchRow('Smallest', 'Smallest batch size to try', (v) => this.change(withRange(this.settings, 'min', v), 'min')));
    this.maxBatch = new SliderRow(this.batchRow('Largest', 'Largest batch size to try', (v) => this.change(withRange(this.settings, 'max', v), 'max')));
    this.memory = new SliderRow(this.memoryRow());
    this.budget = new SliderRow(this.budgetRow());
    const lrId = uniqueId('lr-rule');
    this.lrRule = this.lrRuleSelect(lrId);
    this.schedule = new ScheduleEditor(settings.schedule, draft, {
      onSchedule: (schedule) => {
        const next = { ...this.settings };
        if (schedule && schedule.kind !== 'constant') next.schedule = schedule;
        else delete next.schedule;
        this.change(next);
      },
      onDraft: (kind, values) => this.cb.onScheduleDraft(kind, values),
    });

    this.branch = new BranchControls({
      onChange: (patch) => {
        const next: PanelSettings = { ...this.settings, ...patch };
        if (!patch.fromCheckpoints) delete next.fromCheckpoints;
        if (!patch.horizon) delete next.horizon;
        this.change(next);
      },
      onPick: () => this.cb.onPickCheckpoints(),
    });

    const lrRow = h('div', { class: 'slider-row' }, h('label', { class: 'control-label', for: lrId }, 'Learning-rate rule'), this.lrRule);
    const rows: Array<[TaggedKey, HTMLElement]> = [
      ['batchSize', this.batch.element],
      ['minBatchSize', this.minBatch.element],
      ['maxBatchSize', this.maxBatch.element],
      ['memoryLimitBytes', this.memory.element],
      ['budgetSeconds', this.budget.element],
      ['lrRule', lrRow],
    ];
    for (const [key, row] of rows) {
      // Beside the label (positioned on its line), outside its accessible name.
      const tag = h('span', { class: 'provenance-tag', hidden: true });
      row.insertBefore(tag, row.firstChild);
      this.tags.set(key, tag);
    }

    this.element = h(
      'div',
      { class: 'controls' },
      h('div', { class: 'control-group', role: 'group', 'aria-label': 'Batch size to train with' }, this.batch.element, this.scale),
      h('div', { class: 'control-group schedule-group', role: 'group', 'aria-label': 'Batch-size schedule' }, this.schedule.element),
      h(
        'div',
        { class: 'control-group', role: 'group', 'aria-label': 'Search' },
        h('div', { class: 'group-title' }, 'Search range'),
        this.minBatch.element,
        this.maxBatch.element,
        this.memory.element,
        this.budget.element,
        lrRow,
      ),
      this.branch.element,
    );
    this.renderScale();
    this.setProvenance(init);
    this.show(settings);
  }

  /** A batch-size slider: log2 positions up to the training set size (read when used: it changes with setBounds). */
  private batchRow(label: string, fieldLabel: string, onChange: (v: number) => void): SliderRowOptions {
    const n = () => this.datasetSize;
    return {
      label,
      fieldLabel,
      min: 0,
      max: maxPosition(n()),
      step: 0.5,
      toValue: (p) => positionToBatch(p, n()),
      toPosition: batchToPosition,
      format: (v) => `${v} (${REGIME_TEXT[batchRegime(v, n())]})`,
      parse: (t) => {
        const v = Number(t.trim());
        return Number.isInteger(v) && v >= 1 && v <= n() ? v : undefined;
      },
      fieldText: (v) => String(v),
      invalidMessage: `Enter a whole number from 1 to ${formatCount(n())} (the training set size).`,
      onChange,
    };
  }

  private memoryRow(): SliderRowOptions {
    return {
      label: 'Memory limit',
      fieldLabel: 'Memory limit, e.g. 2 GiB',
      min: 0,
      max: memoryToPosition(this.totalMemory),
      step: 0.25,
      toValue: (p) => positionToMemory(p, this.totalMemory),
      toPosition: memoryToPosition,
      format: (v) => `${formatBytes(v)} of ${formatBytes(this.totalMemory)}`,
      parse: (t) => {
        const v = parseBytes(t, this.totalMemory);
        return v !== undefined && v <= this.totalMemory ? v : undefined;
      },
      fieldText: formatBytes,
      invalidMessage: `Enter a size up to ${formatBytes(this.totalMemory)}, e.g. 2 GiB or 512 MiB.`,
      onChange: (v) => this.change({ ...this.settings, memoryLimitBytes: v }),
    };
  }

  private budgetRow(): SliderRowOptions {
    return {
      label: 'Time budget',
      fieldLabel: 'Time budget in seconds',
      min: 0,
      max: BUDGET_STOPS.length - 1,
      step: 1,
      toValue: indexToBudget,
      toPosition: budgetToIndex,
      format: formatDuration,
      parse: (t) => {
        const v = Number(t.trim());
        return Number.isFinite(v) && v >= 1 && v <= 86400 ? Math.round(v) : undefined;
      },
      fieldText: (v) => String(v),
      invalidMessage: 'Enter seconds, from 1 to 86400 (24 h).',
      onChange: (v) => this.change({ ...this.settings, budgetSeconds: v }),
    };
  }

  private lrRuleSelect(id: string): SelectElement {
    const select = document.createElement('vscode-single-select');
    select.id = id;
    select.setAttribute('aria-label', 'Learning-rate scaling rule');
    for (const [value, text] of LR_RULE_TEXT) {
      const o = document.createElement('vscode-option');
      o.setAttribute('value', value);
      o.textContent = text;
      select.append(o);
    }
    select.addEventListener('change', () => this.change({ ...this.settings, lrRule: select.value as LrRule }));
    return select;
  }

  /** Which layer set each of the host's values (the resolver's provenance), shown as small tags. */
  setProvenance(init: PanelInit): void {
    this.provenance = init.provenance ?? {};
    this.origin = init.settings;
    this.renderTags();
  }

  private renderTags(): void {
    for (const [key, tag] of this.tags) {
      const p = this.provenance[key];
      const text = p && this.settings[key] === this.origin[key] ? TAG[p] : undefined;
      tag.hidden = !text;
      tag.textContent = text?.[0] ?? '';
      if (text) tag.title = text[1];
    }
  }

  /** Bounds from a new init (another config or dataset). */
  setBounds(init: PanelInit): void {
    this.datasetSize = Math.max(1, init.datasetSize);
    this.totalMemory = Math.max(MIN_MEMORY_BYTES, init.totalMemoryBytes);
    for (const r of [this.batch, this.minBatch, this.maxBatch]) r.setBounds(0, maxPosition(this.datasetSize));
    this.memory.setBounds(0, memoryToPosition(this.totalMemory));
    this.renderScale();
  }

  show(settings: PanelSettings): void {
    this.settings = settings;
    this.batch.set(settings.batchSize);
    this.minBatch.set(settings.minBatchSize);
    this.maxBatch.set(settings.maxBatchSize);
    this.memory.set(settings.memoryLimitBytes);
    this.budget.set(settings.budgetSeconds);
    this.lrRule.value = settings.lrRule;
    this.branch.show(settings);
    this.renderTags();
  }

  get current(): PanelSettings {
    return this.settings;
  }

  setDisabled(disabled: boolean): void {
    for (const r of [this.batch, this.minBatch, this.maxBatch, this.memory, this.budget]) r.setDisabled(disabled);
    this.lrRule.disabled = disabled;
    this.schedule.setDisabled(disabled);
    this.branch.setDisabled(disabled);
  }

  private change(next: PanelSettings, moved?: 'min' | 'max'): void {
    this.settings = next;
    // The other end of the range follows when pushed past; show it without re-entering onChange.
    if (moved === 'min') this.maxBatch.set(next.maxBatchSize);
    if (moved === 'max') this.minBatch.set(next.minBatchSize);
    this.renderTags();
    this.cb.onSettings(next);
  }

  /** Power-of-two ticks and the three regions (SGD at 1, mini-batch, full batch at N) under the slider. */
  private renderScale(): void {
    const maxPos = maxPosition(this.datasetSize);
    const ticks = log2Ticks(this.datasetSize, 7);
    const place = (el: HTMLElement, value: number) => {
      el.style.left = `${(positionFraction(value, maxPos) * 100).toFixed(2)}%`;
      return el;
    };
    this.scale.replaceChildren(
      h('div', { class: 'scale-ticks' }, ...ticks.map((t) => place(h('span', { class: 'scale-tick' }, formatCount(t)), t))),
      h(
        'div',
        { class: 'scale-regions' },
        h('span', { class: 'region region-sgd' }, 'SGD (1)'),
        h('span', { class: 'region region-mini' }, 'mini-batch'),
        h('span', { class: 'region region-full' }, `full batch (${formatCount(this.datasetSize)})`),
      ),
    );
  }
}
