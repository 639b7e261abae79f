// The study engine: plan -> profile -> noise scale -> convergence -> recommend, within the budget,
// reported to a listener as it goes and persisted line by line. An AbortSignal stops it; the
// study is then saved as stopped, with whatever recommendation the data supports.
import type { NoiseScaleEstimate, Recommendation, TrialRunner } from '../types';
import { planBudget, planConvergence } from '../tuner/budgetPlan';
import { minStepsFrom } from '../tuner/goodput';
import { recommend } from '../tuner/recommend';
import { interpolateThroughput } from '../tuner/throughput';
import { StudyContext } from './context';
import { chooseConvergenceCandidates, runConvergencePhase, type ConvergenceOutcome } from './convergencePhase';
import { estimateStudyNoiseScale, runNoisePhase } from './noisePhase';
import { runProfilePhase } from './profilePhase';
import { resolveSettings, settingsErrors } from './settings';
import { hashConfigText, newStudyId, StudyWriter } from './studyFile';
import type { StudyListener, StudyOptions, StudyOutcome, StudyPlan, StudyStatus } from './types';
import { withSchedule } from './scheduleStep';

export async function runStudy(options: StudyOptions, runner: TrialRunner, listener?: StudyListener, signal?: AbortSignal): Promise<StudyOutcome> {
  const settings = resolveSettings(options);
  const id = newStudyId(options.configPath);
  const writer = options.outDir !== undefined ? new StudyWriter(options.outDir, id) : undefined;
  const ctx = new StudyContext(options, settings, runner, listener, writer, signal);

  const start: Parameters<StudyContext['persist']>[0] = {
    type: 'study-start',
    id,
    configPath: options.configPath,
    currentBatchSize: options.currentBatchSize,
    currentLearningRate: options.currentLearningRate,
    optimizer: options.optimizer,
    datasetSize: options.datasetSize,
    settings: {
      budgetSeconds: settings.budgetSeconds,
      minBatchSize: settings.minBatchSize,
      maxBatchSize: settings.maxBatchSize,
      lrRule: settings.lrRule,
      parallel: settings.parallel,
      seed: settings.seed,
      ...(options.candidates ? { candidates: options.candidates } : {}),
      ...(settings.memoryLimitBytes !== undefined ? { memoryLimitBytes: settings.memoryLimitBytes } : {}),
      ...(settings.targetLoss !== undefined ? { targetLoss: settings.targetLoss } : {}),
    },
    ...(options.configText !== undefined ? { configHash: hashConfigText(options.configText) } : {}),
  };
  ctx.persist(start);

  const budget = planBudget({
    budgetSeconds: settings.budgetSeconds,
    startupSeconds: settings.startupSecondsGuess,
    candidates: settings.candidates,
    parallel: settings.parallel,
    lrRule: settings.lrRule,
    warmupSteps: settings.warmupSteps,
    microBatches: settings.microBatches,
  });
  const warnings = [...budget.warnings];
  if (settings.parallel > 1 && !options.remoteRunner)
    warnings.push(`--parallel ${settings.parallel} runs trials side by side on this machine: they share its cores and memory, so throughput and memory are distorted; use it with a runner that starts trials elsewhere (a cluster)`);
  const plan: StudyPlan = {
    budgetSeconds: settings.budgetSeconds,
    startupSecondsPerTrial: settings.startupSecondsGuess,
    candidates: settings.candidates,
    profile: budget.profile,
    noise: budget.noise,
    convergence: budget.convergence,
    reserve: budget.reserve,
    parallel: settings.parallel,
    lrRule: settings.lrRule,
    warnings,
    summary: budget.summary,
    ...(settings.memoryLimitBytes !== undefined ? { memoryLimitBytes: settings.memoryLimitBytes } : {}),
  };

  let recommendation: Recommendation | undefined;
  let noiseScale: NoiseScaleEstimate | undefined;
  const finish = (status: StudyStatus, reason?: string): StudyOutcome => {
    const elapsedSeconds = ctx.elapsed();
    ctx.setPhase('done', reason ?? status);
    ctx.persist({ type: 'study-end', status, elapsedSeconds, ...(reason ? { reason } : {}) });
    const studyFile = ctx.studyFile;
    ctx.emit({ type: 'done', status, ...(reason ? { reason } : {}), ...(recommendation ? { recommendation } : {}), ...(studyFile ? { studyFile } : {}) });
    const out: StudyOutcome = { id, status, plan, trials: ctx.trials.map((t) => ({ ...t.summary, series: t.series })), elapsedSeconds };
    if (reason) out.reason = reason;
    if (recommendation) out.recommendation = recommendation;
    if (noiseScale) out.noiseScale = noiseScale;
    if (studyFile) out.studyFile = studyFile;
    return out;
  };

  const errors = settingsErrors(options, settings);
  if (errors.length > 0) return finish('failed', errors.join('; '));

  ctx.persist({ type: 'plan', plan });
  ctx.emit({ type: 'plan', plan });
  for (const w of warnings) ctx.warn(w);

  // 1. Profile.
  ctx.setPhase('profile', `profiling ${settings.candidates.length} batch sizes (${settings.candidates.join(', ')})`);
  const profileDeadline = settings.budgetSeconds - budget.reserve.seconds - budget.convergence.seconds - budget.noise.seconds;
  const profile = await runProfilePhase(ctx, budget.profile.secondsPerTrial, profileDeadline);
  const notes: string[] = [];
  if (profile.fitting.length === 0) {
    if (ctx.aborted) return finish('stopped', 'stopped before any trial finished');
    const smallest = profile.candidates.find((c) => c.status !== 'skipped' && c.status !== 'predicted');
    const first = profile.allFailed?.result;
    if (first && first.status === 'ok' && settings.memoryLimitBytes !== undefined)
      return finish(
        'failed',
        `the memory limit (${settings.memoryLimitBytes} bytes) is below the peak memory of the smallest trial (batch ${smallest?.batchSize}: ${smallest?.peakMemoryBytes} bytes): raise --memory-limit or lower --min`,
      );
    const msg = first?.error?.message ?? `status ${first?.status ?? 'unknown'}`;
    const tail = first?.error?.stderrTail ? `\n${first.error.stderrTail.trim().split('\n').slice(-5).join('\n')}` : '';
    return finish('failed', `every trial failed; the first (batch ${first?.batchSize}) said: ${msg}${tail}\nfix the config so 'batch-tuner train' runs it, then tune again`);
  }
  const lastOk = profile.fitting[profile.fitting.length - 1].result.batchSize;
  if (profile.oomCeiling !== undefined) notes.push(`batch ${profile.oomCeiling} failed (out of memory or over the limit); the largest that ran is ${lastOk}`);
  if (profile.predictedMaxFit !== undefined) notes.push(`memory fit predicts batches up to ${profile.predictedMaxFit} fit under the limit with a ${Math.round(settings.memorySafetyMargin * 100)}% margin`);

  let noiseBatchSize: number | undefined;
  // 2. Noise scale: its own trial with micro-batches (profile trials have none).
  ctx.setPhase('noise', `measuring the gradient noise scale (${settings.microBatches} micro-batches per step)`);
  if (!ctx.aborted) {
    const noiseSeconds = Math.min(budget.noise.secondsPerTrial, Math.max(1, ctx.remaining() - budget.reserve.seconds - ctx.startupSeconds()));
    const noise = await runNoisePhase(ctx, profile.candidates, noiseSeconds);
    noiseScale = noise.estimate;
    noiseBatchSize = noise.trial?.result.batchSize;
  }
  // Profile steps carry micro-batch statistics only from runners that always report them.
  noiseScale ??= estimateStudyNoiseScale(profile.fitting, { seed: settings.seed, datasetSize: options.datasetSize });
  if (noiseScale) {
    ctx.persist({ type: 'noise-scale', estimate: noiseScale });
    ctx.emit({ type: 'noise-scale', estimate: noiseScale });
  }

  // 3. Convergence, with what is left of the budget (start-up now measured).
  let conv: ConvergenceOutcome = { measurements: [], trials: [] };
  const points = profile.candidates
    .filter((c) => c.fits && c.samplesPerSecond !== undefined)
    .map((c) => ({ batchSize: c.batchSize, samplesPerSecond: c.samplesPerSecond as number }));
  if (!ctx.aborted) {
    const cp = planConvergence(ctx.remaining() - budget.reserve.seconds, ctx.startupSeconds(), 3, settings.parallel);
    const chosen = chooseConvergenceCandidates(profile.candidates, noiseScale?.value ?? options.currentBatchSize, options.currentBatchSize, cp.candidates);
    if (cp.candidates >= 2 && chosen.length >= 2) {
      ctx.setPhase('convergence', `training ${chosen.join(', ')} for ${cp.secondsPerTrial.toFixed(1)} s each x ${cp.seeds} seed(s)`);
      conv = await runConvergencePhase(ctx, chosen, cp.seeds, cp.secondsPerTrial, (b) => interpolateThroughput(points, b));
    } else {
      notes.push('no time was left for convergence trials: the pick rests on the throughput and noise-scale model alone');
    }
  }

  // 4. Recommend.
  ctx.setPhase('recommend', 'choosing the batch size');
  notes.push(`trial start-up (process, backend, data) measured at ~${ctx.startupSeconds().toFixed(1)} s per trial; ${ctx.trials.length} trials in ${Math.round(ctx.elapsed())} s of a ${settings.budgetSeconds} s budget`);
  let minSteps: number | undefined;
  if (conv.referenceStepsToTarget !== undefined)
    minSteps = minStepsFrom(conv.referenceStepsToTarget, options.currentBatchSize, noiseScale?.value ?? options.currentBatchSize);
  recommendation = recommend({
    current: { batchSize: options.currentBatchSize, learningRate: options.currentLearningRate },
    candidates: profile.candidates,
    convergence: conv.measurements,
    lrRule: settings.lrRule,
    notes,
    ...(noiseScale ? { noiseScale } : {}),
    ...(conv.targetLoss !== undefined ? { targetLoss: conv.targetLoss } : {}),
    ...(minSteps !== undefined ? { minSteps } : {}),
    ...(settings.memoryLimitBytes !== undefined ? { memoryLimitBytes: settings.memoryLimitBytes } : {}),
    ...(profile.memoryFit ? { memoryFit: profile.memoryFit } : {}),
    ...(profile.predictedMaxFit !== undefined ? { predictedMaxFit: profile.predictedMaxFit } : {}),
    ...(profile.oomCeiling !== undefined ? { oomCeiling: profile.oomCeiling } : {}),
  });
  if (recommendation) {
    recommendation = withSchedule(recommendation, noiseBatchSize !== undefined ? { measuredBatchSize: noiseBatchSize } : {});
    ctx.persist({ type: 'recommendation', recommendation });
    ctx.emit({ type: 'recommendation', recommendation });
  }
  if (ctx.aborted) return finish('stopped', 'stopped by the user');
  return finish('completed');
}
