// Throughput as a model, not a list of noisy points. The wall time of one optimizer step is a
// fixed part (kernel launches, Python/JS overhead, the optimizer update) plus a part that grows
// with the samples in the batch:
//   t(B) = overhead + perSample * B            (+ quadratic * B^2 only when the data ask for it)
// so X(B) = B / t(B) samples/s saturates at 1/perSample (the model behind Pollux's throughput fit,
// Qiao et al., OSDI '21, sec. 4.1, without its network term). The quadratic term describes a
// per-sample cost that rises at large batches (caches spill): it is kept only when it lowers the
// robust Schwarz criterion 2 sum rho(r_i/s) + p ln n (Machado, "Robust model selection and
// M-estimation", Econometric Theory 9, 1993; Schwarz 1978) by more than 2, "positive evidence" on
// the -2 ln L scale (Kass & Raftery 1995). The fit is Huber's M-estimator on relative residuals
// (./robustFit.ts); its uncertainty comes from a two-stage bootstrap over trials and their windows.
import { huberRegression, huberRho } from './robustFit';
import { quantile, seededRandom } from './stats';
import type { StepTimeWindow } from './throughput';

export interface StepTimeParams {
  overheadSeconds: number;
  perSampleSeconds: number;
  /** Seconds per sample^2; 0 unless the criterion kept the term. */
  quadraticSeconds: number;
}

export interface StepTimeModel extends StepTimeParams {
  terms: 'linear' | 'quadratic';
  /** Robust scale (normalised MAD) of the relative residuals (t_measured - t_fit)/t_measured. */
  residualScale: number;
  observations: number;
  batchSizes: number;
  /** The robust Schwarz criterion of each model tried (lower is better). */
  criterion: { linear: number; quadratic?: number };
}

/** Fewest distinct batch sizes a model is fitted to: two parameters and at least one degree of freedom. */
export const MIN_MODEL_BATCH_SIZES = 3;
/** Criterion drop the quadratic term must buy (Kass & Raftery 1995: > 2 is positive evidence). */
export const QUADRATIC_CRITERION_DROP = 2;

export function predictStepSeconds(p: StepTimeParams, batchSize: number): number {
  return p.overheadSeconds + p.perSampleSeconds * batchSize + p.quadraticSeconds * batchSize * batchSize;
}

/** X(B) = B / t(B), samples per second. */
export function modelThroughput(p: StepTimeParams, batchSize: number): number {
  return batchSize / predictStepSeconds(p, batchSize);
}

type Terms = ReadonlyArray<'overhead' | 'perSample' | 'quadratic'>;

function fitTerms(obs: readonly StepTimeWindow[], terms: Terms) {
  const rows = obs.map((o) => terms.map((t) => (t === 'overhead' ? 1 : t === 'perSample' ? o.batchSize : o.batchSize * o.batchSize)));
  const fit = huberRegression(
    rows,
    obs.map((o) => o.stepSeconds),
    obs.map((o) => 1 / (o.stepSeconds * o.stepSeconds)),
  );
  if (!fit) return undefined;
  const get = (t: Terms[number]) => (terms.includes(t) ? fit.coef[terms.indexOf(t)] : 0);
  return { params: { overheadSeconds: get('overhead'), perSampleSeconds: get('perSample'), quadraticSeconds: get('quadratic') }, fit };
}

/**
 * Fit with the physical constraints: no negative overhead, no negative per-sample cost. A
 * coefficient that comes out negative is dropped (fixed at 0) and the rest refitted.
 */
function constrainedFit(obs: readonly StepTimeWindow[], withQuadratic: boolean) {
  let terms: Terms = withQuadratic ? ['overhead', 'perSample', 'quadratic'] : ['overhead', 'perSample'];
  for (let attempt = 0; attempt < 3; attempt++) {
    const r = fitTerms(obs, terms);
    if (!r) return undefined;
    const p = r.params;
    const negative = terms.find((t) => (t === 'overhead' ? p.overheadSeconds : t === 'perSample' ? p.perSampleSeconds : p.quadraticSeconds) < 0);
    if (!negative) return r;
    if (negative === 'quadratic') return undefined; // no rising per-sample cost: the linear model holds
    terms = terms.filter((t) => t !== negative);
    if (terms.length === 0) return undefined;
  }
  return undefined;
}

/** Relative residuals below this are timer resolution, not signal: the criterion's scale never goes lower. */
export const MIN_RELATIVE_SCALE = 1e-4;

/** 2 sum rho(r_i / s) + p ln n with a common scale s (Machado 1993). */
function robustSchwarz(residuals: readonly number[], scale: number, parameters: number): number {
  const s = Math.max(scale, MIN_RELATIVE_SCALE);
  return 2 * residuals.reduce((a, r) => a + huberRho(r / s), 0) + parameters * Math.log(residuals.length);
}

