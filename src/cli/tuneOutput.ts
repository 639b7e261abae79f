// `batch-tuner tune`'s answer on stdout: the candidates table and the recommendation in words,
// or one JSON object (--json) that also carries every setting with the layer that set it.
import type { StudyOutcome } from '../core/study';
import { settingsWithProvenance, type ResolvedStudy } from '../core/resolve';
import { formatBytes, formatNumber, formatSeconds } from '../core/report';

function pad(s: string, n: number, left = false): string {
  return left ? s.padEnd(n) : s.padStart(n);
}

export function formatOutcomeTable(o: StudyOutcome): string {
  const rec = o.recommendation;
  if (!rec) return '';
  const head = ['batch', 'status', 'samples/s', 'peak mem', 'goodput', 'pred. time', 'conv. val loss', ''];
  const rows = rec.candidates.map((c) => [
    String(c.batchSize),
    c.status + (c.fits || c.status !== 'ok' ? '' : ' (over limit)'),
    formatNumber(c.samplesPerSecond),
    formatBytes(c.peakMemoryBytes),
    formatNumber(c.goodput, 2),
    formatSeconds(c.predictedTimeToTarget),
    c.measuredLoss !== undefined ? `${formatNumber(c.measuredLoss, 4)}${c.measuredLossSpread ? ` ±${formatNumber(c.measuredLossSpread / 2, 2)}` : ''}` : '–',
    c.batchSize === rec.batchSize ? '◀ pick' : c.batchSize === rec.current.batchSize ? '(current)' : '',
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const fmtRow = (r: string[]) => r.map((x, i) => pad(x, widths[i], i === 1 || i === 7)).join('  ');
  return [fmtRow(head), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(fmtRow)].join('\n');
}

export function formatRecommendation(o: StudyOutcome): string {
  const rec = o.recommendation;
  if (!rec) return '';
  const lines: string[] = [];
  lines.push(headline(rec));
  if (rec.undetermined.length > 0) for (const u of rec.undetermined) lines.push(`Could not determine: ${u}`);
  if (rec.noiseScale) lines.push(`Gradient noise scale B_noise ~ ${formatNumber(rec.noiseScale.value)} (90% interval ${formatNumber(rec.noiseScale.low)}-${formatNumber(rec.noiseScale.high)}).`);
  const alt = rec.alternatives;
  const a = (name: string, c: typeof alt.largestThatFits) => c && lines.push(`  ${name}: ${c.batchSize}${c.predictedTimeToTarget !== undefined ? ` (${formatSeconds(c.predictedTimeToTarget)} to target)` : ''} — ${c.reason}`);
  lines.push('Alternatives:');
  a('largest that fits', alt.largestThatFits);
  a('highest throughput', alt.maxThroughput);
  a('most sample-efficient', alt.mostSampleEfficient);
  if (rec.schedule) lines.push(`Dynamic batching: ${rec.schedule.description}`);
  lines.push(...overTheRun(rec));
  for (const n of rec.evidence.notes) lines.push(`note: ${n}`);
  return lines.join('\n');
}

/** "Recommended 128 · 64–256 within 10% · 1.4x faster (measured)", or what it rests on when a number was assumed. */
export function headline(rec: NonNullable<StudyOutcome['recommendation']>): string {
  const band = rec.band.low !== rec.band.high ? ` · ${rec.band.low}–${rec.band.high} within ${Math.round(rec.band.tolerance * 100)}%` : '';
  const lr = ` (learning rate ${formatNumber(rec.learningRate, 4)})`;
  const basis = `throughput ${rec.basis.throughput}, noise scale ${rec.basis.noiseScale}, convergence ${rec.basis.convergence}`;
  if (rec.batchSize === rec.current.batchSize) return `Keep batch size ${rec.batchSize}${lr}${band}: no other size was predicted or measured to reach the same loss sooner (${basis}).`;
  if (rec.speedupVsCurrent === undefined)
    return `Recommended batch size ${rec.batchSize}${lr}${band}. It rests on an assumption (${basis}), so no speed-up is given.`;
  const times = rec.predictedTimeToTarget !== undefined ? ` (${formatSeconds(rec.current.predictedTimeToTarget)} -> ${formatSeconds(rec.predictedTimeToTarget)})` : '';
  return `Recommended batch size ${rec.batchSize}${lr}${band} · ${formatNumber(rec.speedupVsCurrent, 3)}x faster to the same loss than the current ${rec.current.batchSize}, ${rec.speedupBasis ?? 'fitted'}${times} (${basis}).`;
}

type Rec = NonNullable<StudyOutcome['recommendation']>;

const count = (x: number | undefined) => (x === undefined ? '–' : Math.round(x).toLocaleString('en-US'));

/** "Recommended 64 → 256 over the run · 1.31x faster than the best fixed size 128 (predicted)", or the fixed size. */
export function planHeadline(plan: NonNullable<Rec['plan']>): string {
  const horizon = `${count(plan.horizonSamples)}-sample run`;
  if (plan.kind === 'fixed') return `Recommended ${plan.stages[0].batchSize} over the ${horizon} (a fixed size: no warm-up was predicted >= 10% faster)`;
  const sizes = plan.stages.map((s) => s.batchSize).join(' → ');
  const faster = plan.speedupVsBestFixed !== undefined ? ` · ${formatNumber(plan.speedupVsBestFixed, 3)}x faster than the best fixed size ${plan.bestFixed.batchSize}` : '';
  return `Recommended ${sizes} over the ${horizon}${faster} (predicted, ${plan.basis}: ${count(plan.predictedSteps)} steps vs ${count(plan.bestFixed.predictedSteps)})`;
}

/** The critical batch size along the run and the plan it implies (issue 11). */
function overTheRun(rec: Rec): string[] {
  const lines: string[] = [];
  const cbs = rec.criticalBatchSize ?? [];
  if (cbs.length > 0) {
    const at = cbs.map((p) => `${p.atLeast ? '≥' : ''}${p.value}${p.low !== p.high ? ` (${p.low}–${p.high})` : ''} at ${count(p.samples)} samples${p.noiseScale ? ` [B_noise ~${formatNumber(p.noiseScale.value)}]` : ''}`);
    lines.push(`Critical batch size along the run (branched trials, ${cbs[0].checkpointSource === 'given' ? 'your checkpoints' : 'checkpoints the study trained'}): ${at.join(', ')}.`);
    lines.push(`  how: ${cbs[0].method}`);
  }
  if (rec.plan) {
    lines.push(planHeadline(rec.plan));
    lines.push(`  plan: ${rec.plan.description}`);
  }
  return lines;
}

/** The --json object; `settings` says, for each setting, its value and which layer set it (cli, config, default, ...). */
export function outcomeJson(o: StudyOutcome, resolved?: ResolvedStudy): Record<string, unknown> {
  const rec = o.recommendation;
  const pick = (c: { batchSize: number; learningRate: number; predictedTimeToTarget?: number; samplesPerSecond?: number } | undefined) =>
    c && { batchSize: c.batchSize, learningRate: c.learningRate, predictedTimeToTarget: c.predictedTimeToTarget, samplesPerSecond: c.samplesPerSecond };
  return {
    status: o.status,
    ...(o.reason ? { reason: o.reason } : {}),
    recommended: rec && {
      batchSize: rec.batchSize,
      learningRate: rec.learningRate,
      band: { low: rec.band.low, high: rec.band.high },
      basis: rec.basis,
      ...(rec.speedupVsCurrent !== undefined ? { speedupVsCurrent: rec.speedupVsCurrent, speedupBasis: rec.speedupBasis } : {}),
      predictedTimeToTarget: rec.predictedTimeToTarget,
      measuredSpeedupVsCurrent: rec.evidence.measuredSpeedupVsCurrent,
      undetermined: rec.undetermined,
    },
    current: rec?.current ?? undefined,
    noiseScale: o.noiseScale && { value: o.noiseScale.value, low: o.noiseScale.low, high: o.noiseScale.high },
    alternatives: rec && { largestThatFits: pick(rec.alternatives.largestThatFits), maxThroughput: pick(rec.alternatives.maxThroughput), mostSampleEfficient: pick(rec.alternatives.mostSampleEfficient) },
    schedule: rec?.schedule,
    // Issue 11: the critical batch size at checkpoints along the run, and the batch-size plan over it.
    criticalBatchSize: rec?.criticalBatchSize?.map((p) => ({ ...p })),
    plan: rec?.plan,
    candidates: rec?.candidates,
    evidence: rec?.evidence,
    trials: o.trials.map((t) => ({ id: t.id, phase: t.phase, batchSize: t.batchSize, learningRate: t.learningRate, seed: t.seed, status: t.status, samplesPerSecond: t.samplesPerSecond, peakMemoryBytes: t.peakMemoryBytes, finalLoss: t.finalLoss, finalValLoss: t.finalValLoss, ...(t.error ? { error: t.error.message } : {}) })),
    budget: o.plan.summary,
    elapsedSeconds: o.elapsedSeconds,
    studyFile: o.studyFile,
    ...(resolved ? { settings: settingsWithProvenance(resolved), notes: resolved.notes } : {}),
  };
}

/** JSON has no Infinity/NaN: they become null. */
export const jsonSafe = (_k: string, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v);

