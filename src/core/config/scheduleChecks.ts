// A config's `batch_schedule:` is checked by the schedule validator (../schedule/validate.ts), the
// same one the panel and the webview messages use, not by the JSON Schema: one set of rules and
// one wording everywhere. Its paths, relative to `batch_schedule`, become the parser's problems,
// which it maps to file:line:col.
import { scheduleProblemMessage, validateSchedule } from '../schedule/validate';
import { isObj } from '../guards';
import type { SchemaProblem } from './schemaErrors';

/** Problems under `batch_schedule` (none when the config has no schedule). */
export function scheduleProblems(config: unknown): SchemaProblem[] {
  if (!isObj(config) || config.batch_schedule === undefined) return [];
  return validateSchedule(config.batch_schedule).map((p) => ({
    path: ['batch_schedule', ...p.path],
    at: p.at ?? (p.path.length === 0 ? 'key' : 'value'),
    message: scheduleProblemMessage(p),
  }));
}

/** The JSON Schema's problems without those under `batch_schedule`: scheduleProblems reports those. */
export function outsideSchedule<T extends { path: string[] }>(problems: T[]): T[] {
  return problems.filter((p) => p.path[0] !== 'batch_schedule');
}
