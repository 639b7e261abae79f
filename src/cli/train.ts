// `batch-tuner train <config>`: one training run in the built-in TensorFlow.js trainer, with a
// progress bar on stderr and a summary (human, or one JSON object on stdout with --json).
import * as path from 'node:path';
import { SingleBar } from 'cli-progress';
import { loadTrainingConfig, ConfigError } from '../core/config';
import type { TrialResult, TrialSpec } from '../core/types';
import { createTrainerRunner } from '../core/runner/trainerProcess';

export const TRAIN_USAGE = `Usage: batch-tuner train <config> [options]

Trains once with the built-in TensorFlow.js trainer and summarises the run.

Options:
  --batch-size N      batch size (default: the config's batch_size)
  --steps N           optimizer steps (default: the config's steps/epochs)
  --lr X              learning rate (default: the config's optimizer.learning_rate)
  --seed N            random seed (default: the config's seed, else 0)
  --micro-batches K   split each batch into K micro-batches for gradient-noise statistics
  --backend B         wasm | cpu | node (default: node if installed, else wasm)
  --json              print one JSON object on stdout instead of the summary
  -h, --help          show this help`;

export interface TrainArgs {
  config: string;
  batchSize?: number;
  steps?: number;
  lr?: number;
  seed?: number;
  microBatches?: number;
  backend?: 'wasm' | 'cpu' | 'node';
  json: boolean;
}

export class UsageError extends Error {}

function positiveInt(flag: string, v: string | undefined): number {
  const n = Number(v);
  if (v === undefined || !Number.isInteger(n) || n < 1) throw new UsageError(`${flag} expects a positive integer (got ${v === undefined ? 'nothing' : JSON.stringify(v)})`);
  return n;
}

export function parseTrainArgs(args: string[]): TrainArgs | 'help' {
  const out: Partial<TrainArgs> & { json: boolean } = { json: false };
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    const [flag, inline] = a.startsWith('--') && a.includes('=') ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a, undefined];
    const value = () => inline ?? args[++i];
    switch (flag) {
      case '-h': case '--help': return 'help';
      case '--json': out.json = true; break;
      case '--batch-size': out.batchSize = positiveInt(flag, value()); break;
      case '--steps': out.steps = positiveInt(flag, value()); break;
      case '--micro-batches': out.microBatches = positiveInt(flag, value()); break;
      case '--seed': {
        const v = value(), n = Number(v);
        if (v === undefined || !Number.isInteger(n) || n < 0) throw new UsageError(`--seed expects an integer >= 0 (got ${JSON.stringify(v ?? '')})`);
        out.seed = n; break;
      }
      case '--lr': {
        const v = value(), n = Number(v);
        if (v === undefined || !(n > 0) || !Number.isFinite(n)) throw new UsageError(`--lr expects a positive number such as 0.001 (got ${JSON.stringify(v ?? '')})`);
        out.lr = n; break;
      }
      case '--backend': {
        const v = value();
        if (v !== 'wasm' && v !== 'cpu' && v !== 'node') throw new UsageError(`--backend expects wasm, cpu or node (got ${JSON.stringify(v ?? '')})`);
        out.backend = v; break;
      }
      default:
        if (a.startsWith('-')) throw new UsageError(`unknown option ${a}`);
        if (out.config) throw new UsageError(`one config file only (got ${out.config} and ${a})`);
        out.config = a;
    }
  }
  if (!out.config) throw new UsageError('missing <config>: the training config to run, e.g. examples/mnist-mlp.yaml');
  return out as TrainArgs;
}

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

const fmt = (n: number | undefined, digits = 0) => (n === undefined ? '–' : n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits }));
const mb = (b: number | undefined) => (b === undefined ? '–' : `${(b / 1e6).toFixed(1)} MB`);

