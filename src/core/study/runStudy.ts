// The study engine: plan -> profile -> noise scale -> branch (the critical batch size along the run)
// -> convergence -> recommend (with the plan over the run), within the budget,
// reported to a listener as it goes and persisted line by line. An AbortSignal stops it; the
// study is then saved as stopped, with whatever recommendation the data supports.
import type { NoiseScaleEstimate, Recommendation, TrialRunner } from '../types';
import { noiseTrialsFor, planBudget, planConvergence, type BudgetPlan } from '../tuner/budgetPlan';
import { noiseSamplesFromSteps } from '../tuner/noiseScale';
import { recommend } from '../tuner/recommend';
import { StudyContext } from './context';
import { chooseConvergenceCandidates, runConvergencePhase, type ConvergenceOutcome } from './convergencePhase';
import { fitNoiseScaleFromRuns, runNoisePhase, type NoisePhaseOutcome } from './noisePhase';
import { profileThroughput, runProfilePhase, type ProfileOutcome } from './profilePhase';
import { resolveSettings, settingsErrors } from './settings';
import { hashConfigText, newStudyId, StudyWriter } from './studyFile';
import { currentIdentity, lockStudy, type StudyLockOutcome } from './studyLock';
import type { StudyListener, StudyOptions, StudyOutcome, StudyPlan, StudyStatus } from './types';
import { withSchedule } from './scheduleStep';
import { withParallelism } from './parallelismStep';
import { runBranchPhase, type BranchOutcome } from './branchPhase';
import { withPlan } from './planStep';
import type { CompletedTrial } from './context';

function persistStart(ctx: StudyContext, id: string): void {
  const { options, settings } = ctx;
  ctx.persist({
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
      ...(options.horizonSamples !== undefined ? { horizonSamples: options.horizonSamples } : {}),
      ...(options.fromCheckpoints?.length ? { fromCheckpoints: options.fromCheckpoints } : {}),
    },
    ...(options.configText !== undefined ? { configHash: hashConfigText(options.configText) } : {}),
    writer: currentIdentity(),
  });
}

function makePlan(ctx: StudyContext): { budget: BudgetPlan; plan: StudyPlan } {
  const { options, settings } = ctx;
  const budget = planBudget({
    budgetSeconds: settings.budgetSeconds,
    startupSeconds: settings.startupSecondsGuess,
    candidates: settings.candidates,
    parallel: settings.parallel,
    lrRule: settings.lrRule,
    warmupSteps: settings.warmupSteps,
    microBatches: settings.microBatches,
    branch: branchWanted(options),
  });
  const warnings = [...budget.warnings];
  if (settings.parallel > 1 && !options.remoteRunner)
    warnings.push(
      `--parallel ${settings.parallel} runs trials side by side on this machine: they share its cores and memory, so throughput and memory are distorted; use it with a runner that starts trials elsewhere (a cluster)`,
    );
  const plan: StudyPlan = {
    budgetSeconds: settings.budgetSeconds,
    startupSecondsPerTrial: settings.startupSecondsGuess,
    candidates: settings.candidates,
    profile: budget.profile,
    noise: budget.noise,
    convergence: budget.convergence,
    ...(budget.branch.seconds > 0 ? { branch: budget.branch } : {}),
    reserve: budget.reserve,
    parallel: settings.parallel,
    lrRule: settings.lrRule,
    warnings,
    summary: budget.summary,
    ...(settings.memoryLimitBytes !== undefined ? { memoryLimitBytes: settings.memoryLimitBytes } : {}),
  };
  return { budget, plan };
}

/** The study may branch: a horizon is known or checkpoints were given, and the branch phase was not turned off. */
function branchWanted(o: StudyOptions): boolean {
  return o.branchPhase !== false && (o.horizonSamples !== undefined || (o.fromCheckpoints?.length ?? 0) > 0);
}

/** Trials that started from fresh weights: branch-phase trials resume checkpoints, so their curves start mid-run. */
const fromScratch = (trials: readonly CompletedTrial[]) => trials.filter((t) => t.summary.phase !== 'branch');

/** Why a profile with nothing that fits ends the study. */
function profileFailure(ctx: StudyContext, profile: ProfileOutcome): string {
  const smallest = profile.candidates.find((c) => c.status !== 'skipped' && c.status !== 'predicted');
  const first = profile.allFailed?.result;
  const limit = ctx.settings.memoryLimitBytes;
  if (first && first.status === 'ok' && limit !== undefined)
    return `the memory limit (${limit} bytes) is below the peak memory of the smallest trial (batch ${smallest?.batchSize}: ${smallest?.peakMemoryBytes} bytes): raise --memory-limit or lower --min`;
  const msg = first?.error?.message ?? `status ${first?.status ?? 'unknown'}`;
  const tail = first?.error?.stderrTail ? `\n${first.error.stderrTail.trim().split('\n').slice(-5).join('\n')}` : '';
  return `every trial failed; the first (batch ${first?.batchSize}) said: ${msg}${tail}\nfix the config so 'batch-tuner train' runs it, then tune again`;
}

