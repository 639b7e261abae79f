// Which layer set a setting (precedence run > config > editor > default), and how to say so:
// the CLI's `settings:` line, `tune --json`'s `settings`, and the panel's "default" labels.
import { formatBytes } from '../report/format';
import type { Provenance, ResolvedStudy, RunLayer, SettingKey } from './types';
import { RESOLVE_DEFAULTS } from './defaults';
import type { RunnerSettingKey } from './runnerSettings';

/** One layer's values, labelled with where they came from. */
export interface Layer {
  source: Provenance;
  values: RunLayer | Omit<RunLayer, 'source'>;
}

export interface Picked<T> {
  value: T;
  source: Provenance;
}

/** The value of the most specific layer that sets `key` (layers in precedence order); `auto` counts as not set. */
export function pick<K extends keyof RunLayer>(layers: readonly Layer[], key: K): Picked<NonNullable<RunLayer[K]>> | undefined {
  for (const layer of layers) {
    const v = (layer.values as RunLayer)[key];
    if (v !== undefined && v !== 'auto') return { value: v, source: layer.source };
  }
  return undefined;
}

/** Every setting the study has, with its value and provenance (the `settings` of `tune --json`). */
export function settingsWithProvenance(r: ResolvedStudy): Partial<Record<SettingKey, { value: unknown; source: Provenance }>> {
  const o = r.options;
  const values: Record<SettingKey, unknown> = {
    budgetSeconds: o.budgetSeconds,
    minBatchSize: o.minBatchSize,
    maxBatchSize: o.maxBatchSize,
    candidates: o.candidates,
    memoryLimitBytes: o.memoryLimitBytes,
    lrRule: o.lrRule,
    targetLoss: o.targetLoss,
    parallel: o.parallel,
    seed: o.seed,
    trialTimeoutSeconds: r.runner.hangTimeoutMs / 1000,
    datasetSize: o.datasetSize,
    optimizer: o.optimizer,
    currentBatchSize: o.currentBatchSize,
    currentLearningRate: o.currentLearningRate,
    command: r.runner.kind !== 'trainer' ? r.runner.command : undefined,
    outDir: o.outDir,
    ...runnerValues(r),
    horizonSamples: o.horizonSamples,
    fromCheckpoints: o.fromCheckpoints,
  };
  const out: Partial<Record<SettingKey, { value: unknown; source: Provenance }>> = {};
  for (const [key, source] of Object.entries(r.provenance) as Array<[SettingKey, Provenance]>) {
    if (values[key] !== undefined) out[key] = { value: values[key], source };
  }
  return out;
}

/** Where trials run, and the Slurm job settings when they run there. */
function runnerValues(r: ResolvedStudy): Pick<Record<SettingKey, unknown>, RunnerSettingKey> {
  const s = r.runner.kind === 'slurm' ? r.runner.slurm : undefined;
  return {
    runner: r.runner.kind === 'slurm' ? 'slurm' : 'local',
    worldSize: r.options.parallelism?.worldSize,
    slurmPartition: s?.partition,
    slurmAccount: s?.account,
    slurmGres: s?.gres,
    slurmTimeLimit: s?.timeLimit,
    slurmCpusPerTask: s?.cpusPerTask,
    slurmExtraArgs: s && s.extraArgs.length > 0 ? s.extraArgs : undefined,
    slurmPendingTimeoutSeconds: s?.pendingTimeoutSeconds,
    slurmWorkers: s?.workers,
  };
}

const LABELS: Partial<Record<SettingKey, (v: unknown) => string>> = {
  budgetSeconds: (v) => `budget ${String(v)} s`,
  minBatchSize: (v) => `min ${String(v)}`,
  maxBatchSize: (v) => `max ${String(v)}`,
  memoryLimitBytes: (v) => `memory limit ${formatBytes(v as number)}`,
  lrRule: (v) => `lr rule ${String(v)}`,
  parallel: (v) => `parallel ${String(v)}`,
  seed: (v) => `seed ${String(v)}`,
  trialTimeoutSeconds: (v) => `trial timeout ${String(v)} s`,
  datasetSize: (v) => `${(v as number).toLocaleString('en-US')} training samples`,
  optimizer: (v) => `optimizer ${String(v)}`,
  targetLoss: (v) => `target loss ${String(v)}`,
  runner: (v) => `runner ${String(v)}`,
  worldSize: (v) => `${String(v)} worker${v === 1 ? '' : 's'} per trial`,
  slurmPartition: (v) => `partition ${String(v)}`,
  horizonSamples: (v) => `horizon ${(v as number).toLocaleString('en-US')} samples`,
};

/** Why a value is what it is, in the words the CLI prints: "default", "default: 80% of RAM", "config", "flag". */
function sourceText(key: SettingKey, source: Provenance, r: ResolvedStudy): string {
  if (source === 'default' && key === 'memoryLimitBytes') return `default: ${RESOLVE_DEFAULTS.memoryLimit} of RAM`;
  if (source === 'default' && key === 'lrRule') return `default for ${r.options.optimizer}`;
  if (source === 'cli') return 'flag';
  return source;
}

/**
 * One line a person reads: "budget 120 s (default), memory limit 19.20 GB (default: 80% of RAM),
 * lr rule sqrt (by optimizer adam), ...". `keys` picks and orders the settings shown.
 */
/** The settings a study's one-line summary shows, in this order: `batch-tuner tune` and VS Code's log alike. */
export const STUDY_SETTINGS_SHOWN: readonly SettingKey[] = [
  'budgetSeconds',
  'minBatchSize',
  'maxBatchSize',
  'memoryLimitBytes',
  'lrRule',
  'parallel',
  'seed',
  'trialTimeoutSeconds',
  'datasetSize',
];

/** The settings a single training run's summary shows. */
export const TRAIN_SETTINGS_SHOWN: readonly SettingKey[] = ['seed', 'trialTimeoutSeconds', 'lrRule'];

export function describeSettings(r: ResolvedStudy, keys: readonly SettingKey[]): string {
  const all = settingsWithProvenance(r);
  const parts: string[] = [];
  for (const key of keys) {
    const s = all[key];
    const label = LABELS[key];
    if (!s || !label) continue;
    parts.push(`${label(s.value)} (${sourceText(key, s.source, r)})`);
  }
  return parts.join(', ');
}
