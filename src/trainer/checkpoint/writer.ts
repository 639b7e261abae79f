// When the trainer writes checkpoints (TrialSpec.checkpointEvery/checkpointDir, checkpointPath)
// and how one write happens: encode the run's state, write it atomically, tell the host.
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type { TrainerToHost } from '../../core/protocol';
import type { TrialSpec } from '../../core/types';
import type { TrainingRun } from '../run';
import { CheckpointError } from './format';
import { periodicCheckpointPath, writeFileAtomic } from './files';
import { encodeRunState } from './state';

export interface CheckpointPlan {
  /** Every N optimizer steps into `dir` (ckpt-step-NNNNNN.btckpt). */
  every?: { steps: number; dir: string };
  /** Once when the trial ends (horizon reached, maxSeconds, maxSteps or a stop). */
  finalPath?: string;
}

/** The plan, or undefined when the trial writes no checkpoint (then the loop does no checkpoint work at all). */
export function checkpointPlan(spec: TrialSpec): CheckpointPlan | undefined {
  const every = spec.checkpointEvery && spec.checkpointDir ? { steps: spec.checkpointEvery, dir: path.resolve(spec.checkpointDir) } : undefined;
  const finalPath = spec.checkpointPath ? path.resolve(spec.checkpointPath) : undefined;
  return every || finalPath ? { ...(every ? { every } : {}), ...(finalPath ? { finalPath } : {}) } : undefined;
}

export function isPeriodicStep(plan: CheckpointPlan | undefined, step: number): plan is CheckpointPlan & { every: { steps: number; dir: string } } {
  return plan?.every !== undefined && step % plan.every.steps === 0;
}

/** Writes the run's state to `file` and sends the `checkpoint` message; a failed write is a `config` error naming the file. */
export async function writeCheckpoint(run: TrainingRun, file: string, send: (m: TrainerToHost) => void): Promise<void> {
  const bytes = await encodeRunState(run, tf.getBackend());
  try {
    writeFileAtomic(file, bytes);
  } catch (e) {
    throw new CheckpointError(`could not write the checkpoint ${file} (${(e as Error).message}): free disk space or choose another checkpoint path/folder`);
  }
  send({ v: 1, type: 'checkpoint', checkpoint: { path: file, step: run.progress.step, samples: run.progress.samples } });
}

export { periodicCheckpointPath };
