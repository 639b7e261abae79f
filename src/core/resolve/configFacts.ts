// What the config itself says about the study: its batch size and learning rate, its optimizer
// (named in our format, guessed from a user's text), its training-set size, its steps, and its
// tuner section as the `config` layer, each with its provenance.
import type { TrainingConfig } from '../types';
import type { ExternalConfig } from '../runner/externalConfig';
import type { FlatEntry } from '../config/sites';
import { RESOLVE_DEFAULTS, placeholderTrainingConfig } from './defaults';
import { configLayer } from './layers';
import { datasetSizeOfExternalConfig, datasetSizeOfTrainingConfig, type DatasetSize } from './datasetSize';
import type { Provenance, SettingKey, SettingsLayer } from './types';

export interface ConfigFacts {
  /** Our config, or a placeholder for a user's own (the external runner never reads it). */
  config: TrainingConfig;
  currentBatchSize: number;
  currentLearningRate: number;
  optimizer: string;
  datasetSize: DatasetSize;
  /** Optimizer steps of one run (our `steps`, a user's max_steps, ...), when the config says. */
  steps?: number;
  /** The config's tuner section (and our top-level seed) as a settings layer. */
  layer: SettingsLayer;
  provenance: Partial<Record<SettingKey, Provenance>>;
  notes: string[];
}

/** The optimizer a user's config names (optimizer: adamw, --optim sgd, ...), else undefined. */
export function guessOptimizer(text: string): string | undefined {
  const m = /\b(?:optimizer|optim)\b[^A-Za-z\n]{0,20}["']?([A-Za-z]+)/i.exec(text);
  return m ? m[1].toLowerCase() : undefined;
}

export function factsOfTrainingConfig(config: TrainingConfig, file: string, entries: FlatEntry[], readText: (p: string) => string | undefined): ConfigFacts {
  const datasetSize = datasetSizeOfTrainingConfig(config, file, readText);
  // The parser fills in the format's default seed: only a seed written in the file is the config's.
  const seedWritten = entries.some((e) => e.path.length === 1 && e.key === 'seed');
  return {
    config,
    currentBatchSize: config.batch_size,
    currentLearningRate: config.optimizer.learning_rate,
    optimizer: config.optimizer.name,
    datasetSize,
    ...(config.steps !== undefined ? { steps: config.steps } : {}),
    layer: configLayer(config.tuner, seedWritten ? config.seed : undefined),
    provenance: { currentBatchSize: 'config', currentLearningRate: 'config', optimizer: 'config', datasetSize: datasetSize.source },
    notes: datasetSize.note ? [datasetSize.note] : [],
  };
}

export function factsOfExternalConfig(ext: ExternalConfig): ConfigFacts {
  const notes: string[] = [];
  const datasetSize = datasetSizeOfExternalConfig(ext);
  if (datasetSize.note) notes.push(datasetSize.note);
  const named = guessOptimizer(ext.text);
  const optimizer = named ?? RESOLVE_DEFAULTS.optimizer;
  if (!named) notes.push(`the config names no optimizer: assumed ${optimizer} (it picks the default learning-rate rule)`);
  const lr = ext.learningRate ?? RESOLVE_DEFAULTS.learningRate;
  if (ext.learningRate === undefined) notes.push(`no learning-rate key next to ${ext.site.batchSize.key}: assumed ${lr} (trials get it as \${learningRate})`);
  return {
    config: placeholderTrainingConfig(ext.batchSize, lr),
    currentBatchSize: ext.batchSize,
    currentLearningRate: lr,
    optimizer,
    datasetSize,
    ...(ext.steps !== undefined ? { steps: ext.steps } : {}),
    layer: configLayer(ext.tuner),
    provenance: {
      currentBatchSize: 'config',
      currentLearningRate: ext.learningRate === undefined ? 'default' : 'config',
      optimizer: named ? 'config' : 'default',
      datasetSize: datasetSize.source,
    },
    notes,
  };
}
