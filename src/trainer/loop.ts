// The hand-written training loop (not model.fit): per step it asks the batch-size schedule
// for the batch size and learning rate in force, gathers a shuffled batch on the device,
// computes gradients over micro-batches (noise statistics for free), applies the mean
// gradient, and reports one `step` message from a single small data read.
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type { EvalMetrics, StepMetrics, TrialSpec } from '../core/types';
import type { TrainerToHost } from '../core/protocol';
import { createScheduleController, scheduleNeedsGradientStatistics } from '../core/schedule';
import { loadDataset, type ArrayDataset } from './data';
import { buildModel } from './models';
import { computeStepGradients } from './gradients';
import { meanLoss, type LossKind } from './losses';
import { createOptimizer, setLearningRate } from './optimizers';
import { createRng, permutation } from './random';

export interface LoopIO {
  send(msg: TrainerToHost): void;
  isStopped(): boolean;
  /** A batch size the host asked for (setBatchSize), consumed once read. */
  takeBatchSizeRequest(): { batchSize: number; learningRate?: number } | undefined;
}

export interface LoopOptions {
  /** Compute |g_B|^2 (and the micro-batch norms). Off only to measure the statistics' cost. */
  gradStats?: boolean;
}

export interface LoopSummary {
  steps: number;
  samples: number;
  wallSeconds: number;
  stopped: boolean;
}

/** Micro-batches per step when the schedule needs noise statistics and the spec names none. */
export const DEFAULT_SCHEDULE_MICRO_BATCHES = 4;

const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Largest divisor of b that is <= k (so micro-batches are equal-sized, which the exact-mean identity needs). */
export function microBatchCount(b: number, k: number): number {
  for (let d = Math.min(k, b); d > 1; d--) if (b % d === 0) return d;
  return 1;
}

/** Device-resident data: features [n, d] and targets (class indices or values). */
interface DeviceData {
  xTrain: tf.Tensor2D;
  yTrain: tf.Tensor;
  xVal: tf.Tensor2D;
  yVal: tf.Tensor;
}

function toDevice(ds: ArrayDataset): DeviceData {
  const targets = (y: Float32Array) => (ds.task === 'classification' ? tf.tensor1d(Int32Array.from(y), 'int32') : tf.tensor2d(y, [y.length, 1]));
  return {
    xTrain: tf.tensor2d(ds.xTrain, [ds.numTrain, ds.features]),
    yTrain: targets(ds.yTrain),
    xVal: tf.tensor2d(ds.xVal, [ds.numVal, ds.features]),
    yVal: targets(ds.yVal),
  };
}

