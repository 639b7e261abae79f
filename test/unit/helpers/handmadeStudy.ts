// Hand-made recommendations and study files for the report and CLI text tests: every case the
// text must tell apart (measured, fitted, assumed, a band, a plan, parallelism, undetermined,
// an interrupted study) without running a study. Numbers are plausible, not from a run.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { StudyLine, StudyRecord, TrialSeries } from '../../../src/core/study/types';
import type { CandidateEvidence, Recommendation, TrialSummary } from '../../../src/core/types';

const SIZES = [16, 32, 64, 128, 256];

/** X(B) = B / (0.004 + 0.00012 B): rising, saturating (a plausible CPU step-time model). */
const X = (b: number) => b / (0.004 + 0.00012 * b);

function candidate(b: number, band: readonly number[]): CandidateEvidence {
  const measured = b <= 128;
  const x = X(b);
  const rel = (b + 300) / x / ((128 + 300) / X(128)); // B_noise = 300: 128 is the model's best
  const c: CandidateEvidence = {
    batchSize: b,
    status: measured ? 'ok' : 'skipped',
    fits: measured,
    learningRate: 0.001 * Math.sqrt(b / 32),
    fittedSamplesPerSecond: x,
    fittedSamplesPerSecondInterval: [x * 0.95, x * (measured ? 1.05 : 1.3)],
    relativeTimeToTarget: rel,
    goodput: 1 / rel,
    predictedTimeToTarget: 20 * rel,
    inBand: band.includes(b),
  };
  if (measured)
    Object.assign(c, { samplesPerSecond: x * 1.02, samplesPerSecondIqr: [x * 0.97, x * 1.06], throughputWindows: 6, peakMemoryBytes: 30e6 + 40_000 * b });
  if (b === 32 || b === 128)
    Object.assign(c, {
      measuredLoss: b === 32 ? 0.412 : 0.405,
      measuredLossSpread: 0.01,
      lossSource: 'validation',
      measuredStepsToTarget: b === 32 ? 3570 : 1030,
      measuredTimeToTarget: b === 32 ? 28 : 20,
    });
  return c;
}

/** Measured everything: throughput fitted, B_noise from gradient statistics, the pick's runs reached the target. */
export function measuredRecommendation(): Recommendation {
  const band = [64, 128, 256];
  return {
    batchSize: 128,
    learningRate: 0.002,
    speedupVsCurrent: 1.4,
    speedupBasis: 'measured',
    predictedTimeToTarget: 20,
    current: { batchSize: 32, learningRate: 0.001, predictedTimeToTarget: 26 },
    band: { low: 64, high: 256, tolerance: 0.1, sizes: band, basis: 'fitted' },
    basis: { throughput: 'fitted', noiseScale: 'measured', convergence: 'measured' },
    undetermined: [],
    noiseScale: {
      value: 300,
      low: 240,
      high: 390,
      source: 'gradient-statistics',
      history: [
        { samples: 1000, loss: 1.2, value: 200, low: 150, high: 260 },
        { samples: 4000, loss: 0.6, value: 300, low: 240, high: 390 },
      ],
    },
    alternatives: {
      largestThatFits: { batchSize: 256, learningRate: 0.0028, predictedTimeToTarget: 21, reason: 'the largest batch under the memory limit' },
      maxThroughput: { batchSize: 128, learningRate: 0.002, predictedTimeToTarget: 20, reason: 'the highest throughput of the fitted model' },
      mostSampleEfficient: { batchSize: 16, learningRate: 0.0007, predictedTimeToTarget: 40, reason: 'the fewest samples to the target loss' },
    },
    candidates: SIZES.map((b) => candidate(b, band)),
    evidence: {
      lrRule: 'sqrt',
      memoryLimitBytes: 2e9,
      memoryFit: { a: 30e6, b: 40_000, r2: 0.999 },
      predictedMaxFit: 256,
      throughputModel: {
        overheadSeconds: 0.004,
        perSampleSeconds: 0.00012,
        quadraticSeconds: 0,
        terms: 'linear',
        rule: 'Huber IRLS',
        residualScale: 0.04,
        observations: 48,
        shape: 'rising',
        residuals: [],
        roundDrift: 1.05,
      },
      targetLoss: 0.41,
      lossSource: 'validation',
      goodputPick: 128,
      minSteps: 120,
      measuredSpeedupVsCurrent: 1.4,
      predictedSpeedupVsCurrent: 1.3,
      verdict: { rule: 'measured time to target outranks the model', by: 'model', measuredPick: 128 },
      notes: ["the convergence runs confirm the model's pick 128"],
    },
  };
}

