// One optimizer step's gradients, computed over k equal micro-batches one after another (gradient
// accumulation: only one micro-batch's activations are alive at a time, so peak memory follows
// B/k), with the gradient-noise statistics that come for free from them (DESIGN.md, "The tuner"):
//   g_B = (1/k) * sum_b g_b  — the full-batch mean gradient is the mean of the micro-batch mean
//         gradients (exact for a mean loss over equal-sized micro-batches);
//   gradSqNorm      = |g_B|^2               (the "big" batch, B samples)
//   microGradSqNorm = (1/k) * sum_b |g_b|^2 (the "small" batch, B/k samples)
// McCandlish et al. 2018, "An Empirical Model of Large-Batch Training", appendix A, turn the
// two norms into |G|^2 and tr(Sigma), hence B_noise = tr(Sigma)/|G|^2 (done by the tuner).
import * as tf from '@tensorflow/tfjs-core';
// tfjs-core alone registers no gradient functions; tfjs-layers' node bundle registers them all
// (importing tfjs-core's register_all_gradients instead would bundle a second copy of its ops).
import '@tensorflow/tfjs-layers';

export interface StepGradients {
  /** Mean loss over the batch. */
  loss: tf.Scalar;
  /** Mean gradient over the batch, keyed by variable name (ready for optimizer.applyGradients). */
  grads: tf.NamedTensorMap;
  /** |g_B|^2 (undefined when statistics are off). */
  gradSqNorm?: tf.Scalar;
  /** Mean over micro-batches of |g_b|^2 (only when k >= 2). */
  microGradSqNorm?: tf.Scalar;
  /** Highest tf.memory().numBytes seen inside the step (after each backward pass, before disposal). */
  peakBytes: number;
}

/** Squared L2 norm of all tensors concatenated: sum_i sum(t_i^2). */
export function squaredNorm(ts: tf.Tensor[]): tf.Scalar {
  return tf.tidy(() => tf.addN(ts.map((t) => tf.sum(tf.square(t)))) as tf.Scalar);
}

export interface MicroBatch {
  x: tf.Tensor;
  y: tf.Tensor;
}

/**
 * Runs k forward/backward passes (`lossOf` gives a micro-batch's mean loss) and returns the
 * mean gradient and the noise statistics. Returns undefined when `shouldStop()` turns true
 * between micro-batches (everything allocated is released).
 */
export function computeStepGradients(
  batchOf: (microBatch: number) => MicroBatch,
  lossOf: (x: tf.Tensor, y: tf.Tensor) => tf.Scalar,
  vars: tf.Variable[],
  microBatches: number,
  opts: { stats?: boolean; shouldStop?: () => boolean } = {},
): StepGradients | undefined {
  const k = Math.max(1, Math.floor(microBatches));
  const stats = opts.stats ?? true;
  let sum: tf.Tensor[] | undefined;
  let lossSum: tf.Scalar | undefined;
  let microSq: tf.Scalar | undefined;
  let peakBytes = 0;
  const release = () => {
    sum?.forEach((t) => t.dispose());
    lossSum?.dispose();
    microSq?.dispose();
  };
  for (let j = 0; j < k; j++) {
    if (j > 0 && opts.shouldStop?.()) {
      release();
      return undefined;
    }
    const next = tf.tidy(() => {
      // Select the micro-batch outside the gradient tape: a gather recorded on the tape would
      // save (copy) the whole training set for its backward pass at every step.
      const { x, y } = batchOf(j);
      const { value, grads } = tf.variableGrads(() => lossOf(x, y), vars);
      peakBytes = Math.max(peakBytes, tf.memory().numBytes);
      const g = vars.map((v) => grads[v.name]);
      const acc = sum; // a const stays narrowed inside the callback below
      return {
        sum: acc ? g.map((x, i) => tf.add(acc[i], x)) : g,
        loss: lossSum ? tf.add<tf.Scalar>(lossSum, value) : value,
        microSq: stats && k > 1 ? (microSq ? tf.add<tf.Scalar>(microSq, squaredNorm(g)) : squaredNorm(g)) : undefined,
      };
    });
    release();
    sum = next.sum;
    lossSum = next.loss;
    microSq = next.microSq;
  }
  const out = tf.tidy(() => {
    // k = 1: the sum is the mean; keep the tensors instead of copying them.
    const mean = k > 1 ? sum!.map((s) => tf.div(s, k)) : sum!;
    const grads: tf.NamedTensorMap = {};
    vars.forEach((v, i) => {
      grads[v.name] = mean[i];
    });
    return {
      grads,
      loss: k > 1 ? tf.div<tf.Scalar>(lossSum!, k) : lossSum!,
      gradSqNorm: stats ? squaredNorm(mean) : undefined,
      microGradSqNorm: microSq ? tf.div<tf.Scalar>(microSq, k) : undefined,
    };
  });
  if (k > 1) release(); // with k = 1 the accumulators are the returned tensors
  return { ...out, peakBytes };
}
