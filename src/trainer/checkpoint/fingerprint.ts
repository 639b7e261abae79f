// What a checkpoint's state only makes sense for: the model's architecture, the loss, the data
// (its spec and a hash of its content) and the optimizer's kind and constants. Resuming
// compares them part by part and says which one differs. Batch size, learning rate, schedule
// and seed are deliberately not in it: a branch from a checkpoint changes them (issue 11).
import { createHash } from 'node:crypto';
import type * as tfl from '@tensorflow/tfjs-layers';
import type { OptimizerSpec, TrainingConfig } from '../../core/types';
import type { ArrayDataset } from '../data';

export interface Fingerprint {
  /** One line per layer: class, the settings that shape it, its weights' shapes. */
  model: string[];
  loss: string;
  /** The data spec and the shapes it produced. */
  data: string;
  /** SHA-256 of the training and validation arrays (catches an edited CSV under the same spec). */
  dataSha256: string;
  optimizer: string;
}

const IGNORED_KEY = /^(name|trainable|dtype)$|(Initializer|Regularizer|Constraint)$/;

/** "Dense units=128 activation=relu useBias=true weights=[784,128] [128]". */
export function describeLayer(layer: tfl.layers.Layer): string {
  const cfg = layer.getConfig() as Record<string, unknown>;
  const parts = Object.keys(cfg)
    .filter((k) => !IGNORED_KEY.test(k) && cfg[k] !== null && cfg[k] !== undefined)
    .map((k) => `${k}=${JSON.stringify(cfg[k])}`);
  const weights = layer.weights.map((w) => JSON.stringify(w.shape)).join(' ');
  return [layer.getClassName(), ...parts, ...(weights ? [`weights=${weights}`] : [])].join(' ');
}

export function describeOptimizer(o: OptimizerSpec): string {
  switch (o.name) {
    case 'sgd':
      return 'sgd';
    case 'momentum':
      return `momentum momentum=${o.momentum ?? 0.9}`;
    case 'adam':
      return `adam beta1=${o.beta1 ?? 0.9} beta2=${o.beta2 ?? 0.999}`;
  }
}

export function describeData(config: TrainingConfig, ds: ArrayDataset): string {
  const split = config.validation_split === undefined ? '' : ` validation_split=${config.validation_split}`;
  return `${JSON.stringify(config.data)}${split}: ${ds.numTrain} training / ${ds.numVal} validation samples of ${ds.features} features, ${ds.outputs} outputs`;
}

export function hashData(ds: ArrayDataset): string {
  const h = createHash('sha256');
  for (const a of [ds.xTrain, ds.yTrain, ds.xVal, ds.yVal]) h.update(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
  return h.digest('hex');
}

export function computeFingerprint(model: tfl.LayersModel, lossKind: string, config: TrainingConfig, ds: ArrayDataset): Fingerprint {
  return {
    model: model.layers.map(describeLayer),
    loss: lossKind,
    data: describeData(config, ds),
    dataSha256: hashData(ds),
    optimizer: describeOptimizer(config.optimizer),
  };
}

/** The first way `now` differs from `saved`, as "<part>: <what>", or undefined when they match. */
export function fingerprintDifference(saved: Fingerprint, now: Fingerprint): string | undefined {
  const n = Math.max(saved.model.length, now.model.length);
  for (let i = 0; i < n; i++) {
    if (saved.model[i] === now.model[i]) continue;
    if (saved.model.length !== now.model.length)
      return `model: the checkpoint's model has ${saved.model.length} layers, this run's ${now.model.length} (first difference at layer ${i + 1}: ${saved.model[i] ?? 'none'} there, ${now.model[i] ?? 'none'} here)`;
    return `model: layer ${i + 1} is "${saved.model[i]}" in the checkpoint but "${now.model[i]}" in this run`;
  }
  if (saved.loss !== now.loss) return `loss: ${saved.loss} in the checkpoint, ${now.loss} in this run`;
  if (saved.optimizer !== now.optimizer) return `optimizer: "${saved.optimizer}" in the checkpoint, "${now.optimizer}" in this run`;
  if (saved.data !== now.data) return `data: ${saved.data} in the checkpoint, ${now.data} in this run`;
  if (saved.dataSha256 !== now.dataSha256) return 'data: the same data spec now gives different samples (was the data file changed?)';
  return undefined;
}
