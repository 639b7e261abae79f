// Defaults of the training-config format (each is also stated in the schema's descriptions).
import type { DataSpec, ModelSpec, OptimizerSpec, TrainingConfig } from '../types';

export const CONFIG_DEFAULTS = {
  seed: 42,
  validation_split: 0.2,
  eval_every: 50,
  epochs: 1,
  mnist: { train_samples: 8000, test_samples: 2000 },
  synthetic: { samples: 4096, features: 16, classes: 2, noise: 0.1 },
  mlp: { hidden: [128], activation: 'relu' as const },
  cnn: { filters: [8, 16], kernel_size: 3, dense: [64], activation: 'relu' as const },
  momentum: 0.9,
  beta1: 0.9,
  beta2: 0.999,
} as const;

/** The task when the config determines it; undefined for a csv without `task` (the trainer
 *  infers it from the label column). */
export function taskOf(data: DataSpec): 'classification' | 'regression' | undefined {
  if (data.source === 'mnist') return 'classification';
  return data.task;
}

function withModelDefaults(m: ModelSpec): ModelSpec {
  const d = CONFIG_DEFAULTS;
  if (m.type === 'mlp') return { ...m, hidden: m.hidden ?? [...d.mlp.hidden], activation: m.activation ?? d.mlp.activation };
  if (m.type === 'cnn')
    return {
      ...m,
      filters: m.filters ?? [...d.cnn.filters],
      kernel_size: m.kernel_size ?? d.cnn.kernel_size,
      dense: m.dense ?? [...d.cnn.dense],
      activation: m.activation ?? d.cnn.activation,
    };
  return { ...m };
}

function withDataDefaults(data: DataSpec, seed: number): DataSpec {
  const d = CONFIG_DEFAULTS;
  if (data.source === 'mnist')
    return { ...data, train_samples: data.train_samples ?? d.mnist.train_samples, test_samples: data.test_samples ?? d.mnist.test_samples };
  if (data.source === 'csv') return { ...data, header: data.header ?? true };
  return {
    ...data,
    samples: data.samples ?? d.synthetic.samples,
    features: data.features ?? d.synthetic.features,
    noise: data.noise ?? d.synthetic.noise,
    seed: data.seed ?? seed,
    ...(data.task === 'classification' ? { classes: data.classes ?? d.synthetic.classes } : {}),
  };
}

function withOptimizerDefaults(o: OptimizerSpec): OptimizerSpec {
  const d = CONFIG_DEFAULTS;
  if (o.name === 'momentum') return { ...o, momentum: o.momentum ?? d.momentum };
  if (o.name === 'adam') return { ...o, beta1: o.beta1 ?? d.beta1, beta2: o.beta2 ?? d.beta2 };
  return { ...o };
}

/** A schema-valid config with every default filled in (the input is not modified). */
export function applyConfigDefaults(c: TrainingConfig): TrainingConfig {
  const d = CONFIG_DEFAULTS;
  const seed = c.seed ?? d.seed;
  const data = withDataDefaults(c.data, seed);
  const out: TrainingConfig = {
    ...c,
    model: withModelDefaults(c.model),
    data,
    optimizer: withOptimizerDefaults(c.optimizer),
    seed,
    validation_split: c.validation_split ?? d.validation_split,
    eval_every: c.eval_every ?? d.eval_every,
  };
  const task = taskOf(data);
  const loss = c.loss ?? (task === 'classification' ? 'cross_entropy' : task === 'regression' ? 'mse' : undefined);
  if (loss) out.loss = loss;
  if (out.steps === undefined && out.epochs === undefined) out.epochs = d.epochs;
  return out;
}
