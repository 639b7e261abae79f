// Horizon benchmark (`npm run bench:horizon`; `--smoke` for a ~2-3 min run of the machinery):
// does the study's plan over a run (issue 11: the critical batch size measured by branched trials
// from checkpoints along the run, turned into a fixed size or a batch warm-up) beat today's
// early-only pick when the person trains for a long run?
//
// Ground truth that does not depend on a noisy clock: for every fixed batch size of a sweep and
// for the recommended plan, real training (the built-in trainer) to the task's FULL horizon, 2
// seeds; the target is a validation loss near the end of training, TARGET_MARGIN x the best loss
// any fixed size reached (its lowest point: robust to overfitting). Time to target = the steps a
// run took to it x t(B) of each step (bench/lib/stepProfiles.mjs): (a) measured here, (b) a
// GPU-like profile whose throughput keeps rising to large batches. Per task and profile, the
// regret (time to target / the best fixed size's) of: the plan, the plan's best fixed size (the
// new fixed pick), the study's own pick (today's early-only method), the largest batch that fits,
// and 32. Then the study's critical batch size at its points against a full branched sweep there
// (all k, more seeds), and the costs. Every run is cached in bench/results/horizon-cache*/.
// Targets (issue 11): plan regret <= 1.10 under both profiles on every task; CBS within one power
// of two of the full sweep at <= 10% of its cost; where the CBS grows, >= 25% fewer steps to the
// target than the best fixed size at no worse loss. Whichever wins is reported.
import { createRequire } from 'node:module';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createTrainerRunner, fmt, loadTrainingConfig, median, root, runStudy, studyOptionsFor } from './lib/sweep.mjs';
import { bestLoss, horizonRun, reachOf, withoutRunLength } from './lib/horizonRuns.mjs';
import { gpuProfile, measuredProfile, timeToTarget } from './lib/stepProfiles.mjs';
import { fullBranchedSweep } from './lib/branchSweep.mjs';
import { FULL_TASKS, SMOKE_TASKS } from './lib/horizonTasks.mjs';
import { selectTasks } from './lib/select.mjs';

const require = createRequire(import.meta.url);
const { batchSizePlan } = require('../src/core/tuner/plan.ts');
const { scaleLearningRate } = require('../src/core/tuner/lrScaling.ts');

const SMOKE = process.argv.includes('--smoke');
const TASKS = selectTasks(SMOKE ? SMOKE_TASKS : FULL_TASKS);
/** The target: this much above the best validation loss any fixed size reached (near the end of training). */
const TARGET_MARGIN = 1.05;
const resultsDir = join(root, 'bench', 'results');
const cacheDir = join(resultsDir, SMOKE ? 'horizon-cache-smoke' : 'horizon-cache');
const runner = createTrainerRunner();
const log = (m) => process.stderr.write(`${m}\n`);

/** The study on the task, with --horizon; its outcome's parts the benchmark reads, cached. */
async function study(ctx) {
  const file = join(cacheDir, `${ctx.task.name}-study-h${ctx.task.horizon}-b${ctx.task.budget}.json`);
  if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8'));
  log(`[${ctx.task.name}] study (budget ${ctx.task.budget} s, horizon ${ctx.task.horizon} samples)`);
  const options = studyOptionsFor(ctx.loaded, {
    budgetSeconds: ctx.task.budget,
    horizon: String(ctx.task.horizon),
    outDir: join(resultsDir, 'horizon-studies'),
  });
  const t0 = Date.now();
  const out = await runStudy(options, runner, (e) => {
    if (e.type === 'trial-end') log(`  ${e.trial.id}: ${e.trial.status}`);
    if (e.type === 'phase' && e.phase === 'branch') log(`  ${e.message}`);
  });
  const rec = out.recommendation;
  const s = {
    status: out.status,
    wallSeconds: (Date.now() - t0) / 1000,
    pick: rec?.batchSize,
    noiseScale: rec?.noiseScale?.value ?? rec?.evidence.assumedNoiseScale,
    criticalBatchSize: rec?.criticalBatchSize ?? [],
    plan: rec?.plan,
    undetermined: rec?.undetermined ?? [],
    budget: out.plan.summary,
    trials: out.trials.map((t) => ({ id: t.id, phase: t.phase, status: t.status, wallSeconds: t.wallSeconds, startupSeconds: t.startupSeconds })),
    studyFile: out.studyFile,
  };
  writeFileSync(file, JSON.stringify(s));
  return s;
}

