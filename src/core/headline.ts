// The recommendation in words, the same everywhere it is shown: the panel's card, the sidebar's
// live view and tree, CodeLens, quick picks, the end-of-study notification, the CLI and the HTML
// report. "Recommended 128 · 64–256 within 10% · 1.4x faster (measured)". A speed-up appears only
// when nothing it rests on was assumed (docs/recommendation.md §4); otherwise the line says what
// was assumed instead. Pure (type imports only): the webview bundles load it too (PURE_CORE).
import type { Basis, BatchSizePlan, Parallelism, Recommendation, RecommendationBasis } from './types';
import type { ApplyChanges } from './config/apply';

/** A piece of the headline with how its number was obtained (the UI shows the basis as a tag). */
export interface TaggedText {
  text: string;
  basis: Basis;
}

/** The pieces of the headline, for a UI that styles them apart; `recommendationHeadline` joins them. */
export interface HeadlineParts {
  /** "Recommended 128", "Keep 32", or a warm-up plan "Recommended 64 → 256 over the run". */
  pick: string;
  /** "64–256 within 10%" (absent when the band is the pick alone, and for a warm-up plan). */
  band?: TaggedText;
  /** "1.4x faster": only when nothing it depends on is assumed. */
  speedup?: TaggedText;
  /** "assumed noise scale (B_noise = 32): no speed-up given", when anything the pick rests on was assumed. */
  assumption?: string;
}

const QUANTITY: Record<keyof RecommendationBasis, string> = { throughput: 'throughput', noiseScale: 'noise scale', convergence: 'time to target' };
const QUANTITY_KEYS = Object.keys(QUANTITY) as Array<keyof RecommendationBasis>;

/** What each basis means, for tooltips beside the tags. */
export const BASIS_MEANING: Record<Basis, string> = {
  measured: 'measured: read off real trials',
  fitted: 'fitted: a model fitted to real trials',
  assumed: 'assumed: a default used for want of data, never a measurement',
};

/** The quantities the pick rests on that were assumed, in words, with the assumed value when known. */
export function assumedQuantities(rec: Pick<Recommendation, 'basis' | 'evidence'>): string[] {
  const basis = rec.basis as RecommendationBasis | undefined; // absent in studies from before issue 10
  if (!basis) return [];
  return QUANTITY_KEYS.filter((k) => basis[k] === 'assumed').map((k) => {
    const value = k === 'noiseScale' ? rec.evidence.assumedNoiseScale : undefined;
    return value !== undefined ? `${QUANTITY[k]} (B_noise = ${formatCount(value)})` : QUANTITY[k];
  });
}

/** "throughput fitted · noise scale measured · time to target measured" */
export function basisSummary(basis: RecommendationBasis | undefined): string {
  if (!basis) return 'not recorded (a study from before issue 10)';
  return QUANTITY_KEYS.map((k) => `${QUANTITY[k]} ${basis[k]}`).join(' · ');
}

/** Each quantity the pick rests on with its basis, for a row of tags. */
export function basisEntries(basis: RecommendationBasis | undefined): Array<{ quantity: string; basis: Basis }> {
  return basis ? QUANTITY_KEYS.map((k) => ({ quantity: QUANTITY[k], basis: basis[k] })) : [];
}

/** 1.4x, 12x: two significant digits (the measurements do not carry more). */
export function formatSpeedupFactor(x: number): string {
  // Study files are untrusted: a non-number here must not throw (the caller escapes what it shows).
  if (typeof x !== 'number' || !Number.isFinite(x)) return `${String(x)}x`;
  return `${x >= 10 ? x.toFixed(0) : x.toFixed(1)}x`;
}

/** "1.4x faster", "about as fast" within 5%, "0.8x the speed" when slower (never a negative "faster"). */
export function speedWords(x: number): string {
  if (Math.abs(x - 1) < 0.05) return 'about as fast';
  return x > 1 ? `${formatSpeedupFactor(x)} faster` : `${formatSpeedupFactor(x)} the speed`;
}

/** Compact counts for sample numbers: 950, 12k, 1.2M. */
export function formatCount(n: number): string {
  const a = Math.abs(n);
  if (a >= 1e9) return `${Number((n / 1e9).toPrecision(a >= 1e10 ? 3 : 2))}G`;
  if (a >= 1e6) return `${Number((n / 1e6).toPrecision(a >= 1e7 ? 3 : 2))}M`;
  if (a >= 1e4) return `${Number((n / 1e3).toPrecision(a >= 1e5 ? 3 : 2))}k`;
  return Number.isInteger(n) ? String(n) : String(Number(n.toPrecision(3)));
}

/** A warm-up plan (two stages or more), or undefined for a fixed plan or none. */
export function warmupPlan(rec: Pick<Recommendation, 'plan'>): BatchSizePlan | undefined {
  const p = rec.plan;
  return p && p.kind === 'warmup' && p.stages.length >= 2 ? p : undefined;
}

/**
 * What Apply plan writes (the panel's button and the CodeLens alike): the plan's `batch_schedule`,
 * and the batch size and learning rate of its first stage, nothing else; undefined when the plan
 * has no schedule for the built-in trainer. Not `steps`: the run's length is the person's (the plan
 * was costed over it, or over --horizon), and the plan's step count is a prediction to the target
 * loss, not a measurement to cut the run at.
 */
export function warmupPlanChanges(
  rec: Pick<Recommendation, 'plan'>,
  withLearningRate = true,
): Pick<ApplyChanges, 'batchSize' | 'learningRate' | 'schedule'> | undefined {
  const p = warmupPlan(rec);
  const first = p?.stages[0];
  if (!p?.schedule || !first) return undefined;
  return { batchSize: first.batchSize, ...(withLearningRate ? { learningRate: first.learningRate } : {}), schedule: p.schedule };
}

