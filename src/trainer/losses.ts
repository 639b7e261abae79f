// Training losses: softmax cross-entropy for classification, mean squared error for regression.
import * as tf from '@tensorflow/tfjs-core';

export type LossKind = 'cross_entropy' | 'mse';

/** Mean loss over the batch. `y` holds class indices (int32) for cross-entropy, targets [n, outputs] for mse. */
export function meanLoss(kind: LossKind, output: tf.Tensor, y: tf.Tensor, classes: number, outputsProbabilities: boolean): tf.Scalar {
  return tf.tidy(() => {
    if (kind === 'mse') {
      const target = y.dtype === 'int32' ? tf.cast(tf.oneHot(y as tf.Tensor1D, classes), 'float32') : y;
      return tf.losses.meanSquaredError<tf.Tensor, tf.Scalar>(target, output);
    }
    const oneHot = tf.oneHot(y, classes);
    if (outputsProbabilities) {
      // The model already applied softmax: -mean(sum(y * log p)), clipped away from log(0).
      return tf.neg(tf.mean(tf.sum(tf.mul(oneHot, tf.log(tf.clipByValue(output, 1e-7, 1))), -1))) as tf.Scalar;
    }
    return tf.losses.softmaxCrossEntropy<tf.Tensor, tf.Scalar>(oneHot, output);
  });
}
