// The gradient-noise statistics of one step, against values computed by hand:
// a linear model y = x.w + b with fixed weights, mean squared error, a tiny dataset.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { computeStepGradients, squaredNorm } from '../../src/trainer/gradients';
import { microBatchCount } from '../../src/trainer/microBatches';

const X = [
  [1, 2],
  [0, -1],
  [3, 1],
  [-2, 0.5],
];
const Y = [1, 0, 2, -1];
const W = [0.5, -0.25];
const B = 0.1;

/** Hand gradient of mean((x.w + b - y)^2) over rows `rows`: dL/dw = (2/n) sum r_i x_i, dL/db = (2/n) sum r_i. */
function handGradient(rows: number[]): number[] {
  const n = rows.length;
  const g = [0, 0, 0];
  for (const i of rows) {
    const r = X[i][0] * W[0] + X[i][1] * W[1] + B - Y[i];
    g[0] += (2 / n) * r * X[i][0];
    g[1] += (2 / n) * r * X[i][1];
    g[2] += (2 / n) * r;
  }
  return g;
}
const sq = (g: number[]) => g.reduce((s, v) => s + v * v, 0);

test('gradSqNorm and microGradSqNorm match a hand computation (k = 2 micro-batches)', async () => {
  await tf.setBackend('cpu');
  const w = tf.variable(tf.tensor2d(W, [2, 1]), true, 'w');
  const b = tf.variable(tf.scalar(B), true, 'b');
  const x = tf.tensor2d(X);
  const y = tf.tensor2d(Y, [4, 1]);
  const batchOf = (j: number) => ({ x: tf.slice(x, [j * 2, 0], [2, 2]), y: tf.slice(y, [j * 2, 0], [2, 1]) });
  const lossOf = (xs: tf.Tensor, ys: tf.Tensor) => tf.mean<tf.Scalar>(tf.square(tf.sub(tf.add(tf.matMul(xs, w), b), ys)));
  const before = tf.memory().numTensors;
  const r = computeStepGradients(batchOf, lossOf, [w, b], 2)!;
  const full = handGradient([0, 1, 2, 3]);
  const micro = [handGradient([0, 1]), handGradient([2, 3])];
  // The mean of the micro-batch gradients is the full-batch gradient.
  assert.deepEqual(
    [...(await r.grads.w.data()), ...(await r.grads.b.data())].map((v) => +v.toFixed(5)),
    full.map((v) => +v.toFixed(5)),
  );
  assert.ok(Math.abs((await r.gradSqNorm!.data())[0] - sq(full)) < 1e-5, 'gradSqNorm = |g_B|^2');
  assert.ok(Math.abs((await r.microGradSqNorm!.data())[0] - (sq(micro[0]) + sq(micro[1])) / 2) < 1e-5, 'microGradSqNorm = mean |g_b|^2');
  // Mean loss over the batch.
  const residuals = X.map((row, i) => row[0] * W[0] + row[1] * W[1] + B - Y[i]);
  assert.ok(Math.abs((await r.loss.data())[0] - residuals.reduce((s, v) => s + v * v, 0) / 4) < 1e-6);
  // Nothing leaks: only the returned tensors remain.
  tf.dispose([r.loss, r.gradSqNorm!, r.microGradSqNorm!, ...Object.values(r.grads)]);
  assert.equal(tf.memory().numTensors, before);
  tf.dispose([w, b, x, y]);
});

test('a single pass gives gradSqNorm only; statistics off gives neither', async () => {
  await tf.setBackend('cpu');
  const w = tf.variable(tf.tensor2d(W, [2, 1]), true, 'w1');
  const b = tf.variable(tf.scalar(B), true, 'b1');
  const x = tf.tensor2d(X),
    y = tf.tensor2d(Y, [4, 1]);
  const lossOf = (xs: tf.Tensor, ys: tf.Tensor) => tf.mean<tf.Scalar>(tf.square(tf.sub(tf.add(tf.matMul(xs, w), b), ys)));
  const whole = () => ({ x, y });
  const before = tf.memory().numTensors;
  const one = computeStepGradients(whole, lossOf, [w, b], 1)!;
  assert.equal(one.microGradSqNorm, undefined);
  assert.ok(Math.abs((await one.gradSqNorm!.data())[0] - sq(handGradient([0, 1, 2, 3]))) < 1e-5);
  const off = computeStepGradients(whole, lossOf, [w, b], 1, { stats: false })!;
  assert.equal(off.gradSqNorm, undefined);
  assert.ok(one.peakBytes > 0);
  tf.dispose([one.loss, one.gradSqNorm!, off.loss, ...Object.values(one.grads), ...Object.values(off.grads)]);
  assert.equal(tf.memory().numTensors, before, 'k = 1 leaks nothing either');
  tf.dispose([w, b, x, y]);
});

test('a stop request between micro-batches abandons the step and frees its tensors', async () => {
  await tf.setBackend('cpu');
  const w = tf.variable(tf.tensor2d(W, [2, 1]), true, 'w2');
  const x = tf.tensor2d(X),
    y = tf.tensor2d(Y, [4, 1]);
  const before = tf.memory().numTensors;
  let calls = 0;
  const r = computeStepGradients(
    () => ({ x, y }),
    (xs, ys) => {
      calls++;
      return tf.mean<tf.Scalar>(tf.square(tf.sub(tf.matMul(xs, w), ys)));
    },
    [w],
    4,
    { shouldStop: () => calls >= 2 },
  );
  assert.equal(r, undefined);
  assert.equal(calls, 2);
  assert.equal(tf.memory().numTensors, before);
  tf.dispose([w, x, y]);
});

test('squaredNorm concatenates all tensors; microBatchCount keeps micro-batches equal', () => {
  const n = squaredNorm([
    tf.tensor1d([3]),
    tf.tensor2d([
      [1, 2],
      [2, 4],
    ]),
  ]);
  assert.equal(n.dataSync()[0], 9 + 1 + 4 + 4 + 16);
  assert.equal(microBatchCount(64, 4), 4);
  assert.equal(microBatchCount(30, 4), 3);
  assert.equal(microBatchCount(7, 4), 1);
  assert.equal(microBatchCount(2, 4), 2);
});