/** The robust step-time model, or undefined with fewer than MIN_MODEL_BATCH_SIZES distinct sizes. */
export function fitStepTimeModel(windows: readonly StepTimeWindow[]): StepTimeModel | undefined {
  const obs = windows.filter((w) => w.batchSize > 0 && w.stepSeconds > 0 && Number.isFinite(w.stepSeconds));
  const sizes = new Set(obs.map((o) => o.batchSize)).size;
  if (sizes < MIN_MODEL_BATCH_SIZES) return undefined;
  const lin = constrainedFit(obs, false);
  if (!lin) return undefined;
  const s = lin.fit.scale;
  const model: StepTimeModel = {
    ...lin.params,
    terms: 'linear',
    residualScale: s,
    observations: obs.length,
    batchSizes: sizes,
    criterion: { linear: robustSchwarz(lin.fit.residuals, s, 2) },
  };
  if (sizes >= MIN_MODEL_BATCH_SIZES + 1) {
    const quad = constrainedFit(obs, true);
    if (quad && quad.params.quadraticSeconds > 0) {
      const c = robustSchwarz(quad.fit.residuals, s, 3);
      model.criterion.quadratic = c;
      if (c < model.criterion.linear - QUADRATIC_CRITERION_DROP) Object.assign(model, quad.params, { terms: 'quadratic', residualScale: quad.fit.scale });
    }
  }
  return model;
}

/** Refits the chosen terms to a resample (the structure stays the one the criterion chose). */
function refit(obs: readonly StepTimeWindow[], terms: StepTimeModel['terms']): StepTimeParams | undefined {
  return constrainedFit(obs, terms === 'quadratic')?.params;
}

/**
 * Two-stage bootstrap (Davison & Hinkley 1997, sec. 3.8), stratified by batch size: for each size
 * its trials are resampled with replacement, then the windows of each chosen trial. Windows of one
 * trial share its machine state, so resampling them alone would understate the spread between
 * rounds. Seeded: the same data give the same draws.
 */
export function bootstrapStepTimeModel(
  windows: readonly StepTimeWindow[],
  model: StepTimeModel,
  opts: { seed?: number; resamples?: number } = {},
): StepTimeParams[] {
  const rand = seededRandom(opts.seed ?? 1);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)];
  const strata = new Map<number, Map<string, StepTimeWindow[]>>();
  for (const w of windows) {
    const groups = strata.get(w.batchSize) ?? new Map<string, StepTimeWindow[]>();
    groups.set(w.group, [...(groups.get(w.group) ?? []), w]);
    strata.set(w.batchSize, groups);
  }
  const draws: StepTimeParams[] = [];
  for (let r = 0; r < (opts.resamples ?? 200); r++) {
    const sample: StepTimeWindow[] = [];
    for (const groups of strata.values()) {
      const gs = [...groups.values()];
      for (let g = 0; g < gs.length; g++) {
        const chosen = pick(gs);
        for (let i = 0; i < chosen.length; i++) sample.push(pick(chosen));
      }
    }
    const p = refit(sample, model.terms);
    if (p) draws.push(p);
  }
  return draws;
}

/** Percentile interval of X(B) over bootstrap draws (level 0.9: the 5th and 95th percentiles). */
export function throughputInterval(draws: readonly StepTimeParams[], batchSize: number, level = 0.9): [number, number] | undefined {
  const xs = draws.map((d) => modelThroughput(d, batchSize)).filter((x) => Number.isFinite(x) && x > 0);
  if (xs.length === 0) return undefined;
  return [quantile(xs, (1 - level) / 2), quantile(xs, 1 - (1 - level) / 2)];
}

export type ThroughputShape = 'rising' | 'flat' | 'falling';

/**
 * How throughput moves across the measured range, judged on the ratio X(largest)/X(smallest) over
 * the bootstrap draws: rising when even its 5th percentile gains more than `margin`, falling when
 * even its 95th percentile loses more than `margin`, flat otherwise (no size measurably faster).
 */
export function throughputShape(model: StepTimeParams, draws: readonly StepTimeParams[], smallest: number, largest: number, margin = 0.05): ThroughputShape {
  const ratio = (p: StepTimeParams) => modelThroughput(p, largest) / modelThroughput(p, smallest);
  const rs = draws.length > 0 ? draws.map(ratio) : [ratio(model)];
  if (quantile(rs, 0.05) > 1 + margin) return 'rising';
  if (quantile(rs, 0.95) < 1 - margin) return 'falling';
  return 'flat';
}

/**
 * The batch size of highest goodput B/t(B)/(B + B_noise) for the linear model, in closed form:
 * d/dB ln[B / ((a + cB)(B + N))] = 0 gives a N = c B^2, so B* = sqrt(a N / c) (derived here from
 * the goodput of Qiao et al. 2021 with T(B) of McCandlish et al. 2018, eq. 2.11). Infinity when
 * c = 0 (throughput never saturates in the model); NaN with a quadratic term (no closed form:
 * search the allowed sizes instead).
 */
export function goodputOptimalBatchSize(p: StepTimeParams, noiseScale: number): number {
  if (p.quadraticSeconds > 0) return NaN;
  if (!(p.perSampleSeconds > 0)) return Infinity;
  return Math.sqrt((p.overheadSeconds * noiseScale) / p.perSampleSeconds);
}
