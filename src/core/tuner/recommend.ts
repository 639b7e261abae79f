// The recommendation. Time to target T(B) = S_min (B + B_noise) / X(B) (McCandlish et al. 2018,
// eq. 2.11), minimised over the batch sizes that fit, with X from the fitted step-time model and
// B_noise measured (gradient statistics), fitted (loss curves) or, failing both, assumed. Then one
// rule (./verdict.ts) reconciles the model with the convergence trials' measured times; the band
// carries the uncertainty; every number says whether it was measured, fitted or assumed.
import type { CandidateEvidence, LossSource, LrRule, MemoryCheck, NoiseScaleEstimate, Recommendation, ThroughputModelEvidence } from '../types';
import { BAND_TOLERANCE, logUniformDraws, nearOptimalBand, noiseScaleDraws, relativeTime, type Band, type TimeDraw } from './band';
import { minStepsFrom } from './goodput';
import type { MemoryFit } from './memoryFit';
import { mean } from './stats';
import { modelThroughput, predictStepSeconds, throughputShape, type StepTimeModel, type StepTimeParams } from './stepTimeModel';
import { interpolateThroughput } from './throughput';
import { basisOf, reconcile, speedupIsSupported, VERDICT_RULE, type MeasuredTime, type Verdict } from './verdict';
import { copyEvidence, convergenceDoubt, candidateEvidence, alternatives } from './recommendEvidence';
import { accumulationSteps, largestThatFits, throughputWithAccumulation } from './parallelism';

/** A profiled batch size: the measured part of its evidence, before goodput and times are derived. */
export type ProfiledCandidate = Pick<
  CandidateEvidence,
  'batchSize' | 'status' | 'samplesPerSecond' | 'samplesPerSecondIqr' | 'peakMemoryBytes' | 'fits' | 'throughputWindows'
> & {
  /** Not run (throughput had saturated, or no time), but below the memory ceiling and the memory fit's limit. */
  predictedToFit?: boolean;
  learningRate: number;
};

/** What the convergence trials at one batch size measured (one entry per seed). */
export interface ConvergenceMeasurement {
  batchSize: number;
  learningRate: number;
  /** Loss at the end of each seed's run (validation, or smoothed training loss; NaN when it diverged). */
  finalLosses: number[];
  /** Training seconds at which each seed first reached the target loss (undefined: never). */
  timesToTarget: Array<number | undefined>;
  /** Optimizer steps at which each seed first reached the target (clock-free; undefined: never). */
  stepsToTarget?: Array<number | undefined>;
  /** Why each seed's run diverged (undefined: it did not). */
  diverged: Array<string | undefined>;
}

/** The profile's throughput model: the fit, its bootstrap draws, and the evidence to show. */
export interface ThroughputInput {
  model: StepTimeModel;
  draws: StepTimeParams[];
  evidence: ThroughputModelEvidence;
}

export interface RecommendInput {
  current: { batchSize: number; learningRate: number };
  candidates: ProfiledCandidate[];
  throughput?: ThroughputInput;
  /** Measured (gradient statistics) or fitted (loss curves). */
  noiseScale?: NoiseScaleEstimate;
  /** Why no noise scale could be measured or fitted (then B_noise is assumed). */
  noiseScaleUndetermined?: string;
  noiseScaleCrossCheck?: NoiseScaleEstimate;
  convergence: ConvergenceMeasurement[];
  lrRule: LrRule;
  targetLoss?: number;
  lossSource?: LossSource;
  /** Steps the reference runs (the current batch size) took to the target: gives S_min. */
  referenceStepsToTarget?: number;
  memoryLimitBytes?: number;
  memoryFit?: MemoryFit;
  predictedMaxFit?: number;
  memoryCheck?: MemoryCheck;
  oomCeiling?: number;
  startupSeconds?: number;
  notes?: string[];
  /** Seed of the band's draws (reproducible). */
  seed?: number;
  /** The config can state gradient accumulation: sizes beyond memory are reached by accumulating (issue 13), not ruled out. */
  accumulation?: boolean;
}

/** Draws behind the band: bootstrap draws of the throughput model paired with draws of B_noise. */
const BAND_DRAWS = 200;

export interface Throughput {
  X: (b: number) => number | undefined;
  draws: Array<(b: number) => number>;
  model?: StepTimeModel;
  /** Sizes beyond memory reached by accumulating k passes (B -> k). */
  accumulated: ReadonlyMap<number, number>;
}