/** B_noise fitted to loss curves; no convergence run of the pick: the speed-up is the model's. */
export function fittedRecommendation(): Recommendation {
  const r = measuredRecommendation();
  r.speedupVsCurrent = 1.3;
  r.speedupBasis = 'fitted';
  r.basis = { throughput: 'fitted', noiseScale: 'fitted', convergence: 'fitted' };
  r.noiseScale = { value: 140, low: 90, high: 220, source: 'loss-curves' };
  delete r.evidence.measuredSpeedupVsCurrent;
  r.evidence.verdict = { rule: 'measured time to target outranks the model', by: 'model' };
  return r;
}

/** B_noise assumed: the tuner still computes both speed-ups into evidence, and nothing may show them. */
export function assumedRecommendation(): Recommendation {
  const r = measuredRecommendation();
  delete r.speedupVsCurrent;
  delete r.speedupBasis;
  delete r.noiseScale;
  r.basis = { throughput: 'fitted', noiseScale: 'assumed', convergence: 'measured' };
  r.band = {
    ...r.band,
    basis: 'assumed',
    note: 'B_noise is assumed, so the band spans what any B_noise between the smallest and the largest size would allow',
  };
  r.evidence.assumedNoiseScale = 32;
  r.evidence.measuredSpeedupVsCurrent = 1.52;
  r.evidence.predictedSpeedupVsCurrent = 1.37;
  r.undetermined = [
    'the gradient noise scale: the script reports no gradient statistics and only a final loss; B_noise = 32 (the current batch size) is assumed, so no speed-up is claimed',
  ];
  return r;
}

/** The branch phase's critical batch size along the run, a warm-up plan and the pick in three numbers. */
export function plannedRecommendation(): Recommendation {
  const r = measuredRecommendation();
  const method = 'EMA of the training loss over the last 20% of each branch, compared at equal samples';
  const branches = [
    { batchSize: 64, relativeLoss: 1, seeds: 2 },
    { batchSize: 128, relativeLoss: 1.004, seeds: 2 },
    { batchSize: 256, relativeLoss: 1.03, seeds: 2 },
  ];
  r.criticalBatchSize = [
    {
      samples: 20_000,
      step: 312,
      loss: 0.9,
      value: 64,
      low: 32,
      high: 128,
      tolerance: 0.01,
      method,
      branches,
      noiseScale: { value: 40, low: 30, high: 55 },
      checkpointSource: 'study',
      basis: 'measured',
    },
    {
      samples: 120_000,
      step: 1500,
      loss: 0.5,
      value: 128,
      low: 64,
      high: 256,
      tolerance: 0.01,
      method,
      branches,
      noiseScale: { value: 90, low: 70, high: 120 },
      checkpointSource: 'study',
      basis: 'measured',
    },
    {
      samples: 400_000,
      step: 3600,
      loss: 0.3,
      value: 256,
      low: 128,
      high: 256,
      tolerance: 0.01,
      method,
      branches,
      noiseScale: { value: 180, low: 140, high: 240 },
      checkpointSource: 'given',
      basis: 'measured',
    },
  ];
  r.plan = {
    kind: 'warmup',
    stages: [
      { fromSamples: 0, batchSize: 64, learningRate: 0.0014 },
      { fromSamples: 120_000, batchSize: 128, learningRate: 0.002 },
      { fromSamples: 400_000, batchSize: 256, learningRate: 0.0028 },
    ],
    schedule: { kind: 'step', at_steps: [1875, 4062], factor: 2, max_batch_size: 256 },
    horizonSamples: 600_000,
    predictedSteps: 4800,
    predictedSeconds: 600,
    bestFixed: { batchSize: 128, predictedSteps: 4700, predictedSeconds: 780 },
    speedupVsBestFixed: 1.3,
    basis: 'fitted',
    description: '64 until 120k samples, then 128, then 256 from 400k',
  };
  r.parallelism = {
    microBatchSize: 32,
    accumulationSteps: 2,
    worldSize: 2,
    globalBatchSize: 128,
    reason: 'a micro-batch of 32 fits one worker with the safety margin',
  };
  return r;
}

