// Real training in the real child process (dist/trainer.js, forked by the runner) on the real
// MNIST digits: the loss falls, metrics are complete, the same seed gives the same losses,
// the backend choice falls back with its reason, and CNNs train on wasm.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { createTrainerRunner } from '../../src/core/runner/trainerProcess';
import type { TrialResult } from '../../src/core/types';
import { ensureTrainerBundle, mlpConfig, trialSpec } from '../fixtures/trainer/helpers';

before(() => {
  ensureTrainerBundle();
});

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

test('a short real MNIST run: loss falls, metrics and noise statistics are reported', async () => {
  const ready: string[] = [];
  const result = await createTrainerRunner()(trialSpec({ maxSteps: 60, microBatches: 4, evalEvery: 30 }), { onReady: (r) => ready.push(r.backend) });
  assert.equal(result.status, 'ok', JSON.stringify(result.error));
  assert.equal(result.backend, 'wasm');
  assert.match(result.backendReason!, /tfjs-node not installed/);
  assert.deepEqual(ready, ['wasm']);
  assert.equal(result.steps.length, 60);
  const losses = result.steps.map((s) => s.loss);
  assert.ok(mean(losses.slice(-10)) < 0.6 * losses[0], `loss ${losses[0]} -> ${mean(losses.slice(-10))}`);
  const s = result.steps[59];
  assert.equal(s.step, 60);
  assert.equal(s.samples, 60 * 64);
  assert.equal(s.batchSize, 64);
  assert.equal(s.learningRate, 0.001);
  assert.equal(s.microBatchSize, 16);
  // |g_B|^2 <= mean |g_b|^2: averaging over more samples shrinks the noise (McCandlish et al. 2018, eq. A.1).
  const ratio = mean(result.steps.map((m) => m.microGradSqNorm! / m.gradSqNorm!));
  assert.ok(ratio > 1, `micro/full squared-norm ratio ${ratio}`);
  assert.ok(s.peakMemoryBytes! >= s.memoryBytes! && s.memoryBytes! > 784 * 2000 * 4, 'the training data lives in tensors');
  assert.ok(s.rssBytes! > 10e6);
  assert.ok(result.samplesPerSecond! > 0 && result.samplesPerSecondIqr![0] <= result.samplesPerSecondIqr![1]);
  assert.equal(result.peakMemoryBytes, Math.max(...result.steps.map((m) => m.peakMemoryBytes!)));
  // Evaluations at steps 30 and 60 (the end), on the 500 held-out digits.
  assert.deepEqual(
    result.evals.map((e) => e.step),
    [30, 60],
  );
  assert.ok(result.evals[1].valAccuracy! > 0.7, `accuracy ${result.evals[1].valAccuracy}`);
});

test('the same seed gives the same losses; another seed different ones', async () => {
  const run = (seed: number) => createTrainerRunner()(trialSpec({ maxSteps: 8, seed, evalEvery: 0 }), {});
  const [a, b, c] = [await run(3), await run(3), await run(4)];
  const losses = (r: TrialResult) => r.steps.map((s) => s.loss);
  assert.equal(a.status, 'ok');
  assert.deepEqual(losses(a), losses(b));
  assert.notDeepEqual(losses(a), losses(c));
});

test('backend fallback: forcing node without tfjs-node falls back to wasm with the reason; cpu can be forced', async () => {
  const node = await createTrainerRunner({ env: { BATCH_TUNER_BACKEND: 'node' } })(trialSpec({ maxSteps: 2 }), {});
  assert.equal(node.status, 'ok');
  assert.equal(node.backend, 'wasm');
  assert.match(node.backendReason!, /tfjs-node not installed \(Cannot find module '@tensorflow\/tfjs-node'\); using wasm \(SIMD, 1 thread\)/);
  const cpu = await createTrainerRunner({ env: { BATCH_TUNER_BACKEND: 'cpu' } })(trialSpec({ maxSteps: 2 }), {});
  assert.equal(cpu.status, 'ok');
  assert.equal(cpu.backend, 'cpu');
  assert.match(cpu.backendReason!, /forced by BATCH_TUNER_BACKEND=cpu/);
});

test('a CNN trains on the wasm backend (with the registered Conv2DBackpropFilter kernel)', async () => {
  const config = mlpConfig({ model: { type: 'cnn', filters: [8, 16], kernel_size: 3, dense: [32] }, optimizer: { name: 'adam', learning_rate: 0.003 } });
  const r = await createTrainerRunner()(trialSpec({ maxSteps: 25, batchSize: 32, learningRate: 0.003 }, config), {});
  assert.equal(r.status, 'ok', JSON.stringify(r.error));
  assert.equal(r.backend, 'wasm');
  const losses = r.steps.map((s) => s.loss);
  assert.ok(mean(losses.slice(-5)) < 0.8 * losses[0], `loss ${losses[0]} -> ${mean(losses.slice(-5))}`);
});

test('synthetic regression and sgd/momentum optimizers train; setBatchSize-free schedule keeps the batch size', async () => {
  const config = mlpConfig({
    model: { type: 'linear' },
    data: { source: 'synthetic', task: 'regression', samples: 1024, features: 8, noise: 0.1, seed: 2 },
    optimizer: { name: 'momentum', learning_rate: 0.05, momentum: 0.9 },
    batch_size: 32,
  });
  const r = await createTrainerRunner()(trialSpec({ maxSteps: 60, batchSize: 32, learningRate: 0.05 }, config), {});
  assert.equal(r.status, 'ok', JSON.stringify(r.error));
  const losses = r.steps.map((s) => s.loss);
  // The teacher's label noise (std 0.1) is the floor: mse ~ 0.01.
  assert.ok(mean(losses.slice(-10)) < 0.1 * losses[0] && mean(losses.slice(-10)) < 0.1, `loss ${losses[0]} -> ${mean(losses.slice(-10))}`);
  assert.equal(r.evals.at(-1)!.valAccuracy, undefined);
  assert.ok(r.steps.every((s) => s.batchSize === 32));
});

test('maxSeconds ends training on time, with a final evaluation', async () => {
  const t0 = Date.now();
  const r = await createTrainerRunner()(trialSpec({ maxSteps: 1_000_000, maxSeconds: 0.5 }), {});
  assert.equal(r.status, 'ok');
  assert.ok(r.steps.length > 1 && r.steps.at(-1)!.time < 1.5, `${r.steps.length} steps, last at ${r.steps.at(-1)?.time} s`);
  assert.equal(r.evals.at(-1)!.step, r.steps.length);
  assert.ok(Date.now() - t0 < 10_000);
});
