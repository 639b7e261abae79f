// Drives an external script's batch size from the host (issue 6): the trial's batch schedule runs
// here, fed by the step records the script reports, and each change of batch size or learning
// rate is written to the control file the script polls (env BATCH_TUNER_CONTROL, format in
// docs/dynamic-batching.md). The script applies a command between steps, so a change decided
// after step k lands at step k+1 when the script is slower than the host's round trip, later
// when it is not.
import { unlink } from 'node:fs/promises';
import type { BatchScheduleSpec, LrRule, StepMetrics, TrialSpec, TunerSpec } from '../types';
import { createScheduleController, validateSchedule, type BatchScheduleController, type ScheduleBase } from '../schedule';
import { CONTROL_ENV, writeControl, type ControlCommand } from '../schedule/controlFile';
import { defaultLrRule } from '../tuner/lrScaling';

export { CONTROL_ENV };

export interface ScheduleDriverOptions {
  /** Where the control file goes (the trial's temp folder). */
  controlPath: string;
  /** What the trial starts with: the script's own batch size and learning rate before any command. */
  start: { batchSize: number; learningRate: number };
  /** Problems writing the control file (never fatal: the script keeps its batch size). */
  onWarning?: (message: string) => void;
  /** For tests: replaces writeControl. */
  write?: (path: string, command: ControlCommand) => Promise<void>;
}

/** The schedule a trial runs: its own, else its config's `batch_schedule`; undefined for none or constant. */
export function trialSchedule(spec: TrialSpec): BatchScheduleSpec | undefined {
  const s = spec.schedule ?? (spec.config as Partial<TrialSpec['config']> | undefined)?.batch_schedule;
  return s && s.kind !== 'constant' ? s : undefined;
}

/**
 * The controller's base for an external trial: the trial's (batch, lr); lr scaling from the
 * tuner section (lr_scaling, else lr_rule), else by optimizer: linear for SGD, sqrt otherwise
 * (Adam-like; also what an unknown optimizer gets); the largest batch from tuner.max_batch_size.
 */
export function scheduleBaseFor(spec: TrialSpec, extra: { tuner?: TunerSpec; datasetSize?: number } = {}): ScheduleBase {
  const config = spec.config as Partial<TrialSpec['config']> | undefined;
  const tuner = config?.tuner ?? extra.tuner;
  const optimizer = config?.optimizer?.name;
  const lrScaling: LrRule | 'adascale' = tuner?.lr_scaling ?? tuner?.lr_rule ?? defaultLrRule(optimizer ?? 'adam');
  return {
    batchSize: spec.batchSize,
    learningRate: spec.learningRate,
    lrScaling,
    datasetSize: extra.datasetSize && extra.datasetSize > 0 ? extra.datasetSize : 0,
    ...(spec.maxBatchSize !== undefined || tuner?.max_batch_size !== undefined
      ? { maxBatchSize: Math.min(spec.maxBatchSize ?? Infinity, tuner?.max_batch_size ?? Infinity) }
      : {}),
  };
}

export class ScheduleDriver {
  readonly controlPath: string;
  private readonly controller: BatchScheduleController;
  private readonly write: (path: string, command: ControlCommand) => Promise<void>;
  private readonly onWarning?: (message: string) => void;
  private inForce: { batchSize: number; learningRate: number };
  private planned?: ControlCommand;
  private writtenSeq = 0;
  private seq = 0;
  private lastStep = 0;
  private queue: Promise<void> = Promise.resolve();
  private closed = false;
  private warned = false;

  constructor(schedule: BatchScheduleSpec, base: ScheduleBase, opts: ScheduleDriverOptions) {
    const problems = validateSchedule(schedule);
    if (problems.length) throw new Error(`batch_schedule${problems[0].path.length ? '.' + problems[0].path.join('.') : ''}: ${problems[0].message}`);
    this.controlPath = opts.controlPath;
    this.controller = createScheduleController(schedule, base);
    this.write = opts.write ?? writeControl;
    this.onWarning = opts.onWarning;
    this.inForce = { ...opts.start };
    // The plan for the first step (a linear_ramp starts at `from`, not necessarily the trial's size).
    this.plan(this.controller.next({ step: 0, samples: 0, epoch: 0 }));
  }

  /** The batch size and learning rate the host last asked for (what the script should be using). */
  get current(): { batchSize: number; learningRate: number } {
    return { ...this.inForce };
  }

  /** The seq of the last command handed to the writer (0: none yet). */
  get lastSeq(): number {
    return this.seq;
  }

  /** A step the script completed: plan the next one, and write the control file when it changes. */
  onStep(m: StepMetrics): void {
    if (this.closed || !(m.step > this.lastStep)) return; // each step once, in order
    this.lastStep = m.step;
    this.plan(this.controller.next({ step: m.step, samples: m.samples, epoch: Math.floor(m.epoch || 0), last: m }));
  }

  /** Resolves once every command planned so far is on disk (or failed with a warning). */
  flush(): Promise<void> {
    return this.queue;
  }

  /** Ends the trial's schedule: waits for pending writes, then deletes the control file. */
  async close(): Promise<void> {
    this.closed = true;
    await this.queue;
    await unlink(this.controlPath).catch(() => undefined);
  }

  private plan(next: { batchSize: number; learningRate: number }): void {
    if (next.batchSize === this.inForce.batchSize && next.learningRate === this.inForce.learningRate) return;
    this.inForce = { batchSize: next.batchSize, learningRate: next.learningRate };
    this.planned = { batch_size: next.batchSize, learning_rate: next.learningRate, seq: ++this.seq };
    // One write at a time, always of the newest plan: a burst of changes collapses to the last.
    this.queue = this.queue.then(() => this.writePlanned());
  }

  private async writePlanned(): Promise<void> {
    const c = this.planned;
    if (!c || c.seq <= this.writtenSeq) return;
    try {
      await this.write(this.controlPath, c);
      this.writtenSeq = c.seq;
    } catch (e) {
      if (this.warned) return;
      this.warned = true;
      this.onWarning?.(`the batch schedule could not write its control file (the script keeps its batch size): ${e instanceof Error ? e.message : String(e)}`);
    }
  }
}
