// The recommendation in one line, the same words wherever it is shown (CLI, HTML report, and for
// the VS Code side the card and CodeLens may import it): "Recommended 128 · 64–256 within 10% ·
// 1.4x faster (measured)". A speed-up appears only when nothing it rests on was assumed
// (docs/recommendation.md §4); otherwise the line says what was assumed instead.
// Pure: only type imports, so a webview bundle can load it too.
import type { Basis, Recommendation, RecommendationBasis } from '../types';

/** The pieces of the headline, for a UI that styles them apart; `recommendationHeadline` joins them with " · ". */
export interface HeadlineParts {
  /** "Recommended 128", "Keep 32", or a warm-up plan "Recommended 64 → 256 over the run". */
  pick: string;
  /** "64–256 within 10%" (absent when the band is the pick alone, or for a warm-up plan). */
  band?: string;
  /** "1.4x faster (measured)": only when nothing it depends on is assumed. */
  speedup?: string;
  /** "assumed noise scale: no speed-up given" when anything the pick rests on was assumed. */
  assumption?: string;
}

const QUANTITY: Record<keyof RecommendationBasis, string> = { throughput: 'throughput', noiseScale: 'noise scale', convergence: 'time to target' };

/** The quantities the pick rests on that were assumed, in words ("noise scale", ...). */
export function assumedQuantities(basis: RecommendationBasis | undefined): string[] {
  if (!basis) return [];
  return (Object.keys(QUANTITY) as Array<keyof RecommendationBasis>).filter((k) => basis[k] === 'assumed').map((k) => QUANTITY[k]);
}

/** "throughput fitted · noise scale measured · time to target measured" */
export function basisSummary(basis: RecommendationBasis | undefined): string {
  if (!basis) return 'not recorded (a study from before issue 10)';
  return (Object.keys(QUANTITY) as Array<keyof RecommendationBasis>).map((k) => `${QUANTITY[k]} ${basis[k]}`).join(' · ');
}

/** 1.4x, 12x: two significant digits (the measurements do not carry more). */
export function formatSpeedup(x: number): string {
  if (typeof x !== 'number' || !Number.isFinite(x)) return `${String(x)}x`;
  return `${Number(x.toPrecision(x >= 10 ? 3 : 2))}x`;
}

/** "1.4x faster", or "0.8x the speed" when slower (never a negative "faster"). */
function speedWords(x: number): string {
  return x >= 1 ? `${formatSpeedup(x)} faster` : `${formatSpeedup(x)} the speed`;
}

function basisWord(b: Basis | 'fitted' | undefined): string {
  return b ?? 'fitted';
}

/** A warm-up plan's stages as "64 → 256 over the run", or undefined for a fixed (or no) plan. */
export function planArrow(rec: Recommendation): string | undefined {
  const p = rec.plan;
  if (!p || p.kind !== 'warmup' || p.stages.length < 2) return undefined;
  return `${p.stages[0].batchSize} → ${p.stages[p.stages.length - 1].batchSize} over the run`;
}

export function headlineParts(rec: Recommendation): HeadlineParts {
  const assumed = assumedQuantities(rec.basis);
  const assumption = assumed.length > 0 ? `assumed ${assumed.join(' and ')}: no speed-up given` : undefined;
  const arrow = planArrow(rec);
  if (arrow && rec.plan) {
    const p = rec.plan;
    const s = p.speedupVsBestFixed;
    const speedup =
      s !== undefined && p.basis !== 'assumed' && !assumption ? `${speedWords(s)} than a fixed ${p.bestFixed.batchSize} (${basisWord(p.basis)})` : undefined;
    return {
      pick: `Recommended ${arrow}`,
      ...(speedup ? { speedup } : {}),
      ...(assumption || p.basis === 'assumed' ? { assumption: assumption ?? 'assumed plan: no speed-up given' } : {}),
    };
  }
  const keep = rec.batchSize === rec.current.batchSize;
  const out: HeadlineParts = { pick: keep ? `Keep ${rec.batchSize}` : `Recommended ${rec.batchSize}` };
  const band = rec.band as Recommendation['band'] | undefined; // absent in studies from before issue 10
  if (band && band.low !== band.high) out.band = `${band.low}–${band.high} within ${Math.round(band.tolerance * 100)}%`;
  if (assumption) out.assumption = assumption;
  else if (!keep && rec.speedupVsCurrent !== undefined) out.speedup = `${speedWords(rec.speedupVsCurrent)} (${basisWord(rec.speedupBasis)})`;
  return out;
}

/** "Recommended 128 · 64–256 within 10% · 1.4x faster (measured)" */
export function recommendationHeadline(rec: Recommendation): string {
  const p = headlineParts(rec);
  return [p.pick, p.band, p.speedup, p.assumption].filter((x): x is string => x !== undefined).join(' · ');
}
