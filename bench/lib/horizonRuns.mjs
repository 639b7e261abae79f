// Ground truth of the horizon benchmark: real training to the task's FULL horizon (samples), for a
// fixed batch size or for a plan (the built-in trainer running the plan's `step` schedule with the
// learning rate co-scaled by the study's rule). Each run is cached on disk (task, arm, seed,
// horizon), keeping what the benchmark reads: the validation curve by step, the batch size of every
// stretch of steps, and the median step time per batch size (profile (a)). Steps and samples to a
// target do not depend on the clock; times come from a step-time profile (./stepProfiles.mjs).
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { median, scaleLearningRate } from './sweep.mjs';

/** Evaluations per run: the crossing of the target is interpolated between them. */
export const EVALS_PER_RUN = 40;
/** Steps excluded from the measured step time (compile, warm caches). */
const WARMUP_STEPS = 3;

/** The config without its own run length and schedule: each arm sets its own. */
export function withoutRunLength(config) {
  const base = { ...config };
  delete base.steps;
  delete base.epochs;
  delete base.batch_schedule;
  return base;
}

const hash = (x) => createHash('sha256').update(JSON.stringify(x)).digest('hex').slice(0, 10);

/** Runs of equal batch size: [{fromStep, batchSize}] (a plan's stages as it really ran). */
function stagesOf(steps) {
  const out = [];
  for (const s of steps) if (out.length === 0 || out[out.length - 1].batchSize !== s.batchSize) out.push({ fromStep: s.step - 1, batchSize: s.batchSize });
  return out;
}

/** Median step time (ms) per batch size over the measured steps. */
function stepTimes(steps) {
  const by = new Map();
  steps.slice(WARMUP_STEPS).forEach((s) => by.set(s.batchSize, [...(by.get(s.batchSize) ?? []), s.stepTimeMs]));
  return Object.fromEntries([...by].map(([b, ts]) => [b, median(ts)]));
}

/**
 * One run to the horizon. `arm`: {kind: 'fixed', batchSize} or {kind: 'plan', plan} (a
 * BatchSizePlan). `ctx`: {runner, cacheDir, task, loaded, lrRule, numTrain}.
 */
export async function horizonRun(ctx, arm, seed) {
  const { task, loaded } = ctx;
  const key = arm.kind === 'fixed' ? `b${arm.batchSize}` : `plan-${hash(arm.plan.stages.map((s) => s.batchSize).concat(arm.plan.schedule?.at_steps ?? []))}`;
  const file = join(ctx.cacheDir, `${task.name}-${key}-s${seed}-h${task.horizon}.json`);
  if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8'));
  mkdirSync(ctx.cacheDir, { recursive: true });
  const c = loaded.config;
  const base = withoutRunLength(c);
  const B0 = c.batch_size;
  const lr0 = c.optimizer.learning_rate;
  let spec;
  if (arm.kind === 'fixed') {
    const steps = Math.ceil(task.horizon / arm.batchSize);
    spec = {
      batchSize: arm.batchSize,
      learningRate: scaleLearningRate(lr0, B0, arm.batchSize, ctx.lrRule),
      maxSteps: steps,
      schedule: { kind: 'constant' },
      evalEvery: Math.max(1, Math.round(steps / EVALS_PER_RUN)),
      config: base,
    };
  } else {
    // The plan as the built-in trainer runs it once applied: stage 0's size and lr, the step schedule, lr co-scaled by the rule; stop at the horizon's samples.
    const p = arm.plan;
    const first = p.stages[0];
    const last = p.stages[p.stages.length - 1];
    spec = {
      batchSize: first.batchSize,
      learningRate: first.learningRate,
      schedule: p.schedule ?? { kind: 'constant' },
      maxBatchSize: last.batchSize,
      evalEvery: Math.max(1, Math.round((p.predictedSteps ?? task.horizon / first.batchSize) / EVALS_PER_RUN)),
      config: { ...base, epochs: task.horizon / ctx.numTrain, tuner: { ...(base.tuner ?? {}), lr_scaling: ctx.lrRule } },
    };
  }
  const t0 = Date.now();
  const r = await ctx.runner({ id: `horizon-${key}-s${seed}`, configPath: loaded.file, seed, warmupSteps: WARMUP_STEPS, microBatches: 0, ...spec }, {});
  const last = r.steps[r.steps.length - 1];
  const out = {
    arm: arm.kind === 'fixed' ? { kind: 'fixed', batchSize: arm.batchSize } : { kind: 'plan', stages: arm.plan.stages, schedule: arm.plan.schedule },
    seed,
    status: r.status,
    error: r.error?.message,
    steps: last?.step ?? 0,
    samples: last?.samples ?? 0,
    stages: stagesOf(r.steps),
    stepMs: stepTimes(r.steps),
    evals: r.evals.map((e) => ({ step: e.step, samples: e.samples, valLoss: e.valLoss })),
    wallSeconds: (Date.now() - t0) / 1000,
  };
  writeFileSync(file, JSON.stringify(out));
  return out;
}

/** Lowest validation loss a run reached (robust to overfitting at the end). */
export const bestLoss = (run) =>
  run.status === 'ok' && run.evals.length > 0 ? Math.min(...run.evals.map((e) => e.valLoss).filter(Number.isFinite)) : Infinity;

/** First (fractional) step and samples at which the validation curve reaches `target`, interpolated; undefined if never. */
export function reachOf(run, target) {
  const ev = run.status === 'ok' ? run.evals : [];
  for (let i = 0; i < ev.length; i++) {
    if (!(ev[i].valLoss <= target)) continue;
    if (i === 0) return { step: ev[0].step, samples: ev[0].samples };
    const p = ev[i - 1];
    const f = Math.min(1, Math.max(0, (p.valLoss - target) / (p.valLoss - ev[i].valLoss)));
    return { step: p.step + f * (ev[i].step - p.step), samples: p.samples + f * (ev[i].samples - p.samples) };
  }
  return undefined;
}