/** The plan the study would give under profile `p` (its measured CBS points, the profile's t(B)). */
function planUnder(ctx, s, p) {
  const pts = s.criticalBatchSize;
  if (pts.length === 0) return undefined;
  const B = ctx.loaded.config.batch_size;
  return batchSizePlan({
    points: pts.map((x) => ({ samples: x.samples, value: x.value })),
    referenceBatchSize: B,
    horizonSamples: ctx.task.horizon,
    sizes: pts[0].branches.map((b) => b.batchSize),
    fixedSizes: ctx.task.sweep,
    stepSeconds: p.t,
    learningRate: (b) => scaleLearningRate(ctx.loaded.config.optimizer.learning_rate, B, b, ctx.lrRule),
  });
}

const nearest = (sizes, b) => sizes.reduce((a, x) => (Math.abs(Math.log2(x / b)) < Math.abs(Math.log2(a / b)) ? x : a));

/** Regrets under one profile: every arm's median (over seeds) time to target / the best fixed size's. */
function regrets(ctx, s, fixed, plans, profile, target) {
  const ttt = (runs) => median(runs.map((r) => timeToTarget(r, target, profile.t)));
  const bySize = new Map(ctx.task.sweep.map((b) => [b, ttt(fixed.filter((r) => r.arm.batchSize === b))]));
  const best = Math.min(...bySize.values());
  const bestB = ctx.task.sweep.find((b) => bySize.get(b) === best);
  const of = (b) => (b === undefined ? undefined : { batchSize: b, regret: bySize.get(nearest(ctx.task.sweep, b)) / best });
  const plan = plans.get(profile.name);
  const X = (b) => b / profile.t(b);
  const earlyPick =
    profile.name === 'measured'
      ? s.pick
      : s.noiseScale !== undefined
        ? ctx.task.sweep.reduce((a, b) => ((b + s.noiseScale) / X(b) < (a + s.noiseScale) / X(a) ? b : a))
        : s.pick;
  const largest = Math.max(...ctx.task.sweep.filter((b) => fixed.some((r) => r.arm.batchSize === b && r.status === 'ok')));
  return {
    profile: profile.name,
    describe: profile.describe,
    timeToTarget: Object.fromEntries(bySize),
    best: { batchSize: bestB, seconds: best },
    plan: plan && {
      kind: plan.plan.kind,
      sizes: plan.plan.stages.map((x) => x.batchSize),
      regret: ttt(plan.runs) / best,
      predictedSpeedup: plan.plan.speedupVsBestFixed,
    },
    newFixed: of(plan?.plan.bestFixed.batchSize),
    earlyOnly: of(earlyPick),
    largestThatFits: of(largest),
    default32: of(32),
  };
}

/** Steps to the target of the plan against the best fixed size (by time, profile a), and the best losses both reached. */
function stepsComparison(ctx, fixed, planRuns, target, bestB) {
  const steps = (runs) => median(runs.map((r) => reachOf(r, target)?.step ?? Infinity));
  const loss = (runs) => median(runs.map(bestLoss));
  const fx = fixed.filter((r) => r.arm.batchSize === bestB);
  return { planSteps: steps(planRuns), bestFixedSteps: steps(fx), bestFixed: bestB, planBestLoss: loss(planRuns), bestFixedBestLoss: loss(fx) };
}

