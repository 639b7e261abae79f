// Apply: a study's recommendation written into the config it was made for. A study file is
// untrusted input — it may be crafted, or come with someone else's repository — so what may be
// written is fixed here, not by the study: the batch-size key and the learning-rate key found in
// the file itself, and, in Batch Tuner's own format, `optimizer.learning_rate` and a
// `batch_schedule` that passes the one schedule validator (whose keys are the schedule's own).
// Every number is checked, and the edited text is read back: a change anywhere else refuses the
// whole edit. The VS Code command and any other caller use this one function.
import { parse as parseYaml } from 'yaml';
import { parse as parseJsonc } from 'jsonc-parser';
import type { ConfigFormat, TextEdit } from './types';
import { detectFormat } from './format';
import { findBatchSizeSites } from './sites';
import { applyConfigEdits, checkBatchValues, primaryBatchSizeSite, type ConfigChange } from './edit';
import { scheduleProblemMessage, validateSchedule } from '../schedule/validate';
import { isObj } from '../guards';

/** The key paths Apply may add or change besides the batch-size and learning-rate keys found in the file. */
export const APPLY_WRITABLE_PATHS: ReadonlyArray<readonly string[]> = [['optimizer', 'learning_rate'], ['batch_schedule']];

export interface RecommendationToApply {
  batchSize: unknown;
  learningRate?: unknown;
  schedule?: unknown;
}

/** Why nothing was written: shown as is. */
export class ApplyRefused extends Error {}

export interface AppliedRecommendation {
  text: string;
  /** Offsets into the original text: one undoable edit. */
  edits: TextEdit[];
  /** What could not be written and why (no learning-rate key, ...). */
  notes: string[];
}

/**
 * The config's text with the recommendation applied, or ApplyRefused. `ours`: the file is Batch
 * Tuner's own training format (only there may `optimizer.learning_rate` and `batch_schedule` be added).
 */
export function applyRecommendation(text: string, fileName: string, r: RecommendationToApply, ours: boolean): AppliedRecommendation {
  try {
    checkBatchValues(r.batchSize, r.learningRate);
  } catch (e) {
    throw new ApplyRefused(e instanceof Error ? e.message : String(e));
  }
  const format = detectFormat(fileName, text);
  const site = primaryBatchSizeSite(findBatchSizeSites(text, format));
  if (!site)
    throw new ApplyRefused(
      'the config has no batch-size key to set (looked for batch_size, per_device_train_batch_size, train_batch_size, ...): add one first',
    );
  const writable = ours && (format === 'yaml' || format === 'json');
  const notes: string[] = [];
  const changes: ConfigChange[] = [{ site: site.batchSize, value: r.batchSize as number }];
  const allowed: string[][] = [site.batchSize.path];
  if (r.learningRate !== undefined) {
    if (site.learningRate) {
      changes.push({ site: site.learningRate, value: r.learningRate as number });
      allowed.push(site.learningRate.path);
    } else if (writable) changes.push({ path: ['optimizer', 'learning_rate'], value: r.learningRate });
    else notes.push(`no learning-rate key next to ${site.batchSize.key}; only the batch size was written`);
  }
  if (r.schedule !== undefined) {
    if (!writable) throw new ApplyRefused('a batch-size schedule can only be written into a Batch Tuner training config (YAML/JSON)');
    const problems = validateSchedule(r.schedule);
    if (problems.length) throw new ApplyRefused(`the study's schedule cannot be written: ${scheduleProblemMessage(problems[0])}`);
    changes.push({ path: ['batch_schedule'], value: r.schedule });
  }
  let out: { text: string; edits: TextEdit[] };
  try {
    out = applyConfigEdits(text, format, changes);
  } catch (e) {
    throw new ApplyRefused(e instanceof Error ? e.message : String(e));
  }
  const stray = changedOutside(text, out.text, format, [...allowed, ...APPLY_WRITABLE_PATHS.map((p) => [...p])]);
  if (stray) throw new ApplyRefused(`the edit would also change ${stray} (a Batch Tuner bug): nothing was written`);
  return { ...out, notes };
}

/** The first key path whose value differs between the two texts outside `allowed` (YAML/JSON), else undefined. */
function changedOutside(before: string, after: string, format: ConfigFormat, allowed: string[][]): string | undefined {
  if (format !== 'yaml' && format !== 'json') return undefined; // only sites (values in place) change there
  const read = (t: string): unknown => (format === 'yaml' ? parseYaml(t, { uniqueKeys: false }) : parseJsonc(t, [], { allowTrailingComma: true }));
  return firstDifference(read(before), read(after), [], allowed);
}

function firstDifference(a: unknown, b: unknown, path: string[], allowed: string[][]): string | undefined {
  if (allowed.some((p) => p.length === path.length && p.every((k, i) => k === path[i]))) return undefined;
  // A mapping that is new on one side is compared key by key against nothing (optimizer: {learning_rate} added).
  if ((isObj(a) || a === undefined) && (isObj(b) || b === undefined) && (isObj(a) || isObj(b))) {
    const x = a ?? {};
    const y = b ?? {};
    for (const k of new Set([...Object.keys(x), ...Object.keys(y)])) {
      const d = firstDifference(x[k], y[k], [...path, k], allowed);
      if (d) return d;
    }
    return undefined;
  }
  if (Array.isArray(a) && Array.isArray(b) && a.length === b.length) {
    for (let i = 0; i < a.length; i++) {
      const d = firstDifference(a[i], b[i], [...path, String(i)], allowed);
      if (d) return d;
    }
    return undefined;
  }
  return Object.is(a, b) ? undefined : path.join('.') || '(the whole document)';
}
