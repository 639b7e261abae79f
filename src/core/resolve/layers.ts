// The layers that can set a study setting, as pure converters into SettingsLayer / RunLayer:
// CLI flags, the batchTuner.* settings a person set explicitly, the tuner panel's controls, and
// the config's own tuner section. Precedence is applied in ./index.ts, not here.
import { isAbsolute, resolve } from 'node:path';
import type { LrRule, TunerSpec } from '../types';
import type { PanelSettings } from '../webviewProtocol';
import type { Provenance, ResolvedStudy, RunLayer, SettingsLayer } from './types';
import {
  RUNNER_CONFIG_KEYS,
  runnerCliLayer,
  runnerConfigLayer,
  runnerEditorLayer,
  runnerSettingName,
  type RunnerCliArgs,
  type RunnerEditorValues,
} from './runnerSettings';

/** The CLI's parsed flags that are settings (`tune` and `train` share them; each uses its own). */
export interface CliSettingArgs extends RunnerCliArgs {
  budget?: number;
  min?: number;
  max?: number;
  /** As written ("2GB", "80%", "536870912"). */
  memoryLimit?: string;
  lrRule?: LrRule;
  targetLoss?: number;
  /** --out, relative to the working directory. */
  out?: string;
  parallel?: number;
  seed?: number;
  batchSize?: number;
  lr?: number;
  steps?: number;
  /** --horizon as written ("120000", "600steps", "10epochs"). */
  horizon?: string;
  /** --from-checkpoint files, relative to the working directory. */
  fromCheckpoint?: string[];
}

/** CLI flags -> the run layer. The working directory is the CLI's workspace folder (same studies as VS Code). */
export function cliLayer(args: CliSettingArgs, cwd: string = process.cwd()): RunLayer {
  return defined<RunLayer>({
    source: 'cli',
    workspaceFolder: cwd,
    budgetSeconds: args.budget,
    minBatchSize: args.min,
    maxBatchSize: args.max,
    memoryLimit: args.memoryLimit,
    lrRule: args.lrRule,
    targetLoss: args.targetLoss,
    parallel: args.parallel,
    seed: args.seed,
    outDir: args.out === undefined ? undefined : resolve(cwd, args.out),
    batchSize: args.batchSize,
    learningRate: args.lr,
    steps: args.steps,
    ...runnerCliLayer(args),
    horizon: args.horizon,
    fromCheckpoints: args.fromCheckpoint?.map((f) => resolve(cwd, f)),
  });
}

/**
 * The batchTuner.* settings the person set explicitly (the VS Code host reads them with
 * `inspect()`: undefined when only the contributed default applies), plus the facts the host
 * knows about the config (its workspace folder, the batchTuner.commands entry that matches it).
 */
export interface EditorSettingValues extends RunnerEditorValues {
  defaultBudgetSeconds?: number;
  /** "4GB", "80%", or "" (not set). */
  memoryLimit?: string;
  /** `auto` or a rule; `auto` is the same as not set. */
  lrRule?: string;
  trialTimeoutSeconds?: number;
  maxConcurrentTrials?: number;
  pythonPath?: string;
  /** The batchTuner.commands entry whose glob matches this config. */
  command?: string;
  /** batchTuner.studyDirectory as written (relative: to the workspace folder). */
  studyDirectory?: string;
  workspaceFolder?: string;
}

const nonEmpty = (s: string | undefined) => (s === undefined || s.trim() === '' ? undefined : s.trim());

/** batchTuner.* settings -> the editor layer. Values are checked by resolveStudy, which names the setting. */
export function editorLayer(values: EditorSettingValues): SettingsLayer {
  return defined<SettingsLayer>({
    budgetSeconds: values.defaultBudgetSeconds,
    memoryLimit: nonEmpty(values.memoryLimit),
    lrRule: values.lrRule as LrRule | 'auto' | undefined,
    trialTimeoutSeconds: values.trialTimeoutSeconds,
    parallel: values.maxConcurrentTrials,
    pythonPath: nonEmpty(values.pythonPath),
    command: nonEmpty(values.command),
    outDir: nonEmpty(values.studyDirectory),
    workspaceFolder: nonEmpty(values.workspaceFolder),
    ...runnerEditorLayer(values),
  });
}

/** The tuner panel's controls -> the run layer (memory in bytes: no unit to misread). */
export function panelLayer(panel: PanelSettings): RunLayer {
  return {
    source: 'panel',
    batchSize: panel.batchSize,
    minBatchSize: panel.minBatchSize,
    maxBatchSize: panel.maxBatchSize,
    memoryLimit: panel.memoryLimitBytes,
    budgetSeconds: panel.budgetSeconds,
    lrRule: panel.lrRule,
    ...(panel.fromCheckpoints && panel.fromCheckpoints.length > 0 ? { fromCheckpoints: [...panel.fromCheckpoints] } : {}),
    // "600steps", "10epochs", "120000samples": the form --horizon and tuner.horizon take (core/resolve/horizon.ts).
    ...(panel.horizon ? { horizon: `${panel.horizon.value}${panel.horizon.unit}` } : {}),
  };
}

