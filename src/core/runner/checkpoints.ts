// Checkpoints a trial reports (the trainer's `checkpoint` message, the metrics protocol's
// `checkpoint` record): passed on as they come and kept for TrialResult.checkpoints; and the
// warning when a trial that was asked for one (TrialSpec.checkpointPath) ends without it.
import { existsSync } from 'node:fs';
import type { CheckpointInfo, TrialCallbacks, TrialSpec, TrialStatus } from '../types';

/** More than this many checkpoints in one trial: the rest are passed on but not kept. */
const MAX_KEPT = 1000;

export class CheckpointLog {
  private readonly kept: CheckpointInfo[] = [];
  private dropped = 0;
  constructor(private readonly callbacks: TrialCallbacks) {}

  add(checkpoint: CheckpointInfo): void {
    if (this.kept.length < MAX_KEPT) this.kept.push(checkpoint);
    else this.dropped++;
    this.callbacks.onCheckpoint?.(checkpoint);
  }

  get all(): CheckpointInfo[] {
    return [...this.kept];
  }

  warning(): string | undefined {
    return this.dropped ? `${this.dropped} checkpoint(s) past the first ${MAX_KEPT} were not kept in the trial's result` : undefined;
  }
}

/**
 * The trial was asked for a checkpoint and the file is not there. `who` names the program, `how`
 * says how it was told where (for a script: the placeholder and the environment variable).
 */
export function missingCheckpointWarning(spec: TrialSpec, status: TrialStatus, who: string, how: string): string | undefined {
  const path = spec.checkpointPath;
  // A stopped trial was not given the chance to save; that is not the script's fault.
  if (!path || status === 'cancelled' || existsSync(path)) return undefined;
  return (
    `${who} was asked for a checkpoint at ${path}${how ? ` (${how})` : ''} but ended without writing it, ` +
    'so this trial cannot be branched from: make it save its state to that path when it ends ' +
    '(for PyTorch, batch_tuner.save_checkpoint), or run the study without checkpoints'
  );
}