async function convergenceStep(
  ctx: StudyContext,
  budget: BudgetPlan,
  profile: ProfileOutcome,
  noise: NoiseScaleEstimate | undefined,
  notes: string[],
): Promise<ConvergenceOutcome> {
  const { options, settings } = ctx;
  const cp = planConvergence(ctx.remaining() - budget.reserve.seconds, ctx.startupSeconds(), 3, settings.parallel);
  const X = profileThroughput(profile);
  const chosen = chooseConvergenceCandidates(profile.candidates, X, noise?.value ?? options.currentBatchSize, options.currentBatchSize, cp.candidates);
  if (cp.candidates < 2 || chosen.length < 2) {
    notes.push('no time was left for convergence trials: the pick rests on the throughput and noise-scale model alone');
    return { measurements: [], trials: [] };
  }
  ctx.setPhase('convergence', `training ${chosen.join(', ')} for ${cp.secondsPerTrial.toFixed(1)} s each x ${cp.seeds} seed(s)`);
  return runConvergencePhase(ctx, chosen, cp.seeds, cp.secondsPerTrial, X);
}

function provisionalNoiseScale(ctx: StudyContext): NoiseScaleEstimate | undefined {
  const fit = fitNoiseScaleFromRuns(fromScratch(ctx.trials), [], ctx.settings.seed);
  return 'estimate' in fit ? fit.estimate : undefined;
}

/** Gradient statistics when the runner reported them; else B_noise fitted to the loss curves; else why neither. */
function noiseScaleFor(
  ctx: StudyContext,
  noise: NoisePhaseOutcome,
  conv: ConvergenceOutcome,
): { estimate?: NoiseScaleEstimate; crossCheck?: NoiseScaleEstimate; undetermined?: string } {
  const fitted = fitNoiseScaleFromRuns(fromScratch(ctx.trials), conv.trials, ctx.settings.seed);
  if (noise.estimate) return { estimate: noise.estimate, ...('estimate' in fitted ? { crossCheck: fitted.estimate } : {}) };
  if ('estimate' in fitted) return { estimate: fitted.estimate };
  const withStats = noise.trials.reduce((n, t) => n + noiseSamplesFromSteps(t.result.steps).length, 0);
  const why =
    noise.trials.length === 0
      ? 'no noise trial ran (no batch size that fits splits into micro-batches, or no time was left)'
      : withStats === 0
        ? 'the runs reported no gradient statistics (grad_sq_norm, micro_grad_sq_norm, micro_batch_size)'
        : `the noise trial measured gradient statistics on only ${withStats} step${withStats === 1 ? '' : 's'} (too short a trial for an estimate)`;
  return { undetermined: `${why}, and B_noise could not be fitted from loss curves instead: ${fitted.undetermined}` };
}

/** Runs a study; one per config at a time (studyLock.ts): a second is refused unless forced. */
export async function runStudy(options: StudyOptions, runner: TrialRunner, listener?: StudyListener, signal?: AbortSignal): Promise<StudyOutcome> {
  const id = newStudyId(options.configPath);
  const writer = options.outDir !== undefined ? new StudyWriter(options.outDir, id) : undefined;
  const lock = lockStudy(options, writer?.file);
  try {
    return await runLockedStudy(options, runner, listener, signal, id, lock.refused ? undefined : writer, lock);
  } finally {
    lock.release();
  }
}

