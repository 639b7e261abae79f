// Per-trial series for the live charts, built from `metrics` messages. Each trial keeps growable
// columns (samples, time, loss, memory, batch size in force, noise scale) so a chart can pick an
// (x, y) pair without copying. Pure: unit-tested in node.
import type { MetricsBatch } from '../../src/core/webviewProtocol';
import type { EvalMetrics, StepMetrics } from '../../src/core/types';
import { GrowableBuffer } from './growableBuffer';

export type Column = 'samples' | 'time' | 'loss' | 'memory' | 'batchSize' | 'noiseScale' | 'step';

export interface TrialSeries {
  trialId: string;
  batchSize: number;
  /** Order of first appearance: a stable colour index. */
  index: number;
  columns: Record<Column, GrowableBuffer>;
  /** Validation loss against samples seen. */
  evalSamples: GrowableBuffer;
  evalLoss: GrowableBuffer;
  noise: NoiseScaleEma;
  /** The batch size changed during the trial (a schedule ran). */
  batchSizeVaries: boolean;
  /** Some step gave a noise-scale estimate (the trial reported micro-batch statistics). */
  hasNoiseScale: boolean;
}

/**
 * Running gradient-noise-scale estimate from the micro-batch statistics the trainer reports
 * (McCandlish et al. 2018, appendix A): with B_small the micro-batch and B_big the batch,
 *   |G|^2   ~ (B_big |g_big|^2 - B_small |g_small|^2) / (B_big - B_small)
 *   tr(S)   ~ (|g_small|^2 - |g_big|^2) / (1/B_small - 1/B_big)
 * numerator and denominator averaged separately (EMA) before dividing, as the paper advises.
 * This is only the live curve; the tuner's own estimate, with its interval, is in the recommendation.
 */
export class NoiseScaleEma {
  private g2 = 0;
  private trace = 0;
  private weight = 0;

  constructor(private readonly decay = 0.9) {}

  /** Adds one step; returns the current estimate, or undefined while it is not yet meaningful. */
  update(m: StepMetrics): number | undefined {
    const bBig = m.batchSize;
    const bSmall = m.microBatchSize;
    const gBig = m.gradSqNorm;
    const gSmall = m.microGradSqNorm;
    if (bSmall === undefined || gBig === undefined || gSmall === undefined || !(bSmall > 0) || !(bBig > bSmall)) return this.value();
    const g2 = (bBig * gBig - bSmall * gSmall) / (bBig - bSmall);
    const trace = (gSmall - gBig) / (1 / bSmall - 1 / bBig);
    if (!Number.isFinite(g2) || !Number.isFinite(trace)) return this.value();
    this.g2 = this.decay * this.g2 + (1 - this.decay) * g2;
    this.trace = this.decay * this.trace + (1 - this.decay) * trace;
    this.weight = this.decay * this.weight + (1 - this.decay);
    return this.value();
  }

  value(): number | undefined {
    // Both averages must be positive for the ratio to be a scale; early noisy steps may not be.
    if (this.weight < 0.5 || this.g2 <= 0 || this.trace <= 0) return undefined;
    return this.trace / this.g2;
  }
}

const COLUMNS: readonly Column[] = ['samples', 'time', 'loss', 'memory', 'batchSize', 'noiseScale', 'step'];

export class SeriesStore {
  private readonly trials = new Map<string, TrialSeries>();
  /** Bumped on every change, so a chart redraws only when its data moved. */
  version = 0;

  get size(): number {
    return this.trials.size;
  }

  list(): TrialSeries[] {
    return [...this.trials.values()].sort((a, b) => a.index - b.index);
  }

  get(trialId: string): TrialSeries | undefined {
    return this.trials.get(trialId);
  }

  private ensure(trialId: string, batchSize: number): TrialSeries {
    let t = this.trials.get(trialId);
    if (!t) {
      const columns = {} as Record<Column, GrowableBuffer>;
      for (const c of COLUMNS) columns[c] = new GrowableBuffer();
      t = {
        trialId,
        batchSize,
        index: this.trials.size,
        columns,
        evalSamples: new GrowableBuffer(16),
        evalLoss: new GrowableBuffer(16),
        noise: new NoiseScaleEma(),
        batchSizeVaries: false,
        hasNoiseScale: false,
      };
      this.trials.set(trialId, t);
    }
    return t;
  }

