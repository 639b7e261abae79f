// `batch-tuner tune`'s answer on stdout: the candidates table and the recommendation in words,
// or one JSON object (--json) that also carries every setting with the layer that set it.
import type { StudyOutcome } from '../core/study';
import { settingsWithProvenance, type ResolvedStudy } from '../core/resolve';
import type { CandidateEvidence, Recommendation } from '../core/types';
import {
  bandText,
  convergenceText,
  criticalBatchText,
  isExtrapolated,
  learningRateText,
  measuredRange,
  memoryText,
  noiseScaleText,
  parallelismText,
  planText,
  speedupText,
  throughputCell,
  throughputText,
  formatBytes,
  formatNumber,
  formatSeconds,
  recommendationHeadline,
  verdictText,
} from '../core/report';

function pad(s: string, n: number, left = false): string {
  return left ? s.padEnd(n) : s.padStart(n);
}

/** Columns of the candidates table: name, what its numbers are (measured / fitted / predicted), left-aligned. */
const COLUMNS: ReadonlyArray<readonly [string, string, boolean]> = [
  ['batch', '', false],
  ['status', '', true],
  ['samples/s', 'measured (fit ±90%)', true],
  ['peak mem', 'measured or fit', true],
  ['time to target', 'predicted', true],
  ['loss reached', 'measured', true],
  ['to target', 'measured', true],
  ['', '', true],
];

function candidateRow(rec: Recommendation, c: CandidateEvidence): string[] {
  const fit = rec.evidence.memoryFit;
  const mem = c.peakMemoryBytes !== undefined ? formatBytes(c.peakMemoryBytes) : fit ? `~${formatBytes(fit.a + fit.b * c.batchSize)} (fit)` : '–';
  const rel = c.relativeTimeToTarget !== undefined ? `${c.relativeTimeToTarget.toFixed(2)}x best` : '';
  const time = [c.predictedTimeToTarget !== undefined ? formatSeconds(c.predictedTimeToTarget) : '', rel].filter(Boolean).join(', ');
  const loss = c.diverged
    ? 'diverged'
    : c.measuredLoss !== undefined
      ? `${formatNumber(c.measuredLoss, 4)}${c.measuredLossSpread ? ` ±${formatNumber(c.measuredLossSpread / 2, 2)}` : ''}`
      : '–';
  const reached = c.measuredStepsToTarget !== undefined ? `${formatNumber(c.measuredStepsToTarget)} steps, ${formatSeconds(c.measuredTimeToTarget)}` : '–';
  const marks = [c.inBand ? '●' : ' ', c.batchSize === rec.batchSize ? '◀ pick' : '', c.batchSize === rec.current.batchSize ? '(current)' : ''];
  return [
    `${c.batchSize}${isExtrapolated(rec, c.batchSize) ? '*' : ' '}`,
    c.status === 'skipped' ? 'not run' : c.status + (c.fits || c.status !== 'ok' ? '' : ' (over limit)'),
    throughputCell(c),
    mem,
    time || '–',
    loss,
    reached,
    marks.filter(Boolean).join(' ').trimEnd(),
  ];
}

/** What the marks and columns mean, under the table. */
function tableKey(rec: Recommendation): string[] {
  const r = measuredRange(rec);
  const band = rec.band;
  const basis = rec.basis.noiseScale === 'assumed' ? 'with an assumed B_noise' : 'by the fitted model';
  const lines = [
    `● in the near-optimal band: within ${Math.round(band.tolerance * 100)}% of the best predicted time (${band.basis}). Time to target predicted ${basis}.`,
  ];
  if (r && rec.candidates.some((c) => isExtrapolated(rec, c.batchSize)))
    lines.push(`* not measured: this row's numbers extrapolate the fitted models beyond the measured sizes ${r.low}–${r.high}.`);
  return lines;
}

/** The candidates: measured against fitted throughput, the band, extrapolated values marked. */
export function formatOutcomeTable(o: StudyOutcome): string {
  const rec = o.recommendation;
  if (!rec) return '';
  const rows = rec.candidates.map((c) => candidateRow(rec, c));
  const widths = COLUMNS.map(([h, sub], i) => Math.max(h.length, sub.length, ...rows.map((r) => r[i].length)));
  const fmtRow = (r: readonly string[]) =>
    r
      .map((x, i) => pad(x, widths[i], COLUMNS[i][2]))
      .join('  ')
      .trimEnd();
  return [
    fmtRow(COLUMNS.map((c) => c[0])),
    fmtRow(COLUMNS.map((c) => c[1])),
    widths.map((w) => '-'.repeat(w)).join('  '),
    ...rows.map(fmtRow),
    '',
    ...tableKey(rec),
  ].join('\n');
}

