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
import { pick, type Layer } from './provenance';
import { RESOLVE_DEFAULTS } from './defaults';
import { commandTemplateProblem } from '../runner/commandTemplate';
import type { ResolveFailure, RunLayer } from './types';
import { RUNNER_CHECKS } from './runnerSettings';
import { readHorizon } from './horizon';

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
  candidates: (v) =>
    Array.isArray(v) && v.length > 0 && v.every((b) => isPositiveInt(b)) ? undefined : `must be a non-empty list of positive integers ${got(v)}`,
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
  ...RUNNER_CHECKS,
  horizon: (v) => {
    const h = readHorizon(v);
    return typeof h === 'string' ? h : undefined;
  },
  fromCheckpoints: (v) =>
    Array.isArray(v) && v.length > 0 && v.every((f) => typeof f === 'string' && f.trim() !== '' && !f.includes('\0'))
      ? undefined
      : `must name checkpoint files ${got(v)}`,
};

/** Where the config layer's value is: the tuner key's value (our `seed` at the top level). */
function configDiagnostic(file: string, text: string, entries: FlatEntry[], key: keyof RunLayer, message: string): ConfigDiagnostic {
  // A nested key (slurm.partition) is found by its own name inside the tuner section.
  const name = (CONFIG_KEYS[key] ?? key).split('.').pop() as string;
  const r = configKeyRange(entries, name, key === 'seed');
  return makeDiagnostic(new LineIndex(text), file, r.offset, r.length, message);
}

/** A failure for one layer's setting: at the tuner key's value in the config, else naming the setting. */
function settingFailure(source: Layer['source'], key: keyof RunLayer, problem: string, file: string, configText: string, entries: FlatEntry[]): ResolveFailure {
  const message = `${settingName(source, key)}: ${problem}`;
  if (source === 'config') {
    const d = configDiagnostic(file, configText, entries, key, message);
    return failure('invalid-setting', [d], oneLine(d));
  }
  return failure('invalid-setting', [makeDiagnostic(new LineIndex(configText), file, 0, 0, message)], message);
}

/** The first bad value of any layer, as a failure that names the layer and the key. */
export function layerFailure(layers: readonly Layer[], file: string, configText: string, entries: FlatEntry[]): ResolveFailure | undefined {
  for (const layer of layers) {
    for (const [key, value] of Object.entries(layer.values) as Array<[keyof RunLayer, unknown]>) {
      if (key === 'source' || value === undefined) continue;
      const problem = CHECKS[key](value);
      if (problem) return settingFailure(layer.source, key, problem, file, configText, entries);
    }
  }
  return undefined;
}

/**
 * The training command checked once, here, as every trial would resolve it (with tuner.shell as
 * set): a placeholder shell mode cannot pass safely, an unknown one, an unclosed quote is an error
 * before the study starts, not a failure of each trial. The command prompt words it the same.
 */
export function commandFailure(layers: readonly Layer[], file: string, configText: string, entries: FlatEntry[]): ResolveFailure | undefined {
  const command = pick(layers, 'command');
  if (!command) return undefined;
  const problem = commandTemplateProblem(command.value, pick(layers, 'shell')?.value ?? RESOLVE_DEFAULTS.shell);
  return problem ? settingFailure(command.source, 'command', problem, file, configText, entries) : undefined;
}
