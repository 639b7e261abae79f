// `batch-tuner train`'s summary of one run: one JSON object (--json) or a few aligned lines.
import type { TrialResult } from '../core/types';

/** The run summary --json prints (one object). */
export interface TrainSummary {
  status: TrialResult['status'];
  config: string;
  backend?: string;
  backendReason?: string;
  batchSize: number;
  learningRate: number;
  seed: number;
  steps: number;
  samples: number;
  samplesPerSecond?: number;
  samplesPerSecondIqr?: [number, number];
  /** Loss of the first step. */
  initialLoss?: number;
  /** Mean loss of the last 10 steps (one step's loss is noisy). */
  finalLoss?: number;
  lastLoss?: number;
  peakMemoryBytes?: number;
  wallSeconds: number;
  validation?: { loss: number; accuracy?: number; step: number };
  /** Change points of the batch size in force, with the learning rate at that step (AdaScale may move it every step). */
  batchSizeHistory: Array<{ step: number; batchSize: number; learningRate: number }>;
  error?: TrialResult['error'];
  warnings?: string[];
}

export function summarise(configPath: string, r: TrialResult): TrainSummary {
  const losses = r.steps.map((s) => s.loss);
  const tail = losses.slice(-10);
  const lastEval = r.evals[r.evals.length - 1];
  const history: TrainSummary['batchSizeHistory'] = [];
  for (const s of r.steps) {
    const prev = history[history.length - 1];
    if (!prev || prev.batchSize !== s.batchSize) history.push({ step: s.step, batchSize: s.batchSize, learningRate: s.learningRate });
  }
  const last = r.steps[r.steps.length - 1];
  return {
    status: r.status,
    config: configPath,
    backend: r.backend,
    backendReason: r.backendReason,
    batchSize: r.batchSize,
    learningRate: r.learningRate,
    seed: r.seed,
    steps: last?.step ?? 0,
    samples: last?.samples ?? 0,
    samplesPerSecond: r.samplesPerSecond,
    samplesPerSecondIqr: r.samplesPerSecondIqr,
    initialLoss: losses[0],
    finalLoss: tail.length ? tail.reduce((a, b) => a + b, 0) / tail.length : undefined,
    lastLoss: losses[losses.length - 1],
    peakMemoryBytes: r.peakMemoryBytes,
    wallSeconds: r.wallSeconds,
    validation: lastEval ? { loss: lastEval.valLoss, accuracy: lastEval.valAccuracy, step: lastEval.step } : undefined,
    batchSizeHistory: history,
    ...(r.error ? { error: r.error } : {}),
    ...(r.warnings?.length ? { warnings: r.warnings } : {}),
  };
}

const fmt = (n: number | undefined, digits = 0) =>
  n === undefined ? '–' : n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
const mb = (b: number | undefined) => (b === undefined ? '–' : `${(b / 1e6).toFixed(1)} MB`);

export function formatSummary(s: TrainSummary): string {
  const lines = [
    `${s.status === 'ok' ? 'Trained' : `Training ${s.status}:`} ${s.config}`,
    `  backend      ${s.backend ?? '–'}${s.backendReason ? ` (${s.backendReason})` : ''}`,
    `  batch size   ${s.batchSize}, learning rate ${s.learningRate}, seed ${s.seed}`,
    `  steps        ${fmt(s.steps)} (${fmt(s.samples)} samples) in ${s.wallSeconds.toFixed(1)} s`,
    `  loss         ${fmt(s.initialLoss, 4)} -> ${fmt(s.finalLoss, 4)} (mean of the last 10 steps)`,
  ];
  if (s.validation)
    lines.push(
      `  validation   loss ${fmt(s.validation.loss, 4)}${s.validation.accuracy !== undefined ? `, accuracy ${(s.validation.accuracy * 100).toFixed(1)}%` : ''} (step ${s.validation.step})`,
    );
  lines.push(
    `  throughput   ${fmt(s.samplesPerSecond)} samples/s (median${s.samplesPerSecondIqr ? `, IQR ${fmt(s.samplesPerSecondIqr[0])}–${fmt(s.samplesPerSecondIqr[1])}` : ''})`,
  );
  lines.push(`  peak memory  ${mb(s.peakMemoryBytes)} of tensors`);
  if (s.batchSizeHistory.length > 1) lines.push(`  batch sizes  ${s.batchSizeHistory.map((h) => `${h.batchSize}@${h.step}`).join(' -> ')}`);
  if (s.error) {
    lines.push(`  error        ${s.error.kind}: ${s.error.message}`);
    if (s.error.stderrTail)
      lines.push(
        '  stderr (last lines):',
        ...s.error.stderrTail
          .split('\n')
          .slice(-8)
          .map((l) => `    ${l.slice(0, 300)}`),
      );
  }
  for (const w of s.warnings ?? []) lines.push(`  warning      ${w}`);
  return lines.join('\n');
}