/** What the panel starts from: the resolved study's settings (a panel Start then resolves to the same study). */
export function panelSettingsOf(resolved: ResolvedStudy): PanelSettings {
  const o = resolved.options;
  const settings: PanelSettings = {
    batchSize: resolved.train.batchSize,
    minBatchSize: o.minBatchSize ?? 1,
    maxBatchSize: o.maxBatchSize ?? o.datasetSize,
    memoryLimitBytes: o.memoryLimitBytes ?? 0,
    budgetSeconds: o.budgetSeconds ?? 0,
    lrRule: o.lrRule ?? 'sqrt',
  };
  if (resolved.kind === 'builtin' && o.config.batch_schedule) settings.schedule = o.config.batch_schedule;
  return settings;
}

/** The config's tuner section (and, in our format, its top-level seed) -> the config layer. */
export function configLayer(tuner: TunerSpec | undefined, seed?: number): SettingsLayer {
  const t = tuner ?? {};
  // lr_scaling (the rule for a batch schedule) stands in for lr_rule when only it is given.
  const lrRule = t.lr_rule ?? (t.lr_scaling !== 'adascale' ? t.lr_scaling : undefined);
  return defined<SettingsLayer>({
    budgetSeconds: t.budget_seconds,
    minBatchSize: t.min_batch_size,
    maxBatchSize: t.max_batch_size,
    candidates: t.candidates,
    memoryLimit: t.memory_limit,
    lrRule,
    targetLoss: t.target_loss,
    trialTimeoutSeconds: t.timeout_seconds,
    command: t.command,
    shell: t.shell,
    horizon: t.horizon,
    seed,
    ...runnerConfigLayer(t),
  });
}

/** How each layer names a setting, for error messages and the UI. */
const CLI_FLAGS: Partial<Record<keyof RunLayer, string>> = {
  budgetSeconds: '--budget',
  minBatchSize: '--min',
  maxBatchSize: '--max',
  memoryLimit: '--memory-limit',
  lrRule: '--lr-rule',
  targetLoss: '--target-loss',
  parallel: '--parallel',
  seed: '--seed',
  outDir: '--out',
  batchSize: '--batch-size',
  learningRate: '--lr',
  steps: '--steps',
  horizon: '--horizon',
  fromCheckpoints: '--from-checkpoint',
};
const EDITOR_KEYS: Partial<Record<keyof RunLayer, string>> = {
  budgetSeconds: 'defaultBudgetSeconds',
  memoryLimit: 'memoryLimit',
  lrRule: 'lrRule',
  trialTimeoutSeconds: 'trialTimeoutSeconds',
  parallel: 'maxConcurrentTrials',
  pythonPath: 'pythonPath',
  command: 'commands',
  outDir: 'studyDirectory',
};
/** Keys of the tuner section (seed is our format's top-level key). */
export const CONFIG_KEYS: Partial<Record<keyof RunLayer, string>> = {
  budgetSeconds: 'budget_seconds',
  minBatchSize: 'min_batch_size',
  maxBatchSize: 'max_batch_size',
  candidates: 'candidates',
  memoryLimit: 'memory_limit',
  lrRule: 'lr_rule',
  targetLoss: 'target_loss',
  trialTimeoutSeconds: 'timeout_seconds',
  command: 'command',
  shell: 'shell',
  horizon: 'horizon',
  seed: 'seed',
  ...RUNNER_CONFIG_KEYS,
};

/** "the CLI flag --memory-limit", "setting batchTuner.memoryLimit", "tuner.memory_limit", "panel budgetSeconds". */
export function settingName(source: Provenance, key: keyof RunLayer): string {
  const runner = runnerSettingName(source, key);
  if (runner) return runner;
  if (source === 'cli') return CLI_FLAGS[key] ?? `--${key}`;
  if (source === 'editor') return `setting batchTuner.${EDITOR_KEYS[key] ?? key}`;
  if (source === 'config') return key === 'seed' ? 'seed' : `tuner.${CONFIG_KEYS[key] ?? key}`;
  return `panel ${key}`;
}

/** A relative outDir resolves against the workspace folder, else the config's folder. */
export function absoluteOutDir(outDir: string, base: string): string {
  return isAbsolute(outDir) ? outDir : resolve(base, outDir);
}

function defined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}