/** X(B) from the model; without one (fewer than 3 sizes), the measured points, interpolated between them only. */
function throughputOf(input: RecommendInput, fitting: ReadonlyArray<{ batchSize: number; samplesPerSecond: number }>): Throughput {
  const t = input.throughput;
  const fitMax = input.accumulation ? largestThatFits(input.candidates) : undefined;
  const acc =
    fitMax !== undefined
      ? accumulationSteps(
          input.candidates.filter((c) => !c.fits && !c.predictedToFit).map((c) => c.batchSize),
          fitMax,
        )
      : new Map<number, number>();
  const extend = (X: (b: number) => number | undefined) => (acc.size > 0 ? throughputWithAccumulation(X, acc) : X);
  if (t) {
    const draws = t.draws.map((p) => extend((b: number) => modelThroughput(p, b)) as (b: number) => number);
    return { X: extend((b) => modelThroughput(t.model, b)), draws, model: t.model, accumulated: acc };
  }
  const lo = Math.min(...fitting.map((c) => c.batchSize));
  const hi = Math.max(...fitting.map((c) => c.batchSize));
  return { X: extend((b: number) => (b >= lo && b <= hi ? interpolateThroughput(fitting, b) : undefined)), draws: [], accumulated: acc };
}

/** Candidates beyond memory that accumulation reaches, in words (their throughput is a bound). */
function accumulationNote(tp: Throughput): string | undefined {
  if (tp.accumulated.size === 0) return undefined;
  const list = [...tp.accumulated].map(([b, k]) => `${b} = ${k} x ${b / k}`).join(', ');
  return `batch sizes beyond memory are reached by gradient accumulation (${list}): their throughput is the accumulation model's lower bound X(B) = B / (k t(B/k)), every pass paying the optimizer step`;
}

interface Noise {
  value: number;
  draws: number[];
  assumed: boolean;
}

/**
 * B_noise with its draws: from the estimate's interval (half from the cross-check's when there is
 * a second estimate: the band then allows either), or, assumed, log-uniform over the sizes in play.
 */
function noiseOf(input: RecommendInput, sizes: readonly number[]): Noise {
  const est = input.noiseScale;
  const seed = input.seed ?? 1;
  if (est && Number.isFinite(est.value) && est.value > 0) {
    const other = input.noiseScaleCrossCheck;
    const draws =
      other && Number.isFinite(other.value) && other.value > 0
        ? [...noiseScaleDraws(est, BAND_DRAWS / 2, seed), ...noiseScaleDraws(other, BAND_DRAWS / 2, seed + 1)]
        : noiseScaleDraws(est, BAND_DRAWS, seed);
    return { value: est.value, draws, assumed: false };
  }
  const lo = Math.max(1, Math.min(...sizes));
  const hi = Math.max(lo * 2, Math.max(...sizes));
  return { value: input.current.batchSize, draws: logUniformDraws(lo, hi, BAND_DRAWS, input.seed ?? 1), assumed: true };
}

/**
 * What the convergence runs measured, as times to target. With a step-time model, the steps each
 * run took (which do not depend on the machine's load) times t(B) of the interleaved profile;
 * without one, the runs' wall-clock seconds.
 */
function measuredTimes(input: RecommendInput): MeasuredTime[] {
  const model = input.throughput?.model;
  return input.convergence.map((m) => {
    const steps = m.stepsToTarget;
    const ts =
      model && steps && steps.length > 0 ? steps.map((s) => (s === undefined ? undefined : s * predictStepSeconds(model, m.batchSize))) : m.timesToTarget;
    const all = ts.length > 0 && ts.every((t) => t !== undefined) ? ts : undefined;
    const out: MeasuredTime = {
      batchSize: m.batchSize,
      spread: all ? Math.max(...all) - Math.min(...all) : 0,
      diverged: m.diverged.some((d) => d !== undefined),
    };
    if (all) out.timeToTarget = mean(all);
    return out;
  });
}

/** The band, extended to the pick when the measurement chose a size the model's band left out. */
function bandFor(grid: readonly number[], point: TimeDraw, draws: TimeDraw[], verdict: Verdict, noise: Noise, only: boolean): Recommendation['band'] {
  const b: Band | undefined = nearOptimalBand(grid, point, draws);
  const sizes = b ? [...b.sizes] : [verdict.pick];
  const notes: string[] = [];
  if (only)
    notes.push(
      `only ${grid.length === 1 ? `batch size ${grid[0]}` : `batch sizes ${grid.join(' and ')}`} could be measured: the band cannot reach beyond them`,
    );
  if (!sizes.includes(verdict.pick)) {
    sizes.push(verdict.pick);
    sizes.sort((x, y) => x - y);
    notes.push(`extended to ${verdict.pick}, which the convergence runs measured fastest; the model's band was ${b?.low}-${b?.high}`);
  }
  if (noise.assumed) notes.push('B_noise is assumed, so the band spans what any B_noise between the smallest and the largest size would allow');
  const note = notes.length > 0 ? notes.join('; ') : undefined;
  const band: Recommendation['band'] = {
    low: sizes[0],
    high: sizes[sizes.length - 1],
    tolerance: BAND_TOLERANCE,
    sizes,
    basis: noise.assumed ? 'assumed' : 'fitted',
  };
  if (note) band.note = note;
  return band;
}

