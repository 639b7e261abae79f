// The hand-written training loop (not model.fit): per step it asks the batch-size schedule
// for the batch size and learning rate in force, gathers a shuffled batch on the device,
// computes gradients over micro-batches (accumulation and noise statistics in one pass),
// applies the mean gradient, and reports one `step` message from a single small data read.
// Checkpoints (issue 11) are written every N steps and when the trial ends; a run given
// `resumeFrom` starts from a checkpoint's state instead of fresh weights.
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type { StepMetrics, TrialSpec } from '../core/types';
import type { TrainerToHost } from '../core/protocol';
import { computeStepGradients } from './gradients';
import { meanLoss } from './losses';
import { setLearningRate } from './optimizers';
import { microBatchesFor } from './microBatches';
import { createRun, type TrainingRun } from './run';
import { evaluate } from './evaluate';
import { readCheckpointFile } from './checkpoint/files';
import { restoreRunState } from './checkpoint/state';
import { checkpointPlan, isPeriodicStep, periodicCheckpointPath, writeCheckpoint, type CheckpointPlan } from './checkpoint/writer';

/** Functions, not methods: the loop passes them on unbound (main.ts gives closures). */
export interface LoopIO {
  send: (msg: TrainerToHost) => void;
  isStopped: () => boolean;
  /** A batch size the host asked for (setBatchSize), consumed once read. */
  takeBatchSizeRequest: () => { batchSize: number; learningRate?: number } | undefined;
}

export interface LoopOptions {
  /** Compute |g_B|^2 (and the micro-batch norms). Off only to measure the statistics' cost. */
  gradStats?: boolean;
}

export interface LoopSummary {
  /** Optimizer steps of the whole run (a resumed run counts its checkpoint's steps too). */
  steps: number;
  samples: number;
  wallSeconds: number;
  stopped: boolean;
}

const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/** A fresh run, or (resumeFrom) one carrying on from a checkpoint; the file is checked before anything is built. */
async function startRun(spec: TrialSpec, io: LoopIO): Promise<TrainingRun> {
  const alive = () => io.send({ v: 1, type: 'alive' });
  if (!spec.resumeFrom) return createRun(spec, alive);
  const saved = readCheckpointFile(path.resolve(spec.resumeFrom));
  // The checkpoint's data seed: a synthetic or CSV split made from another seed would be other data.
  const run = await createRun(spec, alive, saved.header.run.dataSeed);
  try {
    await restoreRunState(run, saved, (level, message) => io.send({ v: 1, type: 'log', level, message }));
  } catch (e) {
    run.dispose();
    throw e;
  }
  return run;
}

