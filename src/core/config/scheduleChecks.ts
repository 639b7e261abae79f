// Batch-schedule checks beyond the schema (strictly increasing at_steps, from <= to, one trigger
// for a step schedule, ...). The schedule module owns those rules: its validator is called here
// and its paths, relative to `batch_schedule`, are mapped to source positions by the parser.
import { validateSchedule } from '../schedule/validate';
import type { SchemaProblem } from './schemaErrors';

export function scheduleProblems(config: unknown, alreadyReported: ReadonlyArray<{ path: string[] }>): SchemaProblem[] {
  if (typeof config !== 'object' || config === null || !('batch_schedule' in config)) return [];
  // The schema already explained a malformed schedule; don't say it twice in other words.
  if (alreadyReported.some((p) => p.path[0] === 'batch_schedule')) return [];
  const spec = (config as { batch_schedule: unknown }).batch_schedule;
  return validateSchedule(spec).map((p) => ({
    path: ['batch_schedule', ...p.path],
    at: p.path.length === 0 ? 'key' : 'value',
    message: p.path.length > 0 && p.message.startsWith(p.path[0]) ? `batch_schedule.${p.message}` : `batch_schedule: ${p.message}`,
  }));
}
