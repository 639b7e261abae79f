// The one check of the numbers anything writes into a config (Apply, a trial's config copy): they
// come from study files and webview messages, which are untrusted, so each is checked here first.
import { isPositiveInt, isPositiveNumber } from '../guards';

/** The numbers a writer may be given (unknown: they are checked, not trusted). */
export interface ValuesToWrite {
  batchSize: unknown;
  learningRate?: unknown;
  accumulationSteps?: unknown;
  worldSize?: unknown;
}

/** The largest batch size (and accumulation, world size) a config is given: isPositiveInt's ceiling. */
const MAX_COUNT = 1 << 24;

const show = (x: unknown) => (typeof x === 'number' ? String(x) : (JSON.stringify(x) ?? String(x)));

function countProblem(name: string, x: unknown): string | undefined {
  if (isPositiveInt(x)) return undefined;
  if (typeof x === 'number' && Number.isInteger(x) && x > MAX_COUNT) return `${name} must be at most ${MAX_COUNT} (got ${show(x)})`;
  return `${name} must be a positive integer (got ${show(x)})`;
}

/** Why these values cannot be written, or undefined: whole counts >= 1, a finite learning rate > 0. */
export function writeValueProblem(v: ValuesToWrite): string | undefined {
  return (
    countProblem('batch size', v.batchSize) ??
    (v.learningRate !== undefined && !isPositiveNumber(v.learningRate)
      ? `learning rate must be a positive finite number (got ${show(v.learningRate)})`
      : undefined) ??
    (v.accumulationSteps !== undefined ? countProblem('accumulation steps', v.accumulationSteps) : undefined) ??
    (v.worldSize !== undefined ? countProblem('world size', v.worldSize) : undefined)
  );
}
