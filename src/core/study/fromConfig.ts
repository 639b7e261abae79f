// StudyOptions from either kind of config: Batch Tuner's training format, or a user's own config
// run by its tuner.command (issue 5). The config's `tuner:` section gives the defaults; explicit
// overrides (CLI flags, panel sliders) win.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { TrainingConfig, TunerSpec } from '../types';
import { applyConfigDefaults, parseMemorySize, type LoadedConfig } from '../config';
import type { ExternalConfig } from '../runner/externalConfig';
import type { StudyOptions } from './types';

export type StudyOverrides = Partial<Omit<StudyOptions, 'configPath' | 'config' | 'configText' | 'currentBatchSize' | 'currentLearningRate' | 'optimizer' | 'datasetSize'>>;

/** Training samples per epoch of one of our configs (after the validation split where it applies). */
export function datasetSizeOf(config: TrainingConfig, configPath: string): number {
  const c = applyConfigDefaults(config);
  const split = c.validation_split ?? 0.2;
  const d = c.data;
  if (d.source === 'mnist') return d.train_samples ?? 8000; // MNIST validates on its own test digits
  if (d.source === 'synthetic') return Math.floor((d.samples ?? 4000) * (1 - split));
  const file = resolve(dirname(configPath), d.path);
  if (!existsSync(file)) return 1_000_000;
  const rows = readFileSync(file, 'utf8').split('\n').filter((l) => l.trim() !== '').length - (d.header === false ? 0 : 1);
  return Math.max(1, Math.floor(rows * (1 - split)));
}

function fromTunerSpec(t: TunerSpec | undefined): StudyOverrides {
  if (!t) return {};
  const o: StudyOverrides = {};
  if (t.min_batch_size !== undefined) o.minBatchSize = t.min_batch_size;
  if (t.max_batch_size !== undefined) o.maxBatchSize = t.max_batch_size;
  if (t.candidates !== undefined) o.candidates = t.candidates;
  if (t.memory_limit !== undefined) o.memoryLimitBytes = parseMemorySize(t.memory_limit);
  if (t.budget_seconds !== undefined) o.budgetSeconds = t.budget_seconds;
  const rule = t.lr_rule ?? (t.lr_scaling !== 'adascale' ? t.lr_scaling : undefined);
  if (rule !== undefined) o.lrRule = rule;
  if (t.target_loss !== undefined) o.targetLoss = t.target_loss;
  return o;
}

const defined = (o: StudyOverrides): StudyOverrides => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as StudyOverrides;

export function studyOptionsForTrainingConfig(loaded: LoadedConfig, overrides: StudyOverrides = {}): StudyOptions {
  const c = loaded.config;
  return {
    configPath: resolve(loaded.file),
    config: c,
    configText: loaded.text,
    currentBatchSize: c.batch_size,
    currentLearningRate: c.optimizer.learning_rate,
    optimizer: c.optimizer.name,
    datasetSize: datasetSizeOf(c, loaded.file),
    ...(c.seed !== undefined ? { seed: c.seed } : {}),
    ...fromTunerSpec(c.tuner),
    ...defined(overrides),
  };
}

/**
 * A user's own config: the trials run its command, which reads the batch size and learning rate
 * the runner writes into a per-trial copy; `config` is only a placeholder the runner ignores.
 */
export function studyOptionsForExternalConfig(ext: ExternalConfig, overrides: StudyOverrides & { optimizer?: string } = {}): StudyOptions {
  const placeholder: TrainingConfig = {
    model: { type: 'linear' },
    data: { source: 'synthetic', task: 'regression' },
    optimizer: { name: 'adam', learning_rate: ext.learningRate ?? 1e-3 },
    batch_size: ext.batchSize,
  };
  const { optimizer, ...rest } = overrides;
  return {
    configPath: resolve(ext.file),
    config: placeholder,
    configText: ext.text,
    currentBatchSize: ext.batchSize,
    currentLearningRate: ext.learningRate ?? 1e-3,
    optimizer: optimizer ?? guessOptimizer(ext.text),
    datasetSize: ext.datasetSize ?? 1_000_000,
    remoteRunner: false,
    ...fromTunerSpec(ext.tuner),
    ...defined(rest),
  };
}

/** The optimizer a user's config names (optimizer: adamw, --optim sgd, ...), else adam. */
export function guessOptimizer(text: string): string {
  const m = /\b(?:optimizer|optim)\b[^A-Za-z\n]{0,20}["']?([A-Za-z]+)/i.exec(text);
  return m ? m[1].toLowerCase() : 'adam';
}