/** One optimizer step; undefined when a stop arrived between its micro-batches (nothing applied, data order rewound). */
function trainStep(run: TrainingRun, io: LoopIO, stats: boolean, plan: CheckpointPlan | undefined): { metrics: StepMetrics; peakBytes: number } | undefined {
  const p = run.progress,
    ds = run.ds;
  p.hostRequest = io.takeBatchSizeRequest() ?? p.hostRequest;
  const planned = run.schedule.next({ step: p.step, samples: p.samples, epoch: Math.floor(p.samples / ds.numTrain), last: p.last });
  const batchSize = Math.min(ds.numTrain, Math.max(1, Math.round(p.hostRequest?.batchSize ?? planned.batchSize)));
  const lr = p.hostRequest ? (p.hostRequest.learningRate ?? p.currentLr) : planned.learningRate;
  if (lr !== p.currentLr) {
    setLearningRate(run.optimizer, lr);
    p.currentLr = lr;
  }
  const k = microBatchesFor(batchSize, run.policy);
  const micro = batchSize / k;
  const epoch = Math.floor(p.samples / ds.numTrain);

  const t0 = performance.now();
  const mark = plan ? run.order.state() : undefined; // only a checkpoint can observe an abandoned step
  const idx = run.order.take(batchSize);
  const g = computeStepGradients(
    (j) => {
      const sub = tf.tensor1d(idx.subarray(j * micro, (j + 1) * micro), 'int32');
      return { x: tf.gather(run.data.xTrain, sub), y: tf.gather(run.data.yTrain, sub) };
    },
    (x, y) => meanLoss(run.lossKind, run.model.apply(x, { training: true }) as tf.Tensor, y, ds.outputs, run.outputsProbabilities),
    run.vars,
    k,
    { stats, shouldStop: io.isStopped },
  );
  if (!g) {
    if (mark) run.order.restore(mark);
    return undefined;
  }
  run.optimizer.applyGradients(g.grads);
  const packed = tf.tidy(() => tf.stack([g.loss, g.gradSqNorm ?? tf.scalar(0), g.microGradSqNorm ?? tf.scalar(0)]));
  const [loss, gradSqNorm, microGradSqNorm] = packed.dataSync(); // the one read per step
  packed.dispose();
  g.loss.dispose();
  g.gradSqNorm?.dispose();
  g.microGradSqNorm?.dispose();
  tf.dispose(g.grads);
  const stepTimeMs = performance.now() - t0;
  p.step++;
  p.samples += batchSize;
  const metrics: StepMetrics = {
    step: p.step,
    epoch,
    samples: p.samples,
    loss,
    batchSize,
    learningRate: p.currentLr,
    stepTimeMs,
    samplesPerSecond: batchSize / (stepTimeMs / 1000),
    time: 0,
    ...(stats ? { gradSqNorm } : {}),
    ...(stats && k > 1 ? { microGradSqNorm, microBatchSize: micro } : {}),
  };
  p.last = metrics;
  return { metrics, peakBytes: g.peakBytes };
}

export async function runTraining(spec: TrialSpec, io: LoopIO, opts: LoopOptions = {}): Promise<LoopSummary> {
  const run = await startRun(spec, io);
  const stats = opts.gradStats ?? true;
  const plan = checkpointPlan(spec);
  const p = run.progress;
  const start = performance.now();
  const elapsed = () => (performance.now() - start) / 1000;
  let lastEvalStep = -1,
    peak = 0,
    rssBytes = 0;
  try {
    while (p.step < (run.maxSteps ?? Infinity) && p.samples < run.maxSamples) {
      await yieldToEventLoop(); // lets `stop` / `setBatchSize` messages in
      if (io.isStopped()) break;
      if (spec.maxSeconds !== undefined && elapsed() >= spec.maxSeconds) break;
      const r = trainStep(run, io, stats, plan);
      if (!r) break;
      const memoryBytes = tf.memory().numBytes;
      // Reading RSS is a syscall; every 10th step is plenty for a memory chart.
      if (p.step % 10 === 1) rssBytes = process.memoryUsage.rss();
      peak = Math.max(peak, r.peakBytes, memoryBytes);
      Object.assign(r.metrics, { time: elapsed(), memoryBytes, peakMemoryBytes: peak, rssBytes });
      io.send({ v: 1, type: 'step', metrics: r.metrics });
      if (run.evalEvery > 0 && p.step % run.evalEvery === 0) {
        io.send({ v: 1, type: 'eval', metrics: evaluate(run, elapsed()) });
        lastEvalStep = p.step;
      }
      if (isPeriodicStep(plan, p.step)) await writeCheckpoint(run, periodicCheckpointPath(plan.every.dir, p.step), io.send);
    }
    const stopped = io.isStopped();
    if (!stopped && p.step > 0 && lastEvalStep !== p.step) io.send({ v: 1, type: 'eval', metrics: evaluate(run, elapsed()) });
    if (plan?.finalPath) await writeCheckpoint(run, plan.finalPath, io.send);
    return { steps: p.step, samples: p.samples, wallSeconds: elapsed(), stopped };
  } finally {
    run.dispose();
  }
}
