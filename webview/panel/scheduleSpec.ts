// The schedule editor's fields <-> a BatchScheduleSpec (src/core/types.ts). Pure: unit-tested.
// The rules are src/core/schedule/validate.ts's, so the editor, the host and config files agree.
import { validateSchedule } from '../../src/core/schedule/validate';
import type { BatchScheduleSpec } from '../../src/core/types';

export type ScheduleKind = BatchScheduleSpec['kind'];

/** Editable parameters of each kind, in the field order the editor shows them. */
export interface ScheduleField {
  key: string;
  label: string;
  hint: string;
  /** How the text is read ('list': comma-separated numbers); what is valid is the schedule validator's call. */
  type: 'number' | 'list' | 'boolean';
  /** Marked with * in the editor (the validator reports it when missing). */
  required?: boolean;
}

export const SCHEDULE_KINDS: readonly { kind: ScheduleKind; label: string; description: string }[] = [
  { kind: 'constant', label: 'Constant', description: 'One batch size for the whole run.' },
  { kind: 'step', label: 'Step', description: 'Multiply the batch size by a factor every N steps (or at given steps/epochs).' },
  { kind: 'linear_ramp', label: 'Linear ramp', description: 'Grow the batch size linearly from one size to another over a number of samples.' },
  { kind: 'adaptive', label: 'Adaptive (noise scale)', description: 'Follow the measured gradient noise scale, within bounds and the memory limit.' },
];

export const SCHEDULE_FIELDS: Record<ScheduleKind, readonly ScheduleField[]> = {
  constant: [],
  step: [
    { key: 'every_steps', label: 'Every N steps', hint: 'grow every N optimizer steps', type: 'number' },
    { key: 'at_steps', label: 'At steps', hint: 'e.g. 200, 500, 1000', type: 'list' },
    { key: 'at_epochs', label: 'At epochs', hint: 'e.g. 2, 4', type: 'list' },
    { key: 'factor', label: 'Factor', hint: 'multiply by (default 2)', type: 'number' },
    { key: 'max_batch_size', label: 'Max batch size', hint: 'stop growing here', type: 'number' },
  ],
  linear_ramp: [
    { key: 'from', label: 'From', hint: 'start batch size', type: 'number', required: true },
    { key: 'to', label: 'To', hint: 'final batch size', type: 'number', required: true },
    { key: 'over_samples', label: 'Over samples', hint: 'samples to reach the final size', type: 'number', required: true },
  ],
  adaptive: [
    { key: 'every_steps', label: 'Re-estimate every N steps', hint: 'default 50', type: 'number' },
    { key: 'min_batch_size', label: 'Min batch size', hint: 'lower bound', type: 'number' },
    { key: 'max_batch_size', label: 'Max batch size', hint: 'upper bound (memory limit applies too)', type: 'number' },
    { key: 'allowed', label: 'Allowed sizes', hint: 'e.g. 32, 64, 128, 256', type: 'list' },
    { key: 'allow_shrink', label: 'Allow shrinking', hint: 'the batch may shrink when the noise scale falls', type: 'boolean' },
  ],
};

export type ScheduleFieldValues = Record<string, string | boolean>;

export interface ScheduleParse {
  schedule?: BatchScheduleSpec;
  /** Per-field messages; empty when the schedule is valid. */
  errors: Record<string, string>;
}

/** A number field's text as a number; undefined when it is not one. */
function parseNumber(text: string): number | undefined {
  const n = Number(text);
  return Number.isFinite(n) ? n : undefined;
}

/** A list field's text ("100, 300 600") as numbers; undefined when any part is not a number. */
function parseList(text: string): number[] | undefined {
  const parts = text
    .split(/[\s,]+/)
    .filter(Boolean)
    .map(Number);
  return parts.length > 0 && parts.every(Number.isFinite) ? parts : undefined;
}

/** The field a validator problem belongs under: its key's field, else the kind's first field. */
function fieldOf(kind: ScheduleKind, key: string | undefined): string {
  const fields = SCHEDULE_FIELDS[kind];
  return fields.find((f) => f.key === key)?.key ?? fields[0]?.key ?? 'kind';
}

/**
 * Builds the spec from the editor's raw field values, with a message per invalid field. Here only
 * text becomes numbers; what makes a schedule valid (ranges, required keys, from <= to, ...) is
 * decided by the schedule validator, the same the host applies to the message and to config files.
 */
export function parseSchedule(kind: ScheduleKind, values: ScheduleFieldValues): ScheduleParse {
  const errors: Record<string, string> = {};
  const out: Record<string, unknown> = { kind };
  for (const f of SCHEDULE_FIELDS[kind]) {
    const raw = values[f.key];
    if (f.type === 'boolean') {
      if (raw === true) out[f.key] = true;
      continue;
    }
    const text = typeof raw === 'string' ? raw.trim() : '';
    if (text === '') continue;
    const value = f.type === 'list' ? parseList(text) : parseNumber(text);
    if (value !== undefined) out[f.key] = value;
    else errors[f.key] = f.type === 'list' ? `${f.label}: numbers separated by commas (${f.hint})` : `${f.label} must be a number`;
  }
  for (const p of validateSchedule(out)) errors[fieldOf(kind, p.path[0])] ??= p.message;
  return Object.keys(errors).length > 0 ? { errors } : { schedule: out as unknown as BatchScheduleSpec, errors };
}

/** The editor's field values for a spec (the inverse of parseSchedule). */
export function scheduleFieldValues(schedule: BatchScheduleSpec | undefined): { kind: ScheduleKind; values: ScheduleFieldValues } {
  const kind = schedule?.kind ?? 'constant';
  const values: ScheduleFieldValues = {};
  if (schedule) {
    const rec = schedule as unknown as Record<string, unknown>;
    for (const f of SCHEDULE_FIELDS[kind]) {
      const v = rec[f.key];
      if (f.type === 'boolean') values[f.key] = v === true;
      else if (Array.isArray(v)) values[f.key] = v.join(', ');
      else if (typeof v === 'number') values[f.key] = String(v);
    }
  }
  return { kind, values };
}

/** One line for cards and lists: "step ×2 every 200 steps up to 512". */
export function describeSchedule(s: BatchScheduleSpec | undefined): string {
  if (!s || s.kind === 'constant') return 'constant batch size';
  switch (s.kind) {
    case 'step': {
      const when = s.every_steps
        ? `every ${s.every_steps} steps`
        : s.at_steps
          ? `at steps ${s.at_steps.join(', ')}`
          : s.at_epochs
            ? `at epochs ${s.at_epochs.join(', ')}`
            : 'on schedule';
      return `×${s.factor ?? 2} ${when}${s.max_batch_size ? ` up to ${s.max_batch_size}` : ''}`;
    }
    case 'linear_ramp':
      return `ramp ${s.from} → ${s.to} over ${s.over_samples} samples`;
    case 'adaptive':
      return `adaptive (noise scale)${s.min_batch_size || s.max_batch_size ? ` within ${s.min_batch_size ?? 1}–${s.max_batch_size ?? '∞'}` : ''}${s.allow_shrink ? ', may shrink' : ''}`;
  }
}
