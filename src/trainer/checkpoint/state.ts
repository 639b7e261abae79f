// A run's full state to and from a checkpoint: weights, optimizer state, progress counters,
// data order (permutation, position, PRNG), the schedule's memory, and the fingerprint that
// says which model, loss, data and optimizer it belongs to.
import * as tf from '@tensorflow/tfjs-core';
import { validateStepMetrics } from '../../core/protocol';
import type { TrainingRun } from '../run';
import { encodeCheckpoint, CheckpointError, type SavedTensor } from './format';
import { fingerprintDifference } from './fingerprint';
import { CHECKPOINT_FORMAT, type CheckpointHeader } from './header';
import { exportOptimizerState, importOptimizerState } from './optimizerState';
import { setLearningRate } from '../optimizers';
import { orderProblem } from '../dataOrder';
import type { LoadedCheckpoint } from './files';

/** Layers whose randomness the trainer cannot seed or save (only models loaded from a file have them). */
const UNSEEDED_RANDOM_LAYER = /Dropout|Noise/;

export async function encodeRunState(run: TrainingRun, backend: string): Promise<Buffer> {
  const p = run.progress;
  const weights: SavedTensor[] = run.model.weights.map((w, i) => ({
    name: `weights/${i}`,
    shape: w.shape.map((d) => d ?? 0),
    data: w.read().dataSync() as Float32Array,
  }));
  const opt = await exportOptimizerState(run.optimizer);
  const order = run.order.state();
  const header: CheckpointHeader = {
    format: CHECKPOINT_FORMAT,
    createdAt: new Date().toISOString(),
    backend,
    progress: { step: p.step, samples: p.samples, epoch: Math.floor(p.samples / run.ds.numTrain) },
    fingerprint: run.fingerprint(),
    run: { seed: run.spec.seed, dataSeed: run.dataSeed, scheduleKey: run.scheduleKey },
    dataOrder: { rngState: order.rngState, cursor: order.cursor },
    schedule: {
      controller: run.schedule.exportState(),
      currentLr: p.currentLr,
      ...(p.hostRequest ? { hostRequest: p.hostRequest } : {}),
      ...(p.last ? { last: p.last } : {}),
    },
    optimizer: opt.header,
    weights: weights.length,
    dropout: run.model.layers.some((l) => UNSEEDED_RANDOM_LAYER.test(l.getClassName())) ? 'unseeded' : 'none',
  };
  return encodeCheckpoint(header as unknown as Record<string, unknown>, [
    ...weights,
    ...opt.blobs,
    { name: 'data/order', shape: [order.order.length], data: order.order },
  ]);
}

const fail = (file: string, what: string) => new CheckpointError(`${file}: ${what}`);

/** Refuses a checkpoint of another model/data/optimizer, or one at or past this run's horizon. */
export function checkCompatible(run: TrainingRun, c: LoadedCheckpoint): void {
  const diff = fingerprintDifference(c.header.fingerprint, run.fingerprint());
  if (diff) throw fail(c.file, `this checkpoint belongs to another model or config (${diff}). Resume with the config that wrote it, or start without resuming`);
  const { step, samples } = c.header.progress;
  if (run.maxSteps !== undefined && step >= run.maxSteps)
    throw fail(
      c.file,
      `the checkpoint is already at step ${step} and this run stops at step ${run.maxSteps} (${run.spec.maxSteps !== undefined ? "the trial's maxSteps" : "the config's steps"}): nothing is left to train. Raise the step count above ${step}, or resume from an earlier checkpoint`,
    );
  if (samples >= run.maxSamples)
    throw fail(
      c.file,
      `the checkpoint has already seen ${samples} samples (${(samples / run.ds.numTrain).toFixed(2)} epochs) and this run stops after ${run.config.epochs ?? 1} epoch(s): nothing is left to train. Raise epochs, or resume from an earlier checkpoint`,
    );
}

/**
 * Overwrites a freshly built run with the checkpoint's state. The schedule's memory (and a host's
 * batch-size request) carries over only when batch size, learning rate and schedule are the
 * checkpoint's; otherwise (a branch) this trial's schedule starts at the checkpoint's step.
 * A seed other than the checkpoint's draws a new data order from that seed (another branch).
 */
export async function restoreRunState(run: TrainingRun, c: LoadedCheckpoint, log: (level: 'info' | 'warn', m: string) => void): Promise<void> {
  const h = c.header;
  checkCompatible(run, c);
  const blob = (name: string) => {
    const b = c.blobs.get(name);
    if (!b) throw fail(c.file, `the tensor "${name}" is missing; resume from another checkpoint`);
    return b;
  };
  if (h.weights !== run.model.weights.length) throw fail(c.file, `it holds ${h.weights} weight tensors, the model ${run.model.weights.length}`);
  const weights = run.model.weights.map((_, i) => {
    const b = blob(`weights/${i}`);
    return tf.tensor(b.data, b.shape, 'float32');
  });
  run.model.setWeights(weights);
  tf.dispose(weights);
  await importOptimizerState(run.optimizer, h.optimizer, c.blobs).catch((e: unknown) => {
    throw fail(c.file, `its optimizer state does not fit (${(e as Error).message})`);
  });
  const p = run.progress;
  p.step = h.progress.step;
  p.samples = h.progress.samples;
  if (h.run.seed === run.spec.seed) {
    const order = { ...h.dataOrder, order: blob('data/order').data as Int32Array };
    const problem = orderProblem(order, run.ds.numTrain);
    if (problem) throw fail(c.file, `${problem}; resume from another checkpoint`);
    run.order.restore(order);
  } else
    log(
      'info',
      `resuming ${c.file} with seed ${run.spec.seed} (it was written with seed ${h.run.seed}): weights and optimizer continue, the data order is drawn anew from seed ${run.spec.seed}`,
    );
  if (h.run.scheduleKey === run.scheduleKey) {
    run.schedule.importState(h.schedule.controller);
    p.hostRequest = h.schedule.hostRequest;
    const last = h.schedule.last ? validateStepMetrics(h.schedule.last) : undefined;
    p.last = last?.ok ? last.value : undefined;
    if (h.schedule.currentLr !== p.currentLr) {
      setLearningRate(run.optimizer, h.schedule.currentLr);
      p.currentLr = h.schedule.currentLr;
    }
  } else log('info', `this trial's batch size, learning rate or schedule differ from those that wrote ${c.file}: its schedule starts at step ${p.step}`);
  if (h.dropout === 'unseeded')
    log(
      'warn',
      `the model has dropout or noise layers: their random masks are not saved, so the resumed run from ${c.file} is not step-for-step identical to an uninterrupted one`,
    );
  if (h.backend !== tf.getBackend())
    log('info', `${c.file} was written on the ${h.backend} backend and resumes on ${tf.getBackend()}: losses continue, but not bit for bit`);
}
