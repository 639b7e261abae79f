// Validation loss (and accuracy for classification) over the held-out samples, in chunks so
// that memory stays bounded whatever the validation set's size. Reads the model only.
import * as tf from '@tensorflow/tfjs-core';
import type { EvalMetrics } from '../core/types';
import { meanLoss } from './losses';
import type { TrainingRun } from './run';

const CHUNK = 1000;

export function evaluate(run: TrainingRun, time: number): EvalMetrics {
  const { ds, data, model } = run;
  let lossSum = 0,
    correct = 0;
  for (let i = 0; i < ds.numVal; i += CHUNK) {
    const n = Math.min(CHUNK, ds.numVal - i);
    const r = tf.tidy(() => {
      const x = tf.slice(data.xVal, [i, 0], [n, ds.features]);
      const y = tf.slice(data.yVal, i, n);
      const out = model.apply(x, { training: false }) as tf.Tensor;
      const l = tf.mul(meanLoss(run.lossKind, out, y, ds.outputs, run.outputsProbabilities), n);
      const c = ds.task === 'classification' ? tf.cast(tf.sum(tf.cast(tf.equal(tf.argMax(out, -1), tf.cast(y, 'int32')), 'float32')), 'float32') : tf.scalar(0);
      return tf.stack([l, c]);
    });
    const [l, c] = r.dataSync();
    r.dispose();
    lossSum += l;
    correct += c;
  }
  const { step, samples } = run.progress;
  return { step, samples, time, valLoss: lossSum / ds.numVal, ...(ds.task === 'classification' ? { valAccuracy: correct / ds.numVal } : {}) };
}
