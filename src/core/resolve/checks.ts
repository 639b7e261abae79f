// Every layer's values checked the same way before any is used: a bad value is an error that
// names the layer and the key (`--memory-limit: ...`, `setting batchTuner.memoryLimit: ...`,
// `file:line:col: tuner.memory_limit: ...`), never a silent fallback to a default.
import { isFiniteNumber, isPositiveInt, isPositiveNumber } from '../guards';
import { isLrRule, LR_RULES } from '../tuner/lrScaling';
import { readMemorySize } from '../config/memorySize';
import { LineIndex, makeDiagnostic } from '../config/diagnostics';
import type { ConfigDiagnostic } from '../config/types';
import type { FlatEntry } from '../config/sites';
import { CONFIG_KEYS, settingName } from './layers';
import { configKeyRange, failure, oneLine } from './classify';
import type { Layer } from './provenance';
import type { ResolveFailure, RunLayer } from './types';

/** A problem with a value, in words that follow its name ("must be ... (got ...)"). */
type Check = (v: unknown) => string | undefined;

const got = (v: unknown) => `(got ${JSON.stringify(v)})`;
const positiveNumber: Check = (v) => (isPositiveNumber(v) ? undefined : `must be a positive number ${got(v)}`);
const positiveInt: Check = (v) => (isPositiveInt(v) ? undefined : `must be a positive integer ${got(v)}`);
const text: Check = (v) => (typeof v === 'string' && v.trim() !== '' ? undefined : `must be a non-empty string ${got(v)}`);

const CHECKS: Record<Exclude<keyof RunLayer, 'source'>, Check> = {
  budgetSeconds: positiveNumber,
  minBatchSize: positiveInt,
  maxBatchSize: positiveInt,
  candidates: (v) => (Array.isArray(v) && v.length > 0 && v.every((b) => isPositiveInt(b)) ? undefined : `must be a non-empty list of positive integers ${got(v)}`),
  memoryLimit: (v) => {
    if (typeof v !== 'string' && typeof v !== 'number') return `must be bytes or a size such as "8GB" or "80%" ${got(v)}`;
    try {
      readMemorySize(v);
      return undefined;
    } catch (e) {
      return (e as Error).message;
    }
  },
  lrRule: (v) => (v === 'auto' || isLrRule(v) ? undefined : `must be auto, ${LR_RULES.join(', ')} ${got(v)}`),
  targetLoss: positiveNumber,
  parallel: positiveInt,
  seed: (v) => (isFiniteNumber(v) && Number.isInteger(v) && v >= 0 ? undefined : `must be an integer >= 0 ${got(v)}`),
  trialTimeoutSeconds: positiveNumber,
  command: text,
  shell: (v) => (typeof v === 'boolean' ? undefined : `must be true or false ${got(v)}`),
  pythonPath: text,
  outDir: text,
  workspaceFolder: text,
  batchSize: positiveInt,
  learningRate: positiveNumber,
  steps: positiveInt,
  fromCheckpoints: (v) => (Array.isArray(v) && v.every((p) => typeof p === 'string' && p.trim() !== '') ? undefined : `must be a list of checkpoint files ${got(v)}`),
  horizon: (v) =>
    v !== null && typeof v === 'object' && isPositiveNumber((v as { value?: unknown }).value) && ['steps', 'epochs', 'samples'].includes(String((v as { unit?: unknown }).unit))
      ? undefined
      : `must be a positive length in steps, epochs or samples ${got(v)}`,
};

/** Where the config layer's value is: the tuner key's value (our `seed` at the top level). */
function configDiagnostic(file: string, text: string, entries: FlatEntry[], key: keyof RunLayer, message: string): ConfigDiagnostic {
  const r = configKeyRange(entries, CONFIG_KEYS[key] ?? key, key === 'seed');
  return makeDiagnostic(new LineIndex(text), file, r.offset, r.length, message);
}

/** The first bad value of any layer, as a failure that names the layer and the key. */
export function layerFailure(layers: readonly Layer[], file: string, configText: string, entries: FlatEntry[]): ResolveFailure | undefined {
  for (const layer of layers) {
    for (const [key, value] of Object.entries(layer.values) as Array<[keyof RunLayer, unknown]>) {
      if (key === 'source' || value === undefined) continue;
      const problem = CHECKS[key](value);
      if (!problem) continue;
      const message = `${settingName(layer.source, key)}: ${problem}`;
      if (layer.source === 'config') {
        const d = configDiagnostic(file, configText, entries, key, message);
        return failure('invalid-setting', [d], oneLine(d));
      }
      return failure('invalid-setting', [makeDiagnostic(new LineIndex(configText), file, 0, 0, message)], message);
    }
  }
  return undefined;
}
