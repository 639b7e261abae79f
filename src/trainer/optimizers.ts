// sgd, momentum and adam from tfjs-core, with a learning rate the schedule can change per step.
import * as tf from '@tensorflow/tfjs-core';
import type { OptimizerSpec } from '../core/types';

export function createOptimizer(spec: OptimizerSpec, learningRate: number): tf.Optimizer {
  switch (spec.name) {
    case 'sgd':
      return tf.train.sgd(learningRate);
    case 'momentum':
      return tf.train.momentum(learningRate, spec.momentum ?? 0.9);
    case 'adam':
      return tf.train.adam(learningRate, spec.beta1 ?? 0.9, spec.beta2 ?? 0.999);
  }
}

/** SGD/momentum keep -lr in a kept scalar (setLearningRate); Adam reads `learningRate` each step. */
export function setLearningRate(opt: tf.Optimizer, lr: number): void {
  const o = opt as unknown as { setLearningRate?: (lr: number) => void; learningRate: number };
  if (typeof o.setLearningRate === 'function') o.setLearningRate(lr);
  else o.learningRate = lr;
}