export async function runTraining(spec: TrialSpec, io: LoopIO, opts: LoopOptions = {}): Promise<LoopSummary> {
  const config = spec.config;
  const configDir = path.dirname(spec.configPath);
  const ds = loadDataset(config, configDir, spec.seed);
  io.send({ v: 1, type: 'alive' });
  const data = toDevice(ds);
  const { model, outputsProbabilities } = await buildModel(config.model, ds, spec.seed, configDir);
  io.send({ v: 1, type: 'alive' });
  const lossKind: LossKind = config.loss ?? (ds.task === 'classification' ? 'cross_entropy' : 'mse');
  if (lossKind === 'cross_entropy' && ds.task === 'regression') throw Object.assign(new Error('loss "cross_entropy" needs a classification task; use loss: mse'), { kind: 'config' });
  const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const optimizer = createOptimizer(config.optimizer, spec.learningRate);

  const scheduleSpec = spec.schedule ?? config.batch_schedule;
  const lrScaling = config.tuner?.lr_scaling ?? config.tuner?.lr_rule ?? 'linear';
  const schedule = createScheduleController(scheduleSpec, {
    batchSize: spec.batchSize,
    learningRate: spec.learningRate,
    lrScaling,
    datasetSize: ds.numTrain,
    maxBatchSize: spec.maxBatchSize,
  });
  const maxSteps = spec.maxSteps ?? config.steps;
  const maxSamples = maxSteps === undefined ? (config.epochs ?? 1) * ds.numTrain : Infinity;
  const evalEvery = spec.evalEvery ?? config.eval_every ?? 50;
  // An adaptive schedule (or AdaScale) steers by the noise statistics, which need micro-batches.
  const wantedMicro = spec.microBatches ?? (scheduleNeedsGradientStatistics(scheduleSpec, lrScaling) ? DEFAULT_SCHEDULE_MICRO_BATCHES : 0);
  const stats = opts.gradStats ?? true;

  const rng = createRng(spec.seed);
  let order = permutation(ds.numTrain, rng);
  let cursor = 0;
  const nextIndices = (b: number): Int32Array => {
    const out = new Int32Array(b);
    for (let i = 0; i < b; i++) {
      if (cursor === ds.numTrain) { order = permutation(ds.numTrain, rng); cursor = 0; }
      out[i] = order[cursor++];
    }
    return out;
  };

  const forward = (x: tf.Tensor) => model.apply(x, { training: true }) as tf.Tensor;
  const evaluate = (step: number, samples: number, time: number): EvalMetrics => {
    const chunk = 1000;
    let lossSum = 0, correct = 0;
    for (let i = 0; i < ds.numVal; i += chunk) {
      const n = Math.min(chunk, ds.numVal - i);
      const r = tf.tidy(() => {
        const x = tf.slice(data.xVal, [i, 0], [n, ds.features]);
        const y = tf.slice(data.yVal, i, n);
        const out = model.apply(x, { training: false }) as tf.Tensor;
        const l = tf.mul(meanLoss(lossKind, out, y, ds.outputs, outputsProbabilities), n);
        const c = ds.task === 'classification' ? tf.cast(tf.sum(tf.cast(tf.equal(tf.argMax(out, -1), tf.cast(y, 'int32')), 'float32')), 'float32') : tf.scalar(0);
        return tf.stack([l, c]);
      });
      const [l, c] = r.dataSync();
      r.dispose();
      lossSum += l; correct += c;
    }
    return { step, samples, time, valLoss: lossSum / ds.numVal, ...(ds.task === 'classification' ? { valAccuracy: correct / ds.numVal } : {}) };
  };

  let step = 0, samples = 0, peak = 0, last: StepMetrics | undefined, rssBytes = 0;
  let hostRequest: { batchSize: number; learningRate?: number } | undefined;
  let currentLr = spec.learningRate;
  const start = performance.now();
  const elapsed = () => (performance.now() - start) / 1000;
  let lastEvalStep = -1;

  while (step < (maxSteps ?? Infinity) && samples < maxSamples) {
    await yieldToEventLoop(); // lets `stop` / `setBatchSize` messages in
    if (io.isStopped()) break;
    if (spec.maxSeconds !== undefined && elapsed() >= spec.maxSeconds) break;
    // A host request (setBatchSize) overrides the schedule from then on.
    hostRequest = io.takeBatchSizeRequest() ?? hostRequest;
    const planned = schedule.next({ step, samples, epoch: Math.floor(samples / ds.numTrain), last });
    const batchSize = Math.min(ds.numTrain, Math.max(1, Math.round(hostRequest?.batchSize ?? planned.batchSize)));
    const lr = hostRequest ? (hostRequest.learningRate ?? currentLr) : planned.learningRate;
    if (lr !== currentLr) { setLearningRate(optimizer, lr); currentLr = lr; }
    const k = wantedMicro >= 2 ? microBatchCount(batchSize, wantedMicro) : 1;
    const micro = batchSize / k;
    const epoch = Math.floor(samples / ds.numTrain);

    const t0 = performance.now();
    const idx = nextIndices(batchSize);
    const g = computeStepGradients(
      (j) => {
        const sub = tf.tensor1d(idx.subarray(j * micro, (j + 1) * micro), 'int32');
        return { x: tf.gather(data.xTrain, sub), y: tf.gather(data.yTrain, sub) };
      },
      (x, y) => meanLoss(lossKind, forward(x), y, ds.outputs, outputsProbabilities),
      vars, k, { stats, shouldStop: io.isStopped },
    );
    if (!g) break;
    optimizer.applyGradients(g.grads);
    const packed = tf.tidy(() => tf.stack([g.loss, g.gradSqNorm ?? tf.scalar(0), g.microGradSqNorm ?? tf.scalar(0)]));
    const [loss, gradSqNorm, microGradSqNorm] = packed.dataSync(); // the one read per step
    packed.dispose();
    g.loss.dispose(); g.gradSqNorm?.dispose(); g.microGradSqNorm?.dispose();
    tf.dispose(g.grads);
    const stepTimeMs = performance.now() - t0;

    step++;
    samples += batchSize;
    const memoryBytes = tf.memory().numBytes;
    // Reading RSS is a syscall; every 10th step is plenty for a memory chart.
    if (step % 10 === 1) rssBytes = process.memoryUsage.rss();
    peak = Math.max(peak, g.peakBytes, memoryBytes);
    last = {
      step, epoch, samples, loss, batchSize, learningRate: currentLr, stepTimeMs,
      samplesPerSecond: batchSize / (stepTimeMs / 1000), time: elapsed(),
      memoryBytes, peakMemoryBytes: peak, rssBytes,
      ...(stats ? { gradSqNorm } : {}),
      ...(stats && k > 1 ? { microGradSqNorm, microBatchSize: micro } : {}),
    };
    io.send({ v: 1, type: 'step', metrics: last });
    if (evalEvery > 0 && step % evalEvery === 0) {
      io.send({ v: 1, type: 'eval', metrics: evaluate(step, samples, elapsed()) });
      lastEvalStep = step;
    }
  }
  const stopped = io.isStopped();
  if (!stopped && step > 0 && lastEvalStep !== step) io.send({ v: 1, type: 'eval', metrics: evaluate(step, samples, elapsed()) });
  const wallSeconds = elapsed();
  optimizer.dispose();
  model.dispose();
  tf.dispose([data.xTrain, data.yTrain, data.xVal, data.yVal]);
  return { steps: step, samples, wallSeconds, stopped };
}