/** What the pick rests on, one line per quantity, each tagged measured / fitted / assumed. */
function restsOn(rec: Recommendation): string[] {
  return [
    'What it rests on:',
    `  throughput (${rec.basis.throughput}): ${throughputText(rec)}`,
    `  noise scale (${rec.basis.noiseScale}): ${noiseScaleText(rec)}`,
    `  time to target (${rec.basis.convergence}): ${convergenceText(rec)}`,
    `  ${bandText(rec)}`,
    `  ${verdictText(rec)}`,
    ...[memoryText(rec)].filter((x): x is string => x !== undefined).map((m) => `  ${m}`),
  ];
}

/** The run as a whole (issues 11 and 13): the plan, the critical batch size along it, parallelism, a schedule. */
function overTheRun(rec: Recommendation): string[] {
  const lines: string[] = [];
  const plan = planText(rec);
  if (plan) lines.push(`  ${plan}`);
  const cbs = rec.criticalBatchSize ?? [];
  if (cbs.length > 0) lines.push('  Critical batch size along the run (branched trials):', ...cbs.map((c) => `    ${criticalBatchText(c)}`));
  if (rec.parallelism) lines.push(`  Parallelism: ${parallelismText(rec.parallelism)}.`);
  if (rec.schedule) lines.push(`  Dynamic batching: ${rec.schedule.description}`);
  return lines.length > 0 ? ['Over the run:', ...lines] : [];
}

const STATUS_LINE = new Map<string, string>([
  ['stopped', 'The study was stopped before its budget ran out: what follows rests on the trials that finished.'],
  ['interrupted', 'The study was interrupted: what follows rests on the trials that finished before it.'],
]);

export function formatRecommendation(o: StudyOutcome): string {
  const rec = o.recommendation;
  if (!rec) return '';
  const lines: string[] = [];
  const status = STATUS_LINE.get(String(o.status));
  if (status) lines.push(status);
  // With a warm-up plan the headline names the plan; the fixed pick is what it was weighed against.
  const fixed = rec.plan?.kind === 'warmup' ? `  as one fixed size: batch size ${rec.batchSize}` : `  batch size ${rec.batchSize}`;
  lines.push(recommendationHeadline(rec), `${fixed}, ${learningRateText(rec)}`, `  ${speedupText(rec)}`);
  lines.push(...restsOn(rec), ...overTheRun(rec));
  if (rec.undetermined.length > 0) lines.push('Could not determine:', ...rec.undetermined.map((u) => `  - ${u}`));
  const alt = rec.alternatives;
  const a = (name: string, c: typeof alt.largestThatFits) =>
    c
      ? [
          `  ${name}: ${c.batchSize}${c.predictedTimeToTarget !== undefined ? ` (${formatSeconds(c.predictedTimeToTarget)} to target, predicted)` : ''} — ${c.reason}`,
        ]
      : [];
  lines.push(
    'Alternatives:',
    ...a('largest that fits', alt.largestThatFits),
    ...a('highest throughput', alt.maxThroughput),
    ...a('most sample-efficient', alt.mostSampleEfficient),
  );
  if (rec.evidence.notes.length > 0) lines.push('Notes:', ...rec.evidence.notes.map((n) => `  - ${n}`));
  return lines.join('\n');
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
      ...(rec.parallelism ? { parallelism: parallelismJson(rec.parallelism) } : {}),
    },
    current: rec?.current ?? undefined,
    noiseScale: o.noiseScale && { value: o.noiseScale.value, low: o.noiseScale.low, high: o.noiseScale.high },
    alternatives: rec && {
      largestThatFits: pick(rec.alternatives.largestThatFits),
      maxThroughput: pick(rec.alternatives.maxThroughput),
      mostSampleEfficient: pick(rec.alternatives.mostSampleEfficient),
    },
    schedule: rec?.schedule,
    // Issue 11: the critical batch size at checkpoints along the run, and the batch-size plan over it.
    criticalBatchSize: rec?.criticalBatchSize?.map((p) => ({ ...p })),
    plan: rec?.plan,
    candidates: rec?.candidates,
    evidence: rec?.evidence,
    trials: o.trials.map((t) => ({
      id: t.id,
      phase: t.phase,
      batchSize: t.batchSize,
      learningRate: t.learningRate,
      seed: t.seed,
      status: t.status,
      samplesPerSecond: t.samplesPerSecond,
      peakMemoryBytes: t.peakMemoryBytes,
      finalLoss: t.finalLoss,
      finalValLoss: t.finalValLoss,
      ...(t.error ? { error: t.error.message } : {}),
    })),
    budget: o.plan.summary,
    elapsedSeconds: o.elapsedSeconds,
    studyFile: o.studyFile,
    ...(resolved ? { settings: settingsWithProvenance(resolved), notes: resolved.notes } : {}),
  };
}

/** micro x accumulation x workers = global (issue 13), without the prose. */
function parallelismJson(p: NonNullable<NonNullable<StudyOutcome['recommendation']>['parallelism']>) {
  return { microBatchSize: p.microBatchSize, accumulationSteps: p.accumulationSteps, worldSize: p.worldSize, globalBatchSize: p.globalBatchSize };
}

/** JSON has no Infinity/NaN: they become null. */
export const jsonSafe = (_k: string, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v);