/** What the shape of X(B), or the lack of a model, leaves undetermined. */
function throughputDoubts(input: RecommendInput, tp: Throughput, fitting: ReadonlyArray<{ batchSize: number }>, undetermined: string[], notes: string[]): void {
  const sizes = fitting.map((c) => c.batchSize).sort((a, b) => a - b);
  if (!tp.model) {
    undetermined.push(
      sizes.length < 3
        ? `a throughput model: only ${sizes.length} batch size${sizes.length === 1 ? '' : 's'} (${sizes.join(', ')}) could be measured and a fit of t(B) = overhead + B x per-sample cost needs 3; nothing is predicted outside the measured sizes`
        : `a throughput model: none was fitted to the measured sizes (${sizes.join(', ')}), so throughput is interpolated between them and nothing is predicted outside them`,
    );
    return;
  }
  const shape = input.throughput?.evidence.shape ?? throughputShape(tp.model, [], sizes[0], sizes[sizes.length - 1]);
  const x0 = tp.X(sizes[0]) ?? NaN;
  const x1 = tp.X(sizes[sizes.length - 1]) ?? NaN;
  const range = `X(${sizes[0]}) = ${Math.round(x0)}, X(${sizes[sizes.length - 1]}) = ${Math.round(x1)} samples/s`;
  if (shape === 'flat') {
    undetermined.push(`a throughput gain from larger batches: none is measurable (${range}), so the pick rests on statistical efficiency alone`);
  } else if (shape === 'falling') {
    undetermined.push(
      `the best batch size below the search range: throughput falls as the batch grows (${range}), so the smallest size measured is both the fastest and the most sample-efficient; lower the minimum batch size to look below it`,
    );
  }
  if (tp.model.terms === 'quadratic') notes.push('the step-time fit kept a quadratic term: per-sample cost rises at large batches on this machine');
}

/** Why the noise scale is assumed (the current batch size) rather than measured. */
function noiseDoubt(input: RecommendInput, assumed: number): string {
  const why = input.noiseScaleUndetermined ?? 'no gradient statistics and no loss curves to fit it to';
  return `the gradient noise scale: ${why}; B_noise = ${assumed} (the current batch size) is assumed, so no speed-up is claimed`;
}

