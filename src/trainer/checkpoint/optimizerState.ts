// The optimizer's state: its iteration count and slot variables (Adam's first and second
// moments, momentum's velocities; SGD has none), through tfjs's own getWeights/setWeights, plus
// Adam's running powers beta^t. setWeights recomputes those with pow(), whose float32 rounding
// differs from the repeated multiplication applyGradients does, so a resumed run would drift
// in the last bit; saving and assigning them exactly keeps resumed losses identical.
import * as tf from '@tensorflow/tfjs-core';
import type { SavedTensor } from './format';

export interface OptimizerStateHeader {
  iterations: number;
  /** Slot tensors, saved as blobs optimizer/0..slots-1 in getWeights() order. */
  slots: number;
  /** Adam only: the bias-correction powers beta1^(t+1), beta2^(t+1) as float32 values. */
  accBeta1?: number;
  accBeta2?: number;
}

interface AdamInternals {
  accBeta1: tf.Variable;
  accBeta2: tf.Variable;
}

function adamInternals(opt: tf.Optimizer): AdamInternals | undefined {
  const o = opt as unknown as Partial<AdamInternals>;
  return o.accBeta1 instanceof tf.Variable && o.accBeta2 instanceof tf.Variable ? (o as AdamInternals) : undefined;
}

export async function exportOptimizerState(opt: tf.Optimizer): Promise<{ header: OptimizerStateHeader; blobs: SavedTensor[] }> {
  const [iter, ...slots] = await opt.getWeights();
  const blobs = slots.map((s, i) => ({ name: `optimizer/${i}`, shape: s.tensor.shape, data: s.tensor.dataSync() as Float32Array }));
  iter.tensor.dispose(); // saveIterations() made it; the slots are the optimizer's own variables
  const adam = adamInternals(opt);
  return {
    header: {
      iterations: opt.iterations,
      slots: slots.length,
      ...(adam ? { accBeta1: adam.accBeta1.dataSync()[0], accBeta2: adam.accBeta2.dataSync()[0] } : {}),
    },
    blobs,
  };
}

/** Restores into a fresh optimizer of the same kind (the fingerprint has checked that). */
export async function importOptimizerState(opt: tf.Optimizer, h: OptimizerStateHeader, blobs: Map<string, SavedTensor>): Promise<void> {
  const tensors: Parameters<tf.Optimizer['setWeights']>[0] = [{ name: 'iter', tensor: tf.scalar(h.iterations, 'int32') }];
  for (let i = 0; i < h.slots; i++) {
    const b = blobs.get(`optimizer/${i}`);
    if (!b) throw new Error(`optimizer slot ${i} is missing`);
    tensors.push({ name: `slot/${i}`, tensor: tf.tensor(b.data, b.shape, 'float32') });
  }
  await opt.setWeights(tensors);
  tf.dispose(tensors.map((t) => t.tensor)); // setWeights made its own variables from them
  const adam = adamInternals(opt);
  if (adam && h.accBeta1 !== undefined && h.accBeta2 !== undefined) {
    tf.tidy(() => {
      adam.accBeta1.assign(tf.scalar(h.accBeta1!));
      adam.accBeta2.assign(tf.scalar(h.accBeta2!));
    });
  }
}
