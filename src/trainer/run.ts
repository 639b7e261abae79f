// Everything one training run holds: data on the device, model, optimizer, schedule, data order
// and progress counters. Built fresh from the trial spec, then (resumeFrom) overwritten by a
// checkpoint's state, so the loop never needs to know whether it started or resumed.
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import type { StepMetrics, TrainingConfig, TrialSpec } from '../core/types';
import { createScheduleController, scheduleNeedsGradientStatistics, type BatchScheduleController } from '../core/schedule';
import { loadDataset, type ArrayDataset } from './data';
import { buildModel } from './models';
import type { LossKind } from './losses';
import { createOptimizer } from './optimizers';
import { DataOrder } from './dataOrder';
import { microBatchPolicy, type MicroBatchPolicy } from './microBatches';
import { computeFingerprint, type Fingerprint } from './checkpoint/fingerprint';

/** Device-resident data: features [n, d] and targets (class indices or values). */
export interface DeviceData {
  xTrain: tf.Tensor2D;
  yTrain: tf.Tensor;
  xVal: tf.Tensor2D;
  yVal: tf.Tensor;
}

/** The counters a step reads and advances (all saved in a checkpoint). */
export interface RunProgress {
  /** Optimizer steps done. */
  step: number;
  samples: number;
  currentLr: number;
  /** A batch size the host asked for (setBatchSize): it overrides the schedule from then on. */
  hostRequest?: { batchSize: number; learningRate?: number };
  /** The last step's metrics (the schedule's gradient statistics read them). */
  last?: StepMetrics;
}

export interface TrainingRun {
  spec: TrialSpec;
  config: TrainingConfig;
  ds: ArrayDataset;
  data: DeviceData;
  model: tfl.LayersModel;
  outputsProbabilities: boolean;
  vars: tf.Variable[];
  optimizer: tf.Optimizer;
  lossKind: LossKind;
  schedule: BatchScheduleController;
  order: DataOrder;
  policy: MicroBatchPolicy;
  maxSteps?: number;
  maxSamples: number;
  evalEvery: number;
  /** Seed the dataset was made with (a resumed run keeps its checkpoint's, so the split is the same). */
  dataSeed: number;
  /** What the schedule state depends on: it carries over only to a run with the same one. */
  scheduleKey: string;
  progress: RunProgress;
  /** Computed on first use (it hashes the data), then kept. */
  fingerprint(): Fingerprint;
  dispose(): void;
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

const configError = (message: string) => Object.assign(new Error(message), { kind: 'config' as const });

/** Builds a fresh run from the spec; `dataSeed` overrides the seed the data is made with. */
export async function createRun(spec: TrialSpec, alive: () => void, dataSeed = spec.seed): Promise<TrainingRun> {
  const config = spec.config;
  const configDir = path.dirname(spec.configPath);
  const ds = loadDataset(config, configDir, dataSeed);
  alive();
  const data = toDevice(ds);
  const { model, outputsProbabilities } = await buildModel(config.model, ds, spec.seed, configDir);
  alive();
  const lossKind: LossKind = config.loss ?? (ds.task === 'classification' ? 'cross_entropy' : 'mse');
  if (lossKind === 'cross_entropy' && ds.task === 'regression') throw configError('loss "cross_entropy" needs a classification task; use loss: mse');
  const scheduleSpec = spec.schedule ?? config.batch_schedule;
  const lrScaling = config.tuner?.lr_scaling ?? config.tuner?.lr_rule ?? 'linear';
  const base = { batchSize: spec.batchSize, learningRate: spec.learningRate, lrScaling, datasetSize: ds.numTrain, maxBatchSize: spec.maxBatchSize };
  const maxSteps = spec.maxSteps ?? config.steps;
  let fingerprint: Fingerprint | undefined;
  const optimizer = createOptimizer(config.optimizer, spec.learningRate);
  return {
    spec,
    config,
    ds,
    data,
    model,
    outputsProbabilities,
    lossKind,
    dataSeed,
    vars: model.trainableWeights.map((w) => w.read() as tf.Variable),
    optimizer,
    schedule: createScheduleController(scheduleSpec, base),
    scheduleKey: JSON.stringify({ schedule: scheduleSpec ?? null, ...base }),
    order: new DataOrder(ds.numTrain, spec.seed),
    policy: microBatchPolicy(spec, scheduleNeedsGradientStatistics(scheduleSpec, lrScaling)),
    maxSteps,
    maxSamples: maxSteps === undefined ? (config.epochs ?? 1) * ds.numTrain : Infinity,
    evalEvery: spec.evalEvery ?? config.eval_every ?? 50,
    progress: { step: 0, samples: 0, currentLr: spec.learningRate },
    fingerprint: () => (fingerprint ??= computeFingerprint(model, lossKind, config, ds)),
    dispose() {
      optimizer.dispose();
      model.dispose();
      tf.dispose([data.xTrain, data.yTrain, data.xVal, data.yVal]);
    },
  };
}