async function benchTask(task) {
  mkdirSync(cacheDir, { recursive: true });
  const file = join(cacheDir, `${task.name}.json`);
  writeFileSync(file, JSON.stringify(task.config, null, 2));
  const loaded = loadTrainingConfig(file);
  const o = studyOptionsFor(loaded, {});
  const base = withoutRunLength(loaded.config);
  const ctx = {
    runner,
    cacheDir,
    task,
    loaded,
    base,
    lrRule: o.lrRule,
    numTrain: o.datasetSize,
    seeds: Array.from({ length: task.branchSeeds }, (_, i) => i + 1),
  };
  log(`\n[${task.name}] sweep ${task.sweep.join(', ')} x seeds ${task.seeds.join(',')} to ${task.horizon} samples (lr rule ${o.lrRule})`);
  const fixed = [];
  for (const b of task.sweep)
    for (const seed of task.seeds) {
      const r = await horizonRun(ctx, { kind: 'fixed', batchSize: b }, seed);
      log(`  B=${b} seed ${seed}: ${r.status}, ${r.steps} steps, best val loss ${fmt(bestLoss(r), 4)} (${fmt(r.wallSeconds, 0)} s)`);
      fixed.push(r);
    }
  const s = await study(ctx);
  const profiles = [measuredProfile(fixed), gpuProfile(task)];
  // The plan per profile: the study's own under (a); recomputed from its CBS points with t(B) of (b). Each distinct plan trains for real.
  const plans = new Map();
  const trained = new Map();
  for (const p of profiles) {
    const plan = p.name === 'measured' ? s.plan : planUnder(ctx, s, p);
    if (!plan) continue;
    const key = JSON.stringify([plan.stages.map((x) => x.batchSize), plan.schedule ?? null]);
    if (!trained.has(key)) {
      const runs = [];
      for (const seed of task.seeds) runs.push(await horizonRun(ctx, { kind: 'plan', plan }, seed));
      log(`  plan (${p.name}) ${plan.description.split(';')[0]}: ${runs.map((r) => `${r.status}, ${r.steps} steps`).join(' / ')}`);
      trained.set(key, runs);
    }
    plans.set(p.name, { plan, runs: trained.get(key) });
  }
  const bestMean = (b) => median(fixed.filter((r) => r.arm.batchSize === b).map(bestLoss));
  const target = TARGET_MARGIN * Math.min(...task.sweep.map(bestMean));
  const byProfile = profiles.map((p) => regrets(ctx, s, fixed, plans, p, target));
  const sweepWall = fixed.reduce((a, r) => a + r.wallSeconds, 0);
  const pts = s.criticalBatchSize
    .slice(0, task.branchPoints ?? Infinity)
    .map((p) => ({ samples: p.samples, branchSamples: Number(/branches of (\d+) samples/.exec(p.method)?.[1]), study: p }));
  const full = pts.length > 0 ? await fullBranchedSweep(ctx, pts) : { points: [], wallSeconds: 0 };
  const branchCost = s.trials.filter((t) => t.phase === 'branch').reduce((a, t) => a + t.wallSeconds, 0);
  const B = loaded.config.batch_size;
  const trialTrain = Math.max(...s.trials.filter((t) => t.status === 'ok').map((t) => t.wallSeconds - (t.startupSeconds ?? 0)));
  const measuredPlan = plans.get('measured');
  return {
    task: task.name,
    horizonSamples: task.horizon,
    horizonVsTrial: ((task.horizon / B) * (profiles[0].t(B) ?? NaN)) / trialTrain,
    targetValLoss: target,
    study: {
      status: s.status,
      pick: s.pick,
      wallSeconds: s.wallSeconds,
      costVsSweep: s.wallSeconds / sweepWall,
      budget: s.budget,
      undetermined: s.undetermined,
      plan: s.plan,
    },
    sweep: task.sweep.map((b) => ({ batchSize: b, bestValLoss: bestMean(b), steps: Math.ceil(task.horizon / b), stepSeconds: profiles[0].t(b) })),
    sweepWallSeconds: sweepWall,
    profiles: byProfile,
    steps: measuredPlan ? stepsComparison(ctx, fixed, measuredPlan.runs, target, byProfile[0].best.batchSize) : undefined,
    criticalBatchSize: pts.map((p, i) => ({
      samples: p.samples,
      study: { value: p.study.value, low: p.study.low, high: p.study.high, seeds: p.study.branches[0]?.seeds },
      full: full.points[i],
      withinOnePowerOfTwo: full.points[i]?.value !== undefined ? Math.abs(Math.log2(p.study.value / full.points[i].value)) <= 1 : undefined,
    })),
    cbsCost: { studySeconds: branchCost, fullSweepSeconds: full.wallSeconds, fraction: full.wallSeconds > 0 ? branchCost / full.wallSeconds : undefined },
  };
}