/** A warm-up plan's ends as "64 → 256 over the run", or undefined for a fixed (or no) plan. */
export function planArrow(rec: Pick<Recommendation, 'plan'>): string | undefined {
  const p = warmupPlan(rec);
  return p && `${p.stages[0].batchSize} → ${p.stages[p.stages.length - 1].batchSize} over the run`;
}

function assumptionText(assumed: string[]): string | undefined {
  return assumed.length > 0 ? `assumed ${assumed.join(' and ')}: no speed-up given` : undefined;
}

function planParts(p: BatchSizePlan, arrow: string, assumption: string | undefined): HeadlineParts {
  const out: HeadlineParts = { pick: `Recommended ${arrow}` };
  if (assumption || p.basis === 'assumed') out.assumption = assumption ?? 'assumed plan: no speed-up given';
  else if (p.speedupVsBestFixed !== undefined)
    out.speedup = { text: `${speedWords(p.speedupVsBestFixed)} than a fixed ${p.bestFixed.batchSize}`, basis: p.basis };
  return out;
}

export function headlineParts(rec: Recommendation): HeadlineParts {
  const assumption = assumptionText(assumedQuantities(rec));
  const plan = warmupPlan(rec);
  const arrow = planArrow(rec);
  if (plan && arrow) return planParts(plan, arrow, assumption);
  const keep = rec.batchSize === rec.current.batchSize;
  const out: HeadlineParts = { pick: keep ? `Keep ${rec.batchSize}` : `Recommended ${rec.batchSize}` };
  const band = rec.band as Recommendation['band'] | undefined; // absent in studies from before issue 10
  if (band && band.low !== band.high) out.band = { text: `${band.low}–${band.high} within ${Math.round(band.tolerance * 100)}%`, basis: band.basis };
  if (assumption) out.assumption = assumption;
  else if (!keep && rec.speedupVsCurrent !== undefined && Number.isFinite(rec.speedupVsCurrent) && rec.speedupVsCurrent > 0)
    out.speedup = { text: speedWords(rec.speedupVsCurrent), basis: rec.speedupBasis ?? 'fitted' };
  return out;
}

/** "64–256 within 10%", with "(assumed)" when it rests on an assumption; "1.4x faster (measured)". */
function tagged(t: TaggedText | undefined, alwaysTag: boolean): string | undefined {
  if (!t) return undefined;
  return alwaysTag || t.basis === 'assumed' ? `${t.text} (${t.basis})` : t.text;
}

/** "Recommended 128 · 64–256 within 10% · 1.4x faster (measured)" */
export function recommendationHeadline(rec: Recommendation): string {
  const p = headlineParts(rec);
  return [p.pick, tagged(p.band, false), tagged(p.speedup, true), p.assumption].filter((x): x is string => x !== undefined).join(' · ');
}

/** "32 × 4 accumulation × 2 workers = global 256" */
export function parallelismText(p: Parallelism): string {
  const acc = `${p.accumulationSteps} accumulation step${p.accumulationSteps === 1 ? '' : 's'}`;
  const workers = `${p.worldSize} worker${p.worldSize === 1 ? '' : 's'}`;
  return `${p.microBatchSize} × ${acc} × ${workers} = global ${p.globalBatchSize}`;
}

/** One line per stage: "64 from the start", "128 from 120k samples" (with its learning rate). */
export function planStageLines(plan: BatchSizePlan): string[] {
  return plan.stages.map(
    (s, i) =>
      `${s.batchSize} ${i === 0 ? 'from the start' : `from ${formatCount(s.fromSamples)} samples`} (learning rate ${Number(s.learningRate.toPrecision(3))})`,
  );
}

/** A study's state as a person reads it; `interrupted`: no end was written and its process is gone. */
export interface StudyStatusText {
  label: string;
  /** A codicon name (the tree and the webviews share them). */
  icon: string;
  detail: string;
  /** Worth a warning colour (failed, interrupted). */
  warning?: boolean;
}

const STATUS_TEXT: Record<string, StudyStatusText> = {
  completed: { label: 'completed', icon: 'beaker', detail: 'The study ran to its end.' },
  running: { label: 'running', icon: 'sync', detail: 'The study is still writing results.' },
  stopped: { label: 'stopped', icon: 'circle-slash', detail: 'The study was stopped before its end; its recommendation rests on what it measured until then.' },
  failed: { label: 'failed', icon: 'error', detail: 'The study failed; see its reason.', warning: true },
  interrupted: {
    warning: true,
    label: 'interrupted',
    icon: 'debug-disconnect',
    detail: 'The study has no end and the process that ran it is gone (a crash, a closed window or a killed terminal): its results stop where it was cut off.',
  },
};

export function studyStatusText(status: string): StudyStatusText {
  return STATUS_TEXT[status] ?? { label: status, icon: 'question', detail: `Study status "${status}".` };
}

/** A stored study in a list (the sidebar, Open Study): its pick and speed-up (present only when nothing was assumed), or its state. */
export function studyEntryText(e: { status: string; recommendedBatchSize?: number; speedupVsCurrent?: number; trials: number }): string {
  const status = studyStatusText(e.status);
  if (e.recommendedBatchSize === undefined) return `${status.label} · ${e.trials} trials`;
  const state = e.status === 'completed' ? '' : `${status.label} · `;
  return `${state}Recommended ${e.recommendedBatchSize}${e.speedupVsCurrent ? ` · ${speedWords(e.speedupVsCurrent)}` : ''}`;
}
