// Datasets and models of the trainer, in-process on the cpu backend: the real MNIST file,
// CSV parsing with located errors, seeded synthetic data, and a TF.js Layers model loaded
// from model.json + weights through the trainer's own file IOHandler.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import '@tensorflow/tfjs-backend-cpu';
import { loadMnist } from '../../src/trainer/data/mnist';
import { loadCsv } from '../../src/trainer/data/csv';
import { makeSynthetic } from '../../src/trainer/data/synthetic';
import { buildModel } from '../../src/trainer/models';
import { validateTrialSpec } from '../../src/trainer/validateSpec';
import { mlpConfig, trialSpec } from '../fixtures/trainer/helpers';

test('MNIST: 8000/2000 real digits by default, pixels in [0,1], all ten classes', () => {
  const d = loadMnist({});
  assert.equal(d.numTrain, 8000);
  assert.equal(d.numVal, 2000);
  assert.equal(d.xTrain.length, 8000 * 784);
  assert.deepEqual(d.imageShape, [28, 28, 1]);
  assert.deepEqual([...new Set(d.yTrain)].sort(), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  let max = 0,
    min = 1;
  for (const v of d.xVal) {
    max = Math.max(max, v);
    min = Math.min(min, v);
  }
  assert.equal(min, 0);
  assert.equal(max, 1);
  assert.throws(() => loadMnist({ trainSamples: 9000, testSamples: 2000 }), /train_samples \+ data.test_samples must be between 2 and 10000/);
});

test('CSV: string labels become classes, features are standardised, bad cells are located', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'bt-csv-'));
  try {
    const rows = ['a,b,kind'];
    for (let i = 0; i < 50; i++) rows.push(`${i},${100 + 2 * i},${i % 2 ? 'cat' : 'dog'}`);
    writeFileSync(path.join(dir, 'd.csv'), rows.join('\n'));
    const d = loadCsv({ file: path.join(dir, 'd.csv'), label: 'kind', validationSplit: 0.2, seed: 1 });
    assert.equal(d.task, 'classification');
    assert.equal(d.outputs, 2);
    assert.equal(d.numTrain + d.numVal, 50);
    assert.equal(d.numVal, 10);
    const colMean = (f: number) => {
      let s = 0;
      for (let i = 0; i < d.numTrain; i++) s += d.xTrain[i * 2 + f];
      return s / d.numTrain;
    };
    assert.ok(Math.abs(colMean(0)) < 1e-5 && Math.abs(colMean(1)) < 1e-5);
    writeFileSync(path.join(dir, 'bad.csv'), 'x,y\n1,2\n3,oops\n');
    assert.throws(() => loadCsv({ file: path.join(dir, 'bad.csv'), label: 'x' }), /bad\.csv:3:2: "oops" in column "y" is not a number/);
    assert.throws(() => loadCsv({ file: path.join(dir, 'bad.csv'), label: 'z' }), /bad\.csv:1:1: label column "z" not found \(columns: x, y\)/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('synthetic data is seeded; regression targets follow a linear teacher plus the stated noise', () => {
  const a = makeSynthetic({ task: 'regression', samples: 4000, features: 4, noise: 0.3, seed: 7 });
  const b = makeSynthetic({ task: 'regression', samples: 4000, features: 4, noise: 0.3, seed: 7 });
  const c = makeSynthetic({ task: 'regression', samples: 4000, features: 4, noise: 0.3, seed: 8 });
  assert.deepEqual(a.yTrain, b.yTrain);
  assert.notDeepEqual(a.yTrain, c.yTrain);
  // Least squares on the training rows recovers the teacher; the residual std is the noise.
  const n = a.numTrain,
    d = 5;
  const X = tf.concat([tf.tensor2d(a.xTrain, [n, 4]), tf.ones([n, 1])], 1);
  const y = tf.tensor2d(a.yTrain, [n, 1]);
  const Xt = tf.transpose(X);
  const xtx = tf.matMul(Xt, X).arraySync() as number[][],
    xty = (tf.matMul(Xt, y).arraySync() as number[][]).map((r) => r[0]);
  // Solve the 5x5 normal equations by Gaussian elimination.
  for (let i = 0; i < d; i++)
    for (let j = i + 1; j < d; j++) {
      const f = xtx[j][i] / xtx[i][i];
      for (let k = i; k < d; k++) xtx[j][k] -= f * xtx[i][k];
      xty[j] -= f * xty[i];
    }
  const w = new Array(d).fill(0);
  for (let i = d - 1; i >= 0; i--) {
    let s = xty[i];
    for (let k = i + 1; k < d; k++) s -= xtx[i][k] * w[k];
    w[i] = s / xtx[i][i];
  }
  const resid = tf.sub(y, tf.matMul(X, tf.tensor2d(w, [d, 1])));
  const std = Math.sqrt(tf.mean(tf.square(resid)).dataSync()[0]);
  assert.ok(Math.abs(std - 0.3) < 0.02, `residual std ${std}`);
  const k = makeSynthetic({ task: 'classification', samples: 1000, features: 3, classes: 4, seed: 1 });
  assert.equal(k.outputs, 4);
  assert.deepEqual([...new Set(k.yTrain)].sort(), [0, 1, 2, 3]);
});

test('a TF.js Layers model.json (+ weights) loads through the file IOHandler with its weights', async () => {
  await tf.setBackend('cpu');
  const dir = mkdtempSync(path.join(os.tmpdir(), 'bt-layers-'));
  try {
    const original = tfl.sequential({
      layers: [tfl.layers.dense({ units: 5, activation: 'relu', inputShape: [3] }), tfl.layers.dense({ units: 2, activation: 'softmax' })],
    });
    await original.save({
      save: async (a) => {
        writeFileSync(path.join(dir, 'weights.bin'), Buffer.from(a.weightData as ArrayBuffer));
        writeFileSync(
          path.join(dir, 'model.json'),
          JSON.stringify({ format: 'layers-model', modelTopology: a.modelTopology, weightsManifest: [{ paths: ['weights.bin'], weights: a.weightSpecs }] }),
        );
        return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
      },
    });
    const built = await buildModel({ type: 'layers', path: 'model.json' }, { features: 3, outputs: 2 }, 0, dir);
    assert.equal(built.outputsProbabilities, true);
    const x = tf.tensor2d([
      [0.5, -1, 2],
      [1, 1, 1],
    ]);
    const want = (original.predict(x) as tf.Tensor).arraySync();
    const got = (built.model.predict(x) as tf.Tensor).arraySync();
    assert.deepEqual(got, want);
    await assert.rejects(buildModel({ type: 'layers', path: 'missing.json' }, { features: 3, outputs: 2 }, 0, dir), /missing\.json/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('built-in models: seeded weights, cnn needs images', async () => {
  await tf.setBackend('cpu');
  const a = await buildModel({ type: 'mlp', hidden: [8] }, { features: 4, outputs: 3 }, 5, '.');
  const b = await buildModel({ type: 'mlp', hidden: [8] }, { features: 4, outputs: 3 }, 5, '.');
  assert.deepEqual(a.model.getWeights()[0].arraySync(), b.model.getWeights()[0].arraySync());
  assert.equal(a.outputsProbabilities, false);
  await assert.rejects(buildModel({ type: 'cnn' }, { features: 4, outputs: 3 }, 5, '.'), /"cnn" needs image data/);
  const lin = await buildModel({ type: 'linear' }, { features: 4, outputs: 1 }, 0, '.');
  assert.equal(lin.model.countParams(), 5);
});

test('validateTrialSpec names each problem', () => {
  assert.deepEqual(validateTrialSpec(trialSpec()), []);
  const bad = validateTrialSpec(
    trialSpec({ batchSize: 0, maxSeconds: -1, evalEvery: 1.5 }, mlpConfig({ data: { source: 'synthetic' } as never, loss: 'hinge' as never })),
  );
  assert.ok(bad.some((p) => /data\.task must be "classification" or "regression"/.test(p)));
  assert.ok(bad.some((p) => /loss must be "cross_entropy" or "mse" \(got "hinge"\)/.test(p)));
  assert.ok(bad.some((p) => /batchSize must be a positive integer \(got 0\)/.test(p)));
  assert.ok(bad.some((p) => /maxSeconds must be > 0/.test(p)));
  assert.ok(bad.some((p) => /evalEvery must be an integer >= 0/.test(p)));
});