function report(results) {
  const lines = [];
  const r2 = (x) => (x === undefined ? '–' : `(${x.batchSize}) ${fmt(x.regret)}`);
  lines.push('task                   profile   best B  plan (sizes) regret        new fixed     early-only    largest-fits  default-32');
  for (const r of results)
    for (const p of r.profiles)
      lines.push(
        `${r.task.padEnd(22)} ${p.profile.padEnd(9)} ${String(p.best.batchSize ?? '–').padStart(6)}  ${(p.plan ? `${p.plan.sizes.join('→')} ${fmt(p.plan.regret)}` : '–').padEnd(22)}  ${r2(p.newFixed).padEnd(12)}  ${r2(p.earlyOnly).padEnd(12)}  ${r2(p.largestThatFits).padEnd(12)}  ${r2(p.default32)}`,
      );
  for (const r of results) {
    lines.push(
      `\n${r.task}: horizon ${r.horizonSamples} samples (${fmt(r.horizonVsTrial, 1)}x the study's longest trial), target val loss ${fmt(r.targetValLoss, 4)} (${TARGET_MARGIN}x the best reached)`,
    );
    lines.push(
      `  study: ${r.study.status}, pick ${r.study.pick}, ${fmt(r.study.wallSeconds, 0)} s = ${fmt(100 * r.study.costVsSweep, 1)}% of the sweep's ${fmt(r.sweepWallSeconds, 0)} s; plan: ${r.study.plan?.description ?? '–'}`,
    );
    for (const c of r.criticalBatchSize)
      lines.push(
        `  CBS at ${c.samples} samples: study ${c.study.value} (${c.study.low}-${c.study.high}, ${c.study.seeds} seed(s)), full sweep ${c.full?.value ?? '–'} (${c.full?.low ?? '–'}-${c.full?.high ?? '–'}, ${c.full?.seeds} seeds, sizes to ${Math.max(...(c.full?.sizes ?? [0]))}): ${c.withinOnePowerOfTwo ? 'within' : 'NOT within'} one power of two`,
      );
    lines.push(
      `  CBS cost: study branch phase ${fmt(r.cbsCost.studySeconds, 0)} s vs full branched sweep ${fmt(r.cbsCost.fullSweepSeconds, 0)} s (${fmt(100 * (r.cbsCost.fraction ?? NaN), 1)}%)`,
    );
    if (r.steps)
      lines.push(
        `  steps to target: plan ${fmt(r.steps.planSteps, 0)} vs best fixed ${r.steps.bestFixed} ${fmt(r.steps.bestFixedSteps, 0)} (${fmt(100 * (1 - r.steps.planSteps / r.steps.bestFixedSteps), 0)}% fewer); best val loss ${fmt(r.steps.planBestLoss, 4)} vs ${fmt(r.steps.bestFixedBestLoss, 4)}`,
      );
    for (const p of r.profiles)
      lines.push(
        `  ${p.profile}: ${p.describe}; time to target per size: ${Object.entries(p.timeToTarget)
          .map(([b, t]) => `${b}: ${fmt(t, 3)}`)
          .join('  ')}`,
      );
    for (const u of r.study.undetermined) lines.push(`  undetermined: ${u}`);
  }
  lines.push(
    "\ntargets: plan regret <= 1.10 (both profiles); CBS within one power of two at <= 10% of the full sweep's cost; >= 25% fewer steps where the CBS grows.",
  );
  if (SMOKE) lines.push('smoke run: short horizon, one seed, few sizes: the numbers exercise the machinery and mean nothing.');
  return lines.join('\n');
}

const results = [];
for (const t of TASKS) results.push(await benchTask(t));
console.log(report(results));
const outFile = join(resultsDir, SMOKE ? 'horizon-smoke.json' : 'horizon.json');
writeFileSync(
  outFile,
  JSON.stringify(
    { generatedAt: new Date().toISOString(), smoke: SMOKE, targetMargin: TARGET_MARGIN, results },
    (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? null : v),
    2,
  ),
);
console.log(`\nresults: ${outFile}`);