  appendSteps(trialId: string, batchSize: number, steps: readonly StepMetrics[]): void {
    const t = this.ensure(trialId, batchSize);
    const c = t.columns;
    for (const m of steps) {
      const lastStep = c.step.last();
      // A trial id seen before that starts again from its first step is a new run (a new study
      // reuses ids like "profile-64"): its old curve is replaced, not continued.
      if (lastStep !== undefined && m.step <= c.step.at(0) && m.step < lastStep) {
        for (const col of COLUMNS) c[col].clear();
        t.noise = new NoiseScaleEma();
        t.batchSizeVaries = false;
        t.hasNoiseScale = false;
        t.evalSamples.clear();
        t.evalLoss.clear();
      } else if (lastStep !== undefined && m.step <= lastStep) {
        // Otherwise an older step (a resent batch) would fold the line back.
        continue;
      }
      c.step.push(m.step);
      c.samples.push(m.samples);
      c.time.push(m.time);
      c.loss.push(m.loss);
      c.memory.push(m.memoryBytes ?? m.rssBytes ?? NaN);
      const first = c.batchSize.length > 0 ? c.batchSize.at(0) : m.batchSize;
      if (m.batchSize !== first) t.batchSizeVaries = true;
      c.batchSize.push(m.batchSize);
      const noise = t.noise.update(m);
      if (noise !== undefined) t.hasNoiseScale = true;
      c.noiseScale.push(noise ?? NaN);
    }
    this.version++;
  }

  appendEvals(trialId: string, batchSize: number, evals: readonly EvalMetrics[]): void {
    if (evals.length === 0) return;
    const t = this.ensure(trialId, batchSize);
    for (const e of evals) {
      t.evalSamples.push(e.samples);
      t.evalLoss.push(e.valLoss);
    }
    this.version++;
  }

  append(batch: MetricsBatch): void {
    this.appendSteps(batch.trialId, batch.batchSize, batch.steps);
    this.appendEvals(batch.trialId, batch.batchSize, batch.evals);
  }

  /** Legend label: the batch size, with the trial id when two trials share one. */
  label(t: TrialSeries): string {
    const shared = this.list().some((o) => o !== t && o.batchSize === t.batchSize);
    return shared ? `B=${t.batchSize} (${t.trialId})` : `B=${t.batchSize}`;
  }

  /** Total points held, for the benchmark and the "points" readout. */
  pointCount(): number {
    let n = 0;
    for (const t of this.trials.values()) n += t.columns.step.length;
    return n;
  }

  clear(): void {
    this.trials.clear();
    this.version++;
  }

  /**
   * A compact copy for vscode.setState: the panel is destroyed while hidden, so the curves must
   * survive in the webview's saved state. Long series keep every k-th point (and the last).
   */
  snapshot(maxPointsPerTrial = 600): SeriesSnapshot {
    return this.list().map((t) => {
      const n = t.columns.step.length;
      const stride = Math.max(1, Math.ceil(n / maxPointsPerTrial));
      const pick: number[] = [];
      for (let i = 0; i < n; i += stride) pick.push(i);
      if (n > 0 && pick[pick.length - 1] !== n - 1) pick.push(n - 1);
      const columns = {} as Record<Column, number[]>;
      // JSON has no NaN: missing values are stored as null.
      for (const c of COLUMNS) columns[c] = pick.map((i) => t.columns[c].at(i)).map((v) => (Number.isFinite(v) ? v : null)) as number[];
      return { trialId: t.trialId, batchSize: t.batchSize, columns, evalSamples: [...t.evalSamples.view()], evalLoss: [...t.evalLoss.view()] };
    });
  }

  /** Restores a snapshot (replacing what the store holds). Malformed entries are skipped. */
  restore(snapshot: unknown): void {
    this.trials.clear();
    if (Array.isArray(snapshot)) {
      for (const entry of snapshot as Partial<SeriesSnapshot[number]>[]) {
        if (typeof entry?.trialId !== 'string' || typeof entry.batchSize !== 'number' || typeof entry.columns !== 'object' || entry.columns === null) continue;
        const t = this.ensure(entry.trialId, entry.batchSize);
        const n = Array.isArray(entry.columns.step) ? entry.columns.step.length : 0;
        for (const c of COLUMNS) {
          const values = entry.columns[c];
          for (let i = 0; i < n; i++) t.columns[c].push(Array.isArray(values) && typeof values[i] === 'number' ? values[i] : NaN);
        }
        const b = t.columns.batchSize.view();
        t.batchSizeVaries = b.some((v) => v !== b[0]);
        t.hasNoiseScale = t.columns.noiseScale.view().some((v) => Number.isFinite(v));
        for (const v of entry.evalSamples ?? []) t.evalSamples.push(v);
        for (const v of entry.evalLoss ?? []) t.evalLoss.push(v);
      }
    }
    this.version++;
  }
}

export type SeriesSnapshot = Array<{ trialId: string; batchSize: number; columns: Record<Column, number[]>; evalSamples: number[]; evalLoss: number[] }>;
