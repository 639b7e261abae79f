// Apply: a study's recommendation (or its warm-up plan) written into the config it was made for,
// as minimal text edits (comments and formatting stay; one Undo reverts them). The one
// implementation: the VS Code command, the panel's Apply and Apply plan, and the CodeLens use it.
// 1. Every value is checked first (./writeValues.ts; a schedule by the one schedule validator):
//    they come from study files and webview messages, which are untrusted.
// 2. The batch goes through the global-batch model (./globalBatchEdit.ts), so a family of keys
//    (DeepSpeed, Hugging Face, Lightning, ours) stays consistent: global = micro x accumulation x workers.
// 3. `batch_schedule` (and `optimizer.learning_rate` where the file has no learning-rate key) only
//    in Batch Tuner's own format: nothing else reads them.
// 4. The edited text is read back (./applyReadBack.ts): a change to anything else refuses the whole edit.
import type { BatchScheduleSpec } from '../types';
import type { ConfigDiagnostic, KeyMatch, TextEdit } from './types';
import { detectFormat } from './format';
import { ConfigError } from './diagnostics';
import { applyConfigEdits, applyTextEdits, type ConfigChange } from './edit';
import { readGlobalBatch, type GlobalBatchReading } from './globalBatch';
import { withGlobalBatch } from './globalBatchEdit';
import { BATCH_SIZE_KEYS } from './keyNames';
import { isOurTrainingFormat } from './ourFormat';
import { readBackProblem } from './applyReadBack';
import { writeValueProblem } from './writeValues';
import { scheduleProblemMessage, validateSchedule } from '../schedule/validate';

export { APPLY_WRITABLE_KEYS, OUR_WRITABLE_PATHS, isWritablePath, strayChange, strayPythonEdit, type WritablePaths } from './applyReadBack';

export interface ApplyChanges {
  /** The global batch: samples per optimizer step over all workers (what a study measures and recommends). */
  batchSize: number;
  learningRate?: number;
  /** Our format only: the built-in trainer's batch_schedule (a warm-up plan's `schedule`). */
  schedule?: BatchScheduleSpec;
  /** How to split the global batch (issue 13); default: the config's own accumulation steps and workers. */
  accumulationSteps?: number;
  worldSize?: number;
}

export type ApplyPlan = { ok: true; text: string; edits: TextEdit[]; notes: string[] } | { ok: false; reason: string; diagnostic?: ConfigDiagnostic };

/** Why these values cannot be written, or undefined. The values are checked as unknown: a caller's types are not trusted. */
export function invalidChange(c: ApplyChanges): string | undefined {
  const values = writeValueProblem(c);
  if (values) return values;
  if (c.schedule === undefined) return undefined;
  const problem = validateSchedule(c.schedule)[0];
  return problem ? `the study's schedule cannot be written: ${scheduleProblemMessage(problem)}` : undefined;
}

const refuse = (reason: string, diagnostic?: ConfigDiagnostic): ApplyPlan => ({ ok: false, reason, ...(diagnostic ? { diagnostic } : {}) });

/** The edits that write `c` into `text` (file: the config's path, for its format and positions; rel: how to name it to the person). */
export function planApply(text: string, file: string, rel: string, c: ApplyChanges): ApplyPlan {
  const invalid = invalidChange(c);
  if (invalid) return refuse(invalid);
  const format = detectFormat(file, text);
  const reading = readGlobalBatch(text, format, file);
  if (!reading) return refuse(`${rel} has no batch-size key to set (looked for ${BATCH_SIZE_KEYS.join(', ')}, ...): add one first`);
  const ours = isOurTrainingFormat(file, text, format);
  if (c.schedule && !ours) return refuse(`${rel}: a batch-size schedule can only be written into a Batch Tuner training config (YAML/JSON)`);
  const accumulation = c.accumulationSteps ?? reading.accumulation ?? 1;
  const workers = c.worldSize ?? reading.world ?? 1;
  if (c.batchSize % (accumulation * workers) !== 0)
    return refuse(
      `${rel}: batch size ${c.batchSize} is not ${accumulation} accumulation step(s) x ${workers} worker(s) x a whole micro-batch; pick a multiple of ${accumulation * workers} or change the accumulation in the config`,
    );
  let global: ReturnType<typeof withGlobalBatch>;
  try {
    global = withGlobalBatch(text, file, {
      micro: c.batchSize / (accumulation * workers),
      accumulation,
      ...(c.worldSize ? { world: c.worldSize } : {}),
      ...(c.learningRate !== undefined ? { learningRate: c.learningRate } : {}),
    });
  } catch (e) {
    const d = e instanceof ConfigError ? e.diagnostics[0] : undefined;
    if (d) return refuse(`${rel}:${d.line}:${d.column}: ${d.message}`, d);
    return refuse(`cannot write the batch size into ${rel}: ${e instanceof Error ? e.message : String(e)}`);
  }
  const notes = global.added.map((a) => `added ${a.key}: ${a.value} (${a.why})`);
  const lrWritten = c.learningRate === undefined || reading.learningRate !== undefined || reading.family === 'batch-tuner';
  const extra: ConfigChange[] = [];
  if (!lrWritten && ours) extra.push({ path: ['optimizer', 'learning_rate'], value: c.learningRate });
  else if (!lrWritten)
    notes.push(`no learning-rate key next to ${(reading.sites.global ?? reading.sites.micro)?.key.key ?? 'the batch size'}: only the batch size was written`);
  if (c.schedule) extra.push({ path: ['batch_schedule'], value: c.schedule });
  const edits = extra.length ? merge(global.edits, applyConfigEdits(text, format, extra).edits) : global.edits;
  if (!edits) return refuse(`${rel}: the batch size and the schedule edit the same place; apply them one at a time`);
  const out = applyTextEdits(text, edits);
  const stray = readBackProblem(format, text, out, edits, { paths: writtenPaths(reading, global.reading), ours }, writtenSites(reading));
  if (stray) return refuse(`${rel}: Apply would change ${stray}, which it never writes; nothing was changed (a Batch Tuner bug: please report it)`);
  return { ok: true, text: out, edits, notes };
}

/** The batch keys (global, micro, accumulation) and the learning rate a reading found: what Apply writes. */
function writtenSites(r: GlobalBatchReading): KeyMatch[] {
  const roles = [r.sites.global, r.sites.micro, r.sites.accumulation];
  return [...roles.flatMap((s) => (s ? [s.key] : [])), ...(r.learningRate ? [r.learningRate] : [])];
}

/** Their paths before the edit and after it (a key the family needed was added). */
function writtenPaths(before: GlobalBatchReading, after: GlobalBatchReading): string[][] {
  return [...writtenSites(before), ...writtenSites(after)].map((k) => k.path);
}

/** Two sets of edits of one text, in order (insertions at one offset joined, so no editor can reorder them); undefined when they overlap. */
function merge(a: TextEdit[], b: TextEdit[]): TextEdit[] | undefined {
  const out: TextEdit[] = [];
  for (const e of [...a, ...b].sort((x, y) => x.offset - y.offset)) {
    const prev = out[out.length - 1];
    if (prev && prev.length === 0 && e.length === 0 && prev.offset === e.offset) prev.newText += e.newText;
    else if (prev && e.offset < prev.offset + prev.length) return undefined;
    else out.push({ ...e });
  }
  return out;
}
