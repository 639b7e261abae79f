// `batch-tuner train <config>`: one training run, resolved like a study (core/resolve), so the
// same config trains the same way from the terminal and from VS Code's "Train once": Batch
// Tuner's own configs in the built-in TensorFlow.js trainer, a user's own config with its
// tuner.command. A progress bar on stderr, then a summary (or one JSON object with --json).
import * as path from 'node:path';
import { SingleBar } from 'cli-progress';
import type { TrialResult, TrialSpec } from '../core/types';
import { createRunner } from '../core/runner';
import { describeSettings, type ResolvedStudy } from '../core/resolve';
import { UsageError } from './args';
import { parseTrainArgs, TRAIN_USAGE, type TrainArgs } from './trainArgs';
import { ConfigProblem, resolveForCli } from './resolveConfig';
import { formatSummary, summarise } from './trainSummary';
import { exitCodeAfter, stopOnSignals } from './stopSignals';
import { sweepAtStart } from './sweepAtStart';

export { TRAIN_USAGE } from './trainArgs';

/** Parsed flags and the resolved run, or the exit status after printing what went wrong; leftovers of a killed run are swept first. */
async function setUp(args: string[]): Promise<{ a: TrainArgs; study: ResolvedStudy } | number> {
  try {
    const a = parseTrainArgs(args);
    if (a === 'help') {
      console.log(TRAIN_USAGE);
      return 0;
    }
    await sweepAtStart(a.config);
    return { a, study: resolveForCli(a.config, { batchSize: a.batchSize, lr: a.lr, steps: a.steps, seed: a.seed }) };
  } catch (e) {
    if (e instanceof UsageError) {
      console.error(`batch-tuner train: ${e.message}\n\n${TRAIN_USAGE}`);
      return 2;
    }
    if (e instanceof ConfigProblem) {
      console.error(`batch-tuner train: ${e.message}`);
      return 2;
    }
    throw e;
  }
}

/** The one trial: the resolved batch size, learning rate, steps and seed, plus the run-only flags. */
export function trainSpec(a: TrainArgs, study: ResolvedStudy): TrialSpec {
  const t = study.train;
  const o = study.options;
  const cwd = process.cwd();
  const checkpointDir = a.checkpointDir ? path.resolve(cwd, a.checkpointDir) : a.checkpointEvery ? path.join(o.outDir ?? cwd, 'checkpoints') : undefined;
  return {
    id: `train-${t.batchSize}`,
    configPath: o.configPath,
    config: o.config,
    batchSize: t.batchSize,
    learningRate: t.learningRate,
    seed: t.seed,
    ...(t.steps !== undefined ? { maxSteps: t.steps } : {}),
    ...(a.microBatches ? { microBatches: a.microBatches } : {}),
    ...(a.checkpointEvery ? { checkpointEvery: a.checkpointEvery } : {}),
    ...(checkpointDir ? { checkpointDir } : {}),
    ...(a.resume ? { resumeFrom: path.resolve(cwd, a.resume) } : {}),
  };
}

/** What the run will use and why, on stderr ("lr 0.0014 (scaled from 0.001 at batch 32 by sqrt)", "seed 42 (default)"). */
function header(a: TrainArgs, study: ResolvedStudy, spec: TrialSpec): string {
  const o = study.options;
  const scaled =
    a.lr === undefined && spec.batchSize !== o.currentBatchSize
      ? ` (scaled from ${o.currentLearningRate} at batch ${o.currentBatchSize} by the ${o.lrRule} rule)`
      : '';
  const lines = [
    `Training ${path.relative(process.cwd(), o.configPath) || o.configPath} at batch size ${spec.batchSize}, learning rate ${spec.learningRate}${scaled}${study.kind === 'external' ? ' with your own training command' : ''}`,
    `settings: ${describeSettings(study, ['seed', 'trialTimeoutSeconds', 'lrRule'])}`,
    ...study.notes.map((n) => `note: ${n}`),
  ];
  if (a.backend && study.kind === 'external') lines.push(`note: --backend ${a.backend} applies to the built-in trainer only; your command chooses its own`);
  return lines.join('\n') + '\n';
}

/** Runs the trial with a progress bar on stderr; SIGINT, SIGTERM and SIGHUP stop it (`stop`). */
async function runWithProgress(a: TrainArgs, study: ResolvedStudy, spec: TrialSpec, stop: AbortSignal): Promise<TrialResult> {
  const bar = new SingleBar({
    stream: process.stderr,
    format: spec.maxSteps
      ? 'training [{bar}] {value}/{total} steps | loss {loss} | {rate} samples/s'
      : 'training step {value} | loss {loss} | {rate} samples/s',
    hideCursor: true,
    clearOnComplete: true,
  });
  bar.start(spec.maxSteps ?? 0, 0, { loss: '–', rate: '–' });
  const runner = createRunner(study.runner, a.backend ? { env: { ...process.env, BATCH_TUNER_BACKEND: a.backend } } : {});
  try {
    return await runner(
      spec,
      {
        onStep: (m) => bar.update(m.step, { loss: m.loss.toFixed(4), rate: Math.round(m.samplesPerSecond) }),
        onLog: (level, message) => {
          if (level !== 'info') process.stderr.write(`\n${level}: ${message}\n`);
        },
      },
      stop,
    );
  } finally {
    bar.stop();
  }
}

export async function runTrainCommand(args: string[]): Promise<number> {
  const set = await setUp(args);
  if (typeof set === 'number') return set;
  const { a, study } = set;
  const spec = trainSpec(a, study);
  if (!a.json) process.stderr.write(header(a, study, spec));
  const stop = stopOnSignals((line) => process.stderr.write(`${line}\n`));
  let result: TrialResult;
  try {
    result = await runWithProgress(a, study, spec, stop.signal);
  } finally {
    await stop.release();
  }
  const summary = summarise(a.config, result);
  if (a.json) process.stdout.write(`${JSON.stringify(summary)}\n`);
  else console.log(formatSummary(summary));
  if (stop.stoppedBy()) return exitCodeAfter(stop, 130);
  if (result.status === 'cancelled') return 130;
  if (result.status !== 'ok') {
    if (a.json) console.error(`batch-tuner train: ${result.status}: ${result.error?.message ?? 'no details'}`);
    return result.error?.kind === 'config' ? 2 : 1;
  }
  return 0;
}