async function runLockedStudy(
  options: StudyOptions,
  runner: TrialRunner,
  listener: StudyListener | undefined,
  signal: AbortSignal | undefined,
  id: string,
  writer: StudyWriter | undefined,
  lock: StudyLockOutcome,
): Promise<StudyOutcome> {
  const settings = resolveSettings(options);
  const ctx = new StudyContext(options, settings, runner, listener, writer, signal);
  persistStart(ctx, id);
  const { budget, plan } = makePlan(ctx);

  // What the study found goes in as an argument: a study that ends early has found nothing yet.
  const finish = (status: StudyStatus, reason?: string, found: { recommendation?: Recommendation; noiseScale?: NoiseScaleEstimate } = {}): StudyOutcome => {
    const { recommendation, noiseScale } = found;
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
    if (lock.refused && lock.holder) out.lockedBy = lock.holder;
    return out;
  };

  if (lock.refused) return finish('failed', lock.refused);
  if (lock.warning) ctx.warn(lock.warning);
  const errors = settingsErrors(options, settings);
  if (errors.length > 0) return finish('failed', errors.join('; '));
  ctx.persist({ type: 'plan', plan });
  ctx.emit({ type: 'plan', plan });
  for (const w of plan.warnings) ctx.warn(w);

  // 1. Profile: two interleaved rounds, the step-time model, memory.
  ctx.setPhase('profile', `profiling ${settings.candidates.length} batch sizes (${settings.candidates.join(', ')}) in two interleaved rounds`);
  const profileDeadline = settings.budgetSeconds - budget.reserve.seconds - budget.convergence.seconds - budget.noise.seconds - budget.branch.seconds;
  const profile = await runProfilePhase(ctx, budget.profile.secondsPerTrial, profileDeadline);
  if (profile.fitting.length === 0)
    return ctx.aborted ? finish('stopped', 'stopped before any trial finished') : finish('failed', profileFailure(ctx, profile));
  const notes = profileNotes(ctx, profile);

  // 2. Noise scale from gradient statistics: its own trials with micro-batches (profile trials have none).
  ctx.setPhase('noise', `measuring the gradient noise scale (${settings.microBatches} micro-batches per step)`);
  let noise: NoisePhaseOutcome = { trials: [] };
  if (!ctx.aborted) {
    // Start-up is measured by now: two seeds only if both still fit the noise phase's share.
    const trials = Math.min(budget.noise.trials, noiseTrialsFor(budget.noise.seconds, ctx.startupSeconds()));
    const perTrial = Math.min(
      budget.noise.seconds / trials - ctx.startupSeconds(),
      Math.max(1, (ctx.remaining() - budget.reserve.seconds) / trials - ctx.startupSeconds()),
    );
    noise = await runNoisePhase(ctx, profile.candidates, trials, Math.max(1, perTrial));
  }
  if (noise.estimate) {
    ctx.persist({ type: 'noise-scale', estimate: noise.estimate });
    ctx.emit({ type: 'noise-scale', estimate: noise.estimate });
  }

  // 3. Branch: the critical batch size at checkpoints along the run (its own share of the budget).
  const branch = ctx.aborted ? undefined : await branchStep(ctx, budget, profile);

  // 4. Convergence, with what is left of the budget (start-up now measured).
  // Without gradient statistics, a first fit of B_noise to the profile's loss curves chooses the sizes to train.
  const provisional = noise.estimate ?? provisionalNoiseScale(ctx);
  const conv = ctx.aborted ? { measurements: [], trials: [] } : await convergenceStep(ctx, budget, profile, provisional, notes);

  // 5. Recommend: B_noise from the gradients, else fitted to the loss curves of all runs; the plan over the run.
  ctx.setPhase('recommend', 'choosing the batch size');
  const ns = noiseScaleFor(ctx, noise, conv);
  const noiseScale = ns.estimate;
  if (noiseScale && !noise.estimate) {
    ctx.persist({ type: 'noise-scale', estimate: noiseScale });
    ctx.emit({ type: 'noise-scale', estimate: noiseScale });
  }
  const recommendation = recommendStep(ctx, profile, noise, conv, ns, notes, branch);
  if (recommendation) {
    ctx.persist({ type: 'recommendation', recommendation });
    ctx.emit({ type: 'recommendation', recommendation });
  }
  if (ctx.aborted) return finish('stopped', 'stopped by the user', { recommendation, noiseScale });
  return finish('completed', undefined, { recommendation, noiseScale });
}