export function recommend(input: RecommendInput): Recommendation | undefined {
  const notes = [...(input.notes ?? [])];
  const undetermined: string[] = [];
  const fitting = input.candidates.filter((c) => c.fits && (c.samplesPerSecond ?? 0) > 0) as Array<ProfiledCandidate & { samplesPerSecond: number }>;
  if (fitting.length === 0) return undefined;
  const tp = throughputOf(input, fitting);
  const times = measuredTimes(input);
  const diverged = new Set(times.filter((m) => m.diverged).map((m) => m.batchSize));
  const grid = input.candidates
    .filter((c) => (c.fits && (c.samplesPerSecond ?? 0) > 0) || c.predictedToFit || tp.accumulated.has(c.batchSize))
    .map((c) => c.batchSize)
    .filter((b) => !diverged.has(b) && (tp.X(b) ?? 0) > 0);
  const reachable = input.candidates.filter((c) => tp.accumulated.has(c.batchSize) && !diverged.has(c.batchSize) && (tp.X(c.batchSize) ?? 0) > 0);
  const runnable = [...fitting.filter((c) => !diverged.has(c.batchSize) && (tp.X(c.batchSize) ?? 0) > 0), ...reachable];
  const noise = noiseOf(input, grid.length > 0 ? grid : fitting.map((c) => c.batchSize));
  if (noise.assumed) undetermined.push(noiseDoubt(input, noise.value));
  throughputDoubts(input, tp, fitting, undetermined, notes);
  const accNote = accumulationNote(tp);
  if (accNote) notes.push(accNote);
  const X = (b: number) => tp.X(b) ?? NaN;
  const point: TimeDraw = { throughput: X, noiseScale: noise.value };
  const draws: TimeDraw[] = noise.draws.map((n, i) => ({ throughput: tp.draws.length > 0 ? tp.draws[i % tp.draws.length] : X, noiseScale: n }));
  if (runnable.length === 0) {
    undetermined.push(
      'a batch size that trains: every size measured diverged in its convergence runs; lower the learning rate in the config, or use --lr-rule sqrt/none',
    );
  }
  const pool: ProfiledCandidate[] = runnable.length > 0 ? runnable : fitting;
  const modelPick = pool.reduce((a, c) => (relativeTime(point, c.batchSize) < relativeTime(point, a.batchSize) ? c : a));
  const verdict = reconcile(modelPick.batchSize, times);
  if (verdict.note) notes.push(verdict.note);
  const pick = fitting.find((c) => c.batchSize === verdict.pick) ?? pool.find((c) => c.batchSize === verdict.pick) ?? modelPick;
  const band = bandFor(grid.length > 0 ? grid : [pick.batchSize], point, draws, verdict, noise, !tp.model);

  const tmOf = (b: number) => times.find((m) => m.batchSize === b && !m.diverged)?.timeToTarget;
  const minSteps = input.referenceStepsToTarget !== undefined ? minStepsFrom(input.referenceStepsToTarget, input.current.batchSize, noise.value) : undefined;
  const basis = basisOf({
    throughputModel: tp.model !== undefined,
    throughputPoints: fitting.length,
    // An estimate without a source predates issue 10: those came from gradient statistics.
    ...(noise.assumed ? {} : { noiseScale: input.noiseScale?.source ?? 'gradient-statistics' }),
    pickReachedTarget: tmOf(pick.batchSize) !== undefined,
    referenceReachedTarget: minSteps !== undefined,
  });
  if (basis.convergence === 'assumed') undetermined.push(convergenceDoubt(input));

  const rt = (b: number) => relativeTime(point, b);
  const bestRt = Math.min(...grid.map(rt), rt(pick.batchSize));
  const predicted = (b: number) => (minSteps !== undefined && Number.isFinite(rt(b)) ? minSteps * rt(b) : undefined);
  const xCur = tp.X(input.current.batchSize);
  const predictedSpeedup = xCur !== undefined && xCur > 0 ? rt(input.current.batchSize) / rt(pick.batchSize) : undefined;
  const tmCur = tmOf(input.current.batchSize);
  const tmPick = tmOf(pick.batchSize);
  const measuredSpeedup = tmCur !== undefined && tmPick !== undefined && tmPick > 0 ? tmCur / tmPick : undefined;

  const rec: Recommendation = {
    batchSize: pick.batchSize,
    learningRate: pick.learningRate,
    current: { batchSize: input.current.batchSize, learningRate: input.current.learningRate },
    band,
    basis,
    undetermined,
    alternatives: alternatives(input, fitting, tp, predicted),
    candidates: candidateEvidence(input, tp, noise.value, bestRt, band.sizes, predicted),
    evidence: {
      lrRule: input.lrRule,
      goodputPick: modelPick.batchSize,
      verdict: { rule: VERDICT_RULE, by: verdict.by, ...(verdict.measuredPick !== undefined ? { measuredPick: verdict.measuredPick } : {}) },
      notes,
    },
  };
  if (input.noiseScale && !noise.assumed) rec.noiseScale = input.noiseScale;
  else rec.evidence.assumedNoiseScale = noise.value;
  applySpeedups(rec, input.current.batchSize, measuredSpeedup, predictedSpeedup);
  const tPick = predicted(pick.batchSize);
  if (tPick !== undefined) rec.predictedTimeToTarget = tPick;
  const tCur = predicted(input.current.batchSize);
  if (tCur !== undefined) rec.current.predictedTimeToTarget = tCur;
  if (minSteps !== undefined) rec.evidence.minSteps = minSteps;
  copyEvidence(rec.evidence, input);
  return rec;
}

/**
 * The headline speed-up: measured when the convergence runs timed both the current size and the
 * pick (the measurement outranks the model), else the model's; absent when anything is assumed.
 */
function applySpeedups(rec: Recommendation, current: number, measured: number | undefined, predicted: number | undefined): void {
  const e = rec.evidence;
  if (measured !== undefined) e.measuredSpeedupVsCurrent = measured;
  if (predicted !== undefined) e.predictedSpeedupVsCurrent = predicted;
  if (speedupIsSupported(rec.basis)) {
    const s = measured ?? predicted;
    if (s !== undefined) {
      rec.speedupVsCurrent = s;
      rec.speedupBasis = measured !== undefined ? 'measured' : 'fitted';
    }
  }
  if (measured !== undefined && predicted !== undefined && (measured - 1) * (predicted - 1) < 0 && Math.abs(measured - predicted) > BAND_TOLERANCE)
    e.notes.push(
      `the model predicted ${predicted.toFixed(2)}x against the current ${current}, the convergence runs measured ${measured.toFixed(2)}x: the measurement stands`,
    );
}