/** What the study could not determine, one sentence each. */
export function undeterminedRecommendation(): Recommendation {
  const r = measuredRecommendation();
  r.undetermined = [
    'a throughput gain from larger batches: none is measurable (X(16) = 2,500, X(128) = 2,600 samples/s), so the pick rests on statistical efficiency alone',
    'time to the target loss: no convergence run reported a loss curve that crossed the target',
  ];
  return r;
}

function trial(id: string, b: number, phase: TrialSummary['phase'] = 'profile'): TrialSummary & { series: TrialSeries } {
  const steps = Array.from({ length: 20 }, (_, i) => ({ step: i + 1, samples: (i + 1) * b, time: (i + 1) * 0.05, loss: 2 / (1 + i * 0.2) }));
  return {
    id,
    phase,
    status: 'ok',
    batchSize: b,
    learningRate: 0.001,
    seed: 1,
    samplesPerSecond: X(b),
    peakMemoryBytes: 30e6 + 40_000 * b,
    wallSeconds: 2,
    finalLoss: steps[19].loss,
    series: { steps, evals: [] },
  };
}

/** A study record around a recommendation, as readStudy would return it. */
export function recordOf(rec: Recommendation | undefined, over: Partial<StudyRecord> = {}): StudyRecord {
  const start: Extract<StudyLine, { type: 'study-start' }> = {
    v: 1,
    type: 'study-start',
    id: 'study-1',
    time: '2026-11-30T10:00:00.000Z',
    configPath: '/work/project/mnist-mlp.yaml',
    currentBatchSize: 32,
    currentLearningRate: 0.001,
    optimizer: 'adam',
    datasetSize: 8000,
    settings: { budgetSeconds: 60, minBatchSize: 16, maxBatchSize: 256, lrRule: 'sqrt', parallel: 1, seed: 1 },
  };
  return {
    file: '/work/project/.batch-tuner/study-1.study.jsonl',
    id: start.id,
    start,
    startedAt: start.time,
    endedAt: '2026-11-30T10:01:00.000Z',
    status: 'completed',
    phases: [],
    trials: [trial('profile-32', 32), trial('profile-128', 128), trial('conv-32-s1', 32, 'convergence'), trial('conv-128-s1', 128, 'convergence')],
    ...(rec ? { recommendation: rec, noiseScale: rec.noiseScale } : {}),
    warnings: [],
    elapsedSeconds: 60,
    skippedLines: 0,
    ...over,
  };
}

/** The study file a record came from: the lines readStudy reads back. */
export function studyLines(r: StudyRecord): StudyLine[] {
  const time = r.startedAt;
  const lines: StudyLine[] = [r.start];
  if (r.plan) lines.push({ v: 1, type: 'plan', time, plan: r.plan });
  for (const p of r.phases) lines.push({ v: 1, type: 'phase', time: p.time, phase: p.phase, message: p.message });
  for (const { series, ...t } of r.trials) lines.push({ v: 1, type: 'trial-end', time, trial: t, series });
  if (r.noiseScale) lines.push({ v: 1, type: 'noise-scale', time, estimate: r.noiseScale });
  if (r.recommendation) lines.push({ v: 1, type: 'recommendation', time, recommendation: r.recommendation });
  for (const message of r.warnings) lines.push({ v: 1, type: 'warning', time, message });
  if (r.status !== 'running')
    lines.push({ v: 1, type: 'study-end', time: r.endedAt ?? time, status: r.status as 'completed', reason: r.reason, elapsedSeconds: r.elapsedSeconds ?? 0 });
  return lines;
}

/** Writes JSONL text to a fresh study file and returns its path. */
export function writeStudyFile(text: string): string {
  const file = join(mkdtempSync(join(tmpdir(), 'bt-report-')), 'crafted.study.jsonl');
  writeFileSync(file, text);
  return file;
}