/** The recommendation from every phase's evidence, with a schedule when one is predicted >= 10% faster. */
function recommendStep(
  ctx: StudyContext,
  profile: ProfileOutcome,
  noise: NoisePhaseOutcome,
  conv: ConvergenceOutcome,
  ns: ReturnType<typeof noiseScaleFor>,
  notes: string[],
  branch: BranchOutcome | undefined,
): Recommendation | undefined {
  const { options, settings } = ctx;
  notes.push(
    `trial start-up (process, backend, data) measured at ~${ctx.startupSeconds().toFixed(1)} s per trial for this runner; ${ctx.trials.length} trials in ${Math.round(ctx.elapsed())} s of a ${settings.budgetSeconds} s budget`,
  );
  const rec = recommend({
    current: { batchSize: options.currentBatchSize, learningRate: options.currentLearningRate },
    candidates: profile.candidates,
    convergence: conv.measurements,
    lrRule: settings.lrRule,
    notes,
    seed: settings.seed,
    ...(ctx.measuredStartups() > 0 ? { startupSeconds: ctx.startupSeconds() } : {}),
    ...(profile.throughput ? { throughput: profile.throughput } : {}),
    ...(ns.estimate ? { noiseScale: ns.estimate } : {}),
    ...(ns.undetermined ? { noiseScaleUndetermined: ns.undetermined } : {}),
    ...(ns.crossCheck ? { noiseScaleCrossCheck: ns.crossCheck } : {}),
    ...(conv.targetLoss !== undefined ? { targetLoss: conv.targetLoss } : {}),
    ...(conv.lossSource ? { lossSource: conv.lossSource } : {}),
    ...(conv.referenceStepsToTarget !== undefined ? { referenceStepsToTarget: conv.referenceStepsToTarget } : {}),
    ...memoryEvidence(ctx, profile),
    accumulation: options.parallelism?.canAccumulate === true,
  });
  if (!rec) return undefined;
  const historyB = ns.estimate?.historyBatchSize ?? noise.batchSize;
  const scheduled = withSchedule(rec, {
    ...(historyB !== undefined ? { measuredBatchSize: historyB } : {}),
    ...(profile.throughput ? { throughput: profile.throughput.model } : {}),
  });
  return withParallelism(withPlan(scheduled, branch, ctx, profileThroughput(profile)), ctx, profile);
}

/** The branch phase within its share (undefined: the study has none); too small a budget is said, not silent. */
async function branchStep(ctx: StudyContext, budget: BudgetPlan, profile: ProfileOutcome): Promise<BranchOutcome | undefined> {
  if (!branchWanted(ctx.options)) return undefined;
  const seconds = Math.min(budget.branch.seconds, ctx.remaining() - budget.reserve.seconds);
  if (budget.branch.seconds === 0 || seconds <= 0) {
    const why =
      budget.warnings.find((w) => /branch phase/.test(w)) ?? `no time was left in the ${ctx.settings.budgetSeconds} s budget (give a larger --budget)`;
    return { points: [], sizes: [], undetermined: [`the critical batch size along the run: ${why}`], notes: [] };
  }
  ctx.setPhase('branch', `measuring the critical batch size along the run (~${Math.round(seconds)} s)`);
  try {
    return await runBranchPhase(ctx, profile, seconds);
  } catch (e) {
    // A bug here must not cost the study what the other phases measured.
    return {
      points: [],
      sizes: [],
      undetermined: [`the critical batch size along the run: the branch phase failed (${e instanceof Error ? e.message : String(e)})`],
      notes: [],
    };
  }
}

function profileNotes(ctx: StudyContext, profile: ProfileOutcome): string[] {
  const notes: string[] = [];
  const lastOk = Math.max(...profile.fitting.map((t) => t.result.batchSize));
  if (profile.oomCeiling !== undefined) notes.push(`batch ${profile.oomCeiling} failed (out of memory or over the limit); the largest that ran is ${lastOk}`);
  if (profile.predictedMaxFit !== undefined)
    notes.push(
      `memory fit predicts batches up to ${profile.predictedMaxFit} fit under the limit with a ${Math.round(ctx.settings.memorySafetyMargin * 100)}% margin (capped by the dataset and the search range)`,
    );
  const c = profile.memoryCheck;
  if (c)
    notes.push(
      c.relativeError !== undefined
        ? `a real trial at batch ${c.batchSize} checked the memory prediction: predicted ${Math.round(c.predictedPeakBytes)} bytes, measured ${c.measuredPeakBytes}, error ${(100 * c.relativeError).toFixed(1)}%`
        : `a real trial at batch ${c.batchSize} checked the memory prediction and ended ${c.status}: the fit was wrong there`,
    );
  const drift = profile.throughput?.evidence.roundDrift;
  if (drift !== undefined && Math.abs(drift - 1) > 0.1)
    notes.push(`the machine's speed drifted ${((drift - 1) * 100).toFixed(0)}% between the two profile rounds; interleaving spread it over every size alike`);
  return notes;
}

function memoryEvidence(ctx: StudyContext, profile: ProfileOutcome) {
  return {
    ...(ctx.settings.memoryLimitBytes !== undefined ? { memoryLimitBytes: ctx.settings.memoryLimitBytes } : {}),
    ...(profile.memoryFit ? { memoryFit: profile.memoryFit } : {}),
    ...(profile.predictedMaxFit !== undefined ? { predictedMaxFit: profile.predictedMaxFit } : {}),
    ...(profile.memoryCheck ? { memoryCheck: profile.memoryCheck } : {}),
    ...(profile.oomCeiling !== undefined ? { oomCeiling: profile.oomCeiling } : {}),
  };
}
