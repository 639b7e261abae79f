// Loads the dataset a config names (paths resolve against the config's folder).
import * as path from 'node:path';
import type { TrainingConfig } from '../../core/types';
import type { ArrayDataset } from './dataset';
import { loadMnist } from './mnist';
import { loadCsv } from './csv';
import { makeSynthetic } from './synthetic';

export type { ArrayDataset, Task } from './dataset';

export function loadDataset(config: TrainingConfig, configDir: string, seed: number): ArrayDataset {
  const d = config.data;
  switch (d.source) {
    case 'mnist':
      return loadMnist({ trainSamples: d.train_samples, testSamples: d.test_samples });
    case 'csv':
      return loadCsv({ file: path.resolve(configDir, d.path), label: d.label, task: d.task, header: d.header, validationSplit: config.validation_split, seed });
    case 'synthetic':
      return makeSynthetic({ ...d, seed: d.seed ?? seed, validationSplit: config.validation_split });
  }
}
