// Robust linear regression for the step-time model: weighted least squares solved by its normal
// equations, and Huber's M-estimator computed by iteratively reweighted least squares (IRLS).
//   Huber, "Robust Estimation of a Location Parameter", Ann. Math. Statist. 35 (1964).
//   Holland & Welsch, "Robust regression using iteratively reweighted least-squares",
//   Commun. Statist. A6 (1977): IRLS for M-estimators; k = 1.345 keeps 95% efficiency at the normal.
import { median } from './stats';

/** Huber's tuning constant: 95% asymptotic efficiency when the errors are normal (Holland & Welsch 1977). */
export const HUBER_K = 1.345;

/** Huber weight psi(u)/u: 1 inside [-k, k], k/|u| outside (Huber 1964). */
export function huberWeight(u: number, k = HUBER_K): number {
  const a = Math.abs(u);
  return a <= k ? 1 : k / a;
}

/** Huber's rho: u^2/2 inside [-k, k], k|u| - k^2/2 outside (Huber 1964). */
export function huberRho(u: number, k = HUBER_K): number {
  const a = Math.abs(u);
  return a <= k ? (a * a) / 2 : k * a - (k * k) / 2;
}

/** Normalised median absolute deviation about zero, 1.4826 median|r| (Hampel 1974): the normal's sd when r ~ N(0, s^2). */
export function madScale(residuals: readonly number[]): number {
  if (residuals.length === 0) return NaN;
  return 1.4826 * median(residuals.map(Math.abs));
}

/**
 * Solves min sum w_i (y_i - x_i . beta)^2 through the normal equations (X'WX) beta = X'Wy, by
 * Gaussian elimination with partial pivoting. Undefined when X'WX is singular (too few distinct rows).
 */
export function weightedLeastSquares(rows: readonly (readonly number[])[], y: readonly number[], w: readonly number[]): number[] | undefined {
  const p = rows[0]?.length ?? 0;
  if (p === 0 || rows.length < p) return undefined;
  const a = Array.from({ length: p }, () => new Array<number>(p + 1).fill(0));
  for (let i = 0; i < rows.length; i++) {
    const wi = w[i];
    if (!(wi > 0)) continue;
    for (let r = 0; r < p; r++) {
      for (let c = 0; c < p; c++) a[r][c] += wi * rows[i][r] * rows[i][c];
      a[r][p] += wi * rows[i][r] * y[i];
    }
  }
  const scale = Math.max(...a.map((row) => Math.max(...row.slice(0, p).map(Math.abs))));
  for (let col = 0; col < p; col++) {
    let piv = col;
    for (let r = col + 1; r < p; r++) if (Math.abs(a[r][col]) > Math.abs(a[piv][col])) piv = r;
    if (!(Math.abs(a[piv][col]) > 1e-12 * scale)) return undefined;
    [a[col], a[piv]] = [a[piv], a[col]];
    for (let r = 0; r < p; r++) {
      if (r === col) continue;
      const f = a[r][col] / a[col][col];
      for (let c = col; c <= p; c++) a[r][c] -= f * a[col][c];
    }
  }
  return a.map((row, i) => row[p] / row[i]);
}

export interface HuberFit {
  coef: number[];
  /** Residuals y - x.beta, scaled by sqrt(base weight) (for the step-time model: relative residuals). */
  residuals: number[];
  /** The final Huber weights (1: an ordinary point; < 1: down-weighted as an outlier). */
  robustWeights: number[];
  /** Robust scale of the scaled residuals (normalised MAD). */
  scale: number;
  iterations: number;
}

/**
 * Huber M-estimate of y ~ X beta by IRLS (Holland & Welsch 1977), starting from weighted least
 * squares. `baseWeights` make the residuals comparable (e.g. 1/y^2: relative errors), the Huber
 * weights then bound the pull of outliers (a window hit by another process's burst of work).
 */
export function huberRegression(
  rows: readonly (readonly number[])[],
  y: readonly number[],
  baseWeights: readonly number[],
  opts: { k?: number; maxIterations?: number; tolerance?: number } = {},
): HuberFit | undefined {
  const k = opts.k ?? HUBER_K;
  const sw = baseWeights.map(Math.sqrt);
  const resid = (b: number[]) => rows.map((x, i) => (y[i] - x.reduce((s, xj, j) => s + xj * b[j], 0)) * sw[i]);
  let coef = weightedLeastSquares(rows, y, baseWeights);
  if (!coef) return undefined;
  let robust = rows.map(() => 1);
  let r = resid(coef);
  let scale = madScale(r);
  let it = 0;
  for (; it < (opts.maxIterations ?? 50); it++) {
    if (!(scale > 0)) break; // an exact fit: nothing to down-weight
    robust = r.map((ri) => huberWeight(ri / scale, k));
    const next = weightedLeastSquares(
      rows,
      y,
      baseWeights.map((bw, i) => bw * robust[i]),
    );
    if (!next) break;
    const change = Math.max(...next.map((c, j) => Math.abs(c - coef![j]) / Math.max(Math.abs(c), 1e-300)));
    coef = next;
    r = resid(coef);
    scale = madScale(r);
    if (change < (opts.tolerance ?? 1e-8)) break;
  }
  return { coef, residuals: r, robustWeights: robust, scale, iterations: it };
}