export function formatSummary(s: TrainSummary): string {
  const lines = [
    `${s.status === 'ok' ? 'Trained' : `Training ${s.status}:`} ${s.config}`,
    `  backend      ${s.backend ?? '–'}${s.backendReason ? ` (${s.backendReason})` : ''}`,
    `  batch size   ${s.batchSize}, learning rate ${s.learningRate}, seed ${s.seed}`,
    `  steps        ${fmt(s.steps)} (${fmt(s.samples)} samples) in ${s.wallSeconds.toFixed(1)} s`,
    `  loss         ${fmt(s.initialLoss, 4)} -> ${fmt(s.finalLoss, 4)} (mean of the last 10 steps)`,
  ];
  if (s.validation) lines.push(`  validation   loss ${fmt(s.validation.loss, 4)}${s.validation.accuracy !== undefined ? `, accuracy ${(s.validation.accuracy * 100).toFixed(1)}%` : ''} (step ${s.validation.step})`);
  lines.push(`  throughput   ${fmt(s.samplesPerSecond)} samples/s (median${s.samplesPerSecondIqr ? `, IQR ${fmt(s.samplesPerSecondIqr[0])}–${fmt(s.samplesPerSecondIqr[1])}` : ''})`);
  lines.push(`  peak memory  ${mb(s.peakMemoryBytes)} of tensors`);
  if (s.batchSizeHistory.length > 1) lines.push(`  batch sizes  ${s.batchSizeHistory.map((h) => `${h.batchSize}@${h.step}`).join(' -> ')}`);
  if (s.error) {
    lines.push(`  error        ${s.error.kind}: ${s.error.message}`);
    if (s.error.stderrTail) lines.push('  stderr (last lines):', ...s.error.stderrTail.split('\n').slice(-8).map((l) => `    ${l.slice(0, 300)}`));
  }
  for (const w of s.warnings ?? []) lines.push(`  warning      ${w}`);
  return lines.join('\n');
}

export async function runTrainCommand(args: string[]): Promise<number> {
  let parsed: TrainArgs | 'help';
  try {
    parsed = parseTrainArgs(args);
  } catch (e) {
    console.error(`batch-tuner train: ${(e as Error).message}\n\n${TRAIN_USAGE}`);
    return 2;
  }
  if (parsed === 'help') { console.log(TRAIN_USAGE); return 0; }
  const configPath = path.resolve(parsed.config);
  let config;
  try {
    config = loadTrainingConfig(configPath).config;
  } catch (e) {
    if (e instanceof ConfigError) console.error(e.message);
    else console.error(`batch-tuner train: cannot read ${parsed.config}: ${(e as Error).message}`);
    return 2;
  }
  const spec: TrialSpec = {
    id: `train-${parsed.batchSize ?? config.batch_size}`,
    configPath,
    config,
    batchSize: parsed.batchSize ?? config.batch_size,
    learningRate: parsed.lr ?? config.optimizer.learning_rate,
    seed: parsed.seed ?? config.seed ?? 0,
    ...(parsed.steps ? { maxSteps: parsed.steps } : {}),
    ...(parsed.microBatches ? { microBatches: parsed.microBatches } : {}),
  };
  const totalSteps = parsed.steps ?? config.steps;
  const bar = new SingleBar({
    stream: process.stderr,
    format: totalSteps ? 'training [{bar}] {value}/{total} steps | loss {loss} | {rate} samples/s' : 'training step {value} | loss {loss} | {rate} samples/s',
    hideCursor: true,
    clearOnComplete: true,
  });
  bar.start(totalSteps ?? 0, 0, { loss: '–', rate: '–' });
  const abort = new AbortController();
  const onSigint = () => abort.abort();
  process.once('SIGINT', onSigint);
  const runner = createTrainerRunner({ env: parsed.backend ? { BATCH_TUNER_BACKEND: parsed.backend } : {} });
  const result = await runner(spec, {
    onStep: (m) => bar.update(m.step, { loss: m.loss.toFixed(4), rate: Math.round(m.samplesPerSecond) }),
    onLog: (level, message) => { if (level !== 'info') process.stderr.write(`\n${level}: ${message}\n`); },
  }, abort.signal);
  bar.stop();
  process.removeListener('SIGINT', onSigint);
  const summary = summarise(parsed.config, result);
  if (parsed.json) process.stdout.write(`${JSON.stringify(summary)}\n`);
  else console.log(formatSummary(summary));
  if (result.status === 'cancelled') return 130;
  if (result.status !== 'ok') {
    if (parsed.json) console.error(`batch-tuner train: ${result.status}: ${result.error?.message ?? 'no details'}`);
    return result.error?.kind === 'config' ? 2 : 1;
  }
  return 0;
}
