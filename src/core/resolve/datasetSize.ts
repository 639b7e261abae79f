// Training samples in one epoch, the one way every entry point computes it: batch sizes above
// it are dropped, the default max batch size is capped by it, and the noise-scale estimate is
// bounded by it. When nothing says, one default (RESOLVE_DEFAULTS.unknownDatasetSize) with a note.
import type { TrainingConfig } from '../types';
import { applyConfigDefaults, CONFIG_DEFAULTS } from '../config/defaults';
import { resolveConfigPath } from '../config/semantic';
import type { ExternalConfig } from '../runner/externalConfig';
import { RESOLVE_DEFAULTS } from './defaults';
import type { Provenance } from './types';

export interface DatasetSize {
  value: number;
  source: Provenance;
  /** Said to the person when the value is a default. */
  note?: string;
}

function unknown(why: string): DatasetSize {
  const n = RESOLVE_DEFAULTS.unknownDatasetSize.toLocaleString('en-US');
  return {
    value: RESOLVE_DEFAULTS.unknownDatasetSize,
    source: 'default',
    note: `${why}: assumed ${n} training samples (this only caps the batch sizes tried)`,
  };
}

/** Rows of a CSV after the header, or undefined when it cannot be read. */
function csvRows(text: string | undefined, header: boolean): number | undefined {
  if (text === undefined) return undefined;
  const lines = text.split('\n').filter((l) => l.trim() !== '').length;
  return lines - (header ? 1 : 0);
}

/**
 * Our training format, as the built-in trainer will see it: MNIST validates on its own test
 * digits; synthetic and CSV data hold out validation_split of their rows.
 */
export function datasetSizeOfTrainingConfig(config: TrainingConfig, file: string, readText: (path: string) => string | undefined): DatasetSize {
  const c = applyConfigDefaults(config);
  const split = c.validation_split ?? CONFIG_DEFAULTS.validation_split;
  const d = c.data;
  if (d.source === 'mnist') return { value: d.train_samples ?? CONFIG_DEFAULTS.mnist.train_samples, source: 'derived' };
  if (d.source === 'synthetic') return { value: Math.max(1, Math.floor((d.samples ?? CONFIG_DEFAULTS.synthetic.samples) * (1 - split))), source: 'derived' };
  const path = resolveConfigPath(file, d.path);
  const rows = csvRows(readText(path), d.header !== false);
  if (rows === undefined) return unknown(`${path} could not be read`);
  return { value: Math.max(1, Math.floor(rows * (1 - split))), source: 'derived' };
}

/** A user's own config: its train_samples / dataset_size / ... key, else the default. */
export function datasetSizeOfExternalConfig(ext: ExternalConfig): DatasetSize {
  if (ext.datasetSize !== undefined) return { value: ext.datasetSize, source: 'config' };
  return unknown('the config names no training-set size (train_samples, dataset_size, num_train_samples, train_size, num_samples)');
}
