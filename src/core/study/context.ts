// What every phase shares while a study runs: the clock and budget, the listener, the JSONL
// writer, and runTrial (which reports, persists and times one trial).
import type { StudyPhase, TrialResult, TrialRunner, TrialSpec, TrialSummary } from '../types';
import type { StudySettings } from './settings';
import type { StudyWriter } from './studyFile';
import type { StudyEvent, StudyLine, StudyListener, StudyOptions, TrialSeries } from './types';
import { trialSeries } from './series';

export type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

export interface CompletedTrial {
  result: TrialResult;
  summary: TrialSummary;
  series: TrialSeries;
  /** Fork + backend + data time measured around the runner call, seconds. */
  startupSeconds?: number;
}

/**
 * Seconds a trial spent training: from its first step to its last, plus one step's worth. Not the
 * last step's clock alone: a script whose log lines are timed from its launch (the log-line
 * fallback) counts its imports in that clock, and they are start-up, not training.
 */
export function trainingSeconds(steps: ReadonlyArray<{ time: number }>): number | undefined {
  const n = steps.length;
  if (n === 0) return undefined;
  if (n === 1) return steps[0].time;
  return ((steps[n - 1].time - steps[0].time) * n) / (n - 1);
}

/** Why a write failed, in words (the errno code kept for searching). */
function writeFailure(e: unknown): string {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  const words: Record<string, string> = {
    ENOSPC: 'the disk is full',
    EDQUOT: 'the disk quota is used up',
    EROFS: 'the folder is on a read-only file system',
    EACCES: 'no permission to write there',
    EPERM: 'no permission to write there',
    ENOENT: 'the folder was removed',
  };
  const message = e instanceof Error ? e.message : String(e);
  return code && words[code] ? `${words[code]} (${code})` : message;
}

export class StudyContext {
  readonly started = Date.now();
  readonly trials: CompletedTrial[] = [];
  phase: StudyPhase = 'plan';
  /** Measured start-up overhead per trial (median of what was seen), seconds. */
  private startups: number[] = [];
  private lastProgressAt = 0;

  constructor(
    readonly options: StudyOptions,
    readonly settings: StudySettings,
    readonly runner: TrialRunner,
    private readonly listener: StudyListener | undefined,
    private readonly writer: StudyWriter | undefined,
    readonly signal: AbortSignal | undefined,
  ) {}

  elapsed(): number {
    return (Date.now() - this.started) / 1000;
  }
  remaining(): number {
    return this.settings.budgetSeconds - this.elapsed();
  }
  get aborted(): boolean {
    return this.signal?.aborted === true;
  }
  /** Trials whose start-up was measured so far. */
  measuredStartups(): number {
    return this.startups.length;
  }
  /** Median measured start-up per trial for this study's runner (the guess until one is measured). */
  startupSeconds(): number {
    if (this.startups.length === 0) return this.settings.startupSecondsGuess;
    const s = [...this.startups].sort((a, b) => a - b);
    return s[Math.floor(s.length / 2)];
  }

  emit(event: StudyEvent): void {
    try {
      this.listener?.(event);
    } catch {
      // A listener's bug must not end the study.
    }
  }
  private persistFailed = false;
  persist(line: DistributiveOmit<StudyLine, 'v' | 'time'>): void {
    if (!this.writer || this.persistFailed) return;
    try {
      this.writer.append({ v: 1, time: new Date().toISOString(), ...line });
    } catch (e) {
      // A full disk or a deleted folder must not end the trials: warn once and go on unsaved.
      this.persistFailed = true;
      this.emit({
        type: 'warning',
        message: `cannot write the study file ${this.writer.file}: ${writeFailure(e)}. The study goes on, but from here on it is not saved; free space or pick a writable study folder (--out, or the batchTuner.studyDirectory setting)`,
      });
    }
  }
  /** The study file, once it holds a line (a folder that cannot be written leaves none to open). */
  get studyFile(): string | undefined {
    return this.writer?.written ? this.writer.file : undefined;
  }

  setPhase(phase: StudyPhase, message: string): void {
    this.phase = phase;
    this.persist({ type: 'phase', phase, message });
    this.emit({ type: 'phase', phase, message, progress: this.progress() });
  }
  warn(message: string): void {
    this.persist({ type: 'warning', message });
    this.emit({ type: 'warning', message });
  }
  progress(): number {
    return Math.min(1, Math.max(0, this.elapsed() / this.settings.budgetSeconds));
  }

  /**
   * Runs one trial; never rejects (the runner contract), records it, and measures start-up.
   * `stopAfterSteps`: stop it once it has reported that many steps (a probe that needs only where a
   * checkpoint stands, from a script that may not honour maxSeconds).
   */
  async runTrial(given: TrialSpec, phase: StudyPhase, opts: { stopAfterSteps?: number } = {}): Promise<CompletedTrial> {
    // Every trial measures one fixed batch size: the config's batch_schedule must not take over.
    const spec: TrialSpec = { ...given, schedule: given.schedule ?? { kind: 'constant' } };
    const { id } = spec;
    this.persist({ type: 'trial-start', trialId: id, phase, batchSize: spec.batchSize, learningRate: spec.learningRate, seed: spec.seed });
    this.emit({
      type: 'trial-start',
      trialId: id,
      phase,
      batchSize: spec.batchSize,
      learningRate: spec.learningRate,
      seed: spec.seed,
      ...(spec.maxSeconds !== undefined ? { maxSeconds: spec.maxSeconds } : {}),
    });
    const t0 = Date.now();
    const own = new AbortController();
    const signal = opts.stopAfterSteps === undefined ? this.signal : this.signal ? AbortSignal.any([this.signal, own.signal]) : own.signal;
    let stepsSeen = 0;
    const result = await this.runner(
      spec,
      {
        onStep: (metrics) => {
          if (opts.stopAfterSteps !== undefined && ++stepsSeen >= opts.stopAfterSteps) own.abort();
          this.emit({ type: 'step', trialId: id, phase, metrics });
          const now = Date.now();
          if (now - this.lastProgressAt > 250) {
            this.lastProgressAt = now;
            this.emit({
              type: 'progress',
              phase,
              progress: this.progress(),
              elapsedSeconds: this.elapsed(),
              message: `${id}: step ${metrics.step}, loss ${metrics.loss.toPrecision(3)}`,
            });
          }
        },
        onEval: (metrics) => this.emit({ type: 'eval', trialId: id, phase, metrics }),
      },
      signal,
    );
    const total = (Date.now() - t0) / 1000;
    const trainSeconds = trainingSeconds(result.steps);
    const startupSeconds = trainSeconds !== undefined && result.status === 'ok' ? Math.max(0, total - trainSeconds) : undefined;
    if (startupSeconds !== undefined) this.startups.push(startupSeconds);
    const { steps, evals, ...rest } = result;
    const summary: TrialSummary = { ...rest, phase, ...(startupSeconds !== undefined ? { startupSeconds } : {}) };
    const lastLoss = [...steps].reverse().find((s) => Number.isFinite(s.loss))?.loss ?? steps[steps.length - 1]?.loss;
    if (lastLoss !== undefined) summary.finalLoss = lastLoss;
    if (evals.length > 0) summary.finalValLoss = evals[evals.length - 1].valLoss;
    const series = trialSeries(steps, evals);
    this.persist({ type: 'trial-end', trial: summary, series });
    this.emit({ type: 'trial-end', trial: summary, series });
    const done: CompletedTrial = { result, summary, series };
    if (startupSeconds !== undefined) done.startupSeconds = startupSeconds;
    this.trials.push(done);
    return done;
  }
}
