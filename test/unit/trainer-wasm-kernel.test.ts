// The Conv2DBackpropFilter kernel registered for the wasm backend (it has none of its own)
// against the cpu backend's kernel, on random inputs, for several shapes/strides/paddings.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-layers'; // registers the gradient functions
import { chooseBackend } from '../../src/trainer/backend';

type Case = { x: [number, number, number, number]; filter: [number, number, number, number]; strides: number; pad: 'same' | 'valid' };
const cases: Case[] = [
  { x: [2, 9, 9, 3], filter: [3, 3, 3, 4], strides: 1, pad: 'same' },
  { x: [3, 10, 8, 2], filter: [5, 3, 2, 6], strides: 2, pad: 'valid' },
  { x: [2, 7, 7, 4], filter: [3, 3, 4, 5], strides: 2, pad: 'same' },
  { x: [8, 14, 14, 8], filter: [3, 3, 8, 16], strides: 1, pad: 'same' },
];

function filterGrad(c: Case, xv: Float32Array, dyShape: number[], dyv: Float32Array): Float32Array {
  const x = tf.tensor4d(xv, c.x),
    dy = tf.tensor(dyv, dyShape);
  const g = tf
    .engine()
    .runKernel<tf.Tensor>('Conv2DBackpropFilter', { x, dy }, { strides: [c.strides, c.strides], pad: c.pad, dataFormat: 'NHWC', filterShape: c.filter });
  const out = g.dataSync() as Float32Array;
  tf.dispose([x, dy, g]);
  return out;
}

test('wasm Conv2DBackpropFilter equals the cpu kernel within 1e-4', async () => {
  const choice = await chooseBackend('wasm');
  assert.equal(choice.backend, 'wasm', choice.reason);
  for (const c of cases) {
    const info = tf.backend_util.computeConv2DInfo(c.x, c.filter, c.strides, 1, c.pad);
    const dyShape = [info.batchSize, info.outHeight, info.outWidth, info.outChannels];
    const xv = tf.randomNormal(c.x, 0, 1, 'float32', 7).dataSync() as Float32Array;
    const dyv = tf.randomNormal(dyShape, 0, 1, 'float32', 11).dataSync() as Float32Array;
    await tf.setBackend('wasm');
    const before = tf.memory().numBytes;
    const onWasm = filterGrad(c, xv, dyShape, dyv);
    assert.equal(tf.memory().numBytes, before, 'the kernel releases its temporaries');
    await tf.setBackend('cpu');
    const onCpu = filterGrad(c, xv, dyShape, dyv);
    assert.equal(onWasm.length, onCpu.length);
    let worst = 0;
    for (let i = 0; i < onCpu.length; i++) worst = Math.max(worst, Math.abs(onWasm[i] - onCpu[i]) / Math.max(1, Math.abs(onCpu[i])));
    assert.ok(worst < 1e-4, `${JSON.stringify(c)}: max relative difference ${worst}`);
  }
});

test('a Conv2D model trains on wasm (gradients flow through the registered kernel)', async () => {
  await tf.setBackend('wasm');
  const w = tf.variable(tf.randomNormal([3, 3, 1, 2], 0, 0.5, 'float32', 3));
  const x = tf.randomNormal([4, 6, 6, 1], 0, 1, 'float32', 5);
  const target = tf.randomNormal([4, 6, 6, 2], 0, 1, 'float32', 9);
  const loss = () => tf.mean<tf.Scalar>(tf.square(tf.sub(tf.conv2d(x as tf.Tensor4D, w as unknown as tf.Tensor4D, 1, 'same'), target)));
  const opt = tf.train.sgd(0.1);
  const first = loss().dataSync()[0];
  for (let i = 0; i < 20; i++) opt.minimize(loss);
  const last = loss().dataSync()[0];
  assert.ok(last < first * 0.9, `loss ${first} -> ${last}`);
  tf.dispose([w, x, target]);
  opt.dispose();
});
