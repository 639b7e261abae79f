// Tuner benchmark (`npm run bench:tuner`; `--smoke` for a < 60 s CI run).
// Ground truth by exhaustive sweep: for every batch size 8..1024 (powers of two) and 3 seeds, real
// TensorFlow.js training with the lr scaled by the task's rule, and the training time (sum of step
// times, evaluation excluded) to reach a target validation loss. Then the tuner runs a study on the
// same config within its budget, and we report:
//   regret = time-to-target(tuner's pick) / time-to-target(best batch size)   (target <= 1.15)
//   cost   = tuner wall time / sweep wall time                                 (target <= 20%)
// and the regret of "default 32" and "largest that fits" (Lightning/Accelerate's choice).
// Sweep runs are cached per (task, batch, seed) in bench/results/ so an interrupted run resumes.
// CPU timings on a shared machine are noisy: read the numbers as indicative.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { totalmem } from 'node:os';
import { register } from 'tsx/cjs/api';

// The sources are CommonJS TypeScript with `export *` barrels: load them through tsx's require hook.
register();
const require = createRequire(import.meta.url);
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { createTrainerRunner } = require('../src/core/runner/trainerProcess.ts');
const { loadTrainingConfig } = require('../src/core/config/index.ts');
const { runStudy } = require('../src/core/study/index.ts');
const { resolveStudy } = require('../src/core/resolve/index.ts');
const { scaleLearningRate } = require('../src/core/tuner/index.ts');
/** Middle value (seeds: 3); Infinity-safe, unlike interpolating quantiles. */
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? undefined : s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

const SMOKE = process.argv.includes('--smoke');
const resultsDir = join(root, 'bench', 'results');
const cacheDir = join(resultsDir, SMOKE ? 'tuner-cache-smoke' : 'tuner-cache');
mkdirSync(cacheDir, { recursive: true });

const TASKS = SMOKE
  ? [{ name: 'synthetic-regression', file: 'examples/synthetic-regression.yaml', sweep: [16, 64, 256], seeds: [1], maxSeconds: 4, budget: 30, min: 16, max: 256 }]
  : [
      // The sweep trains each run long enough for most sizes to reach the target: what a person would do by hand.
      { name: 'synthetic-regression', file: 'examples/synthetic-regression.yaml', sweep: [8, 16, 32, 64, 128, 256, 512, 1024], seeds: [1, 2, 3], maxSeconds: 10, budget: 60 },
      { name: 'mnist-mlp', file: 'examples/mnist-mlp.yaml', sweep: [8, 16, 32, 64, 128, 256, 512, 1024], seeds: [1, 2, 3], maxSeconds: 25, budget: 120 },
    ];
const EVALS_PER_RUN = 12;

const runner = createTrainerRunner();

/** Training seconds (sum of step times) at each eval, so evaluation cost does not count. */
function evalCurve(result) {
  const cum = new Map();
  let t = 0;
  for (const s of result.steps) {
    t += s.stepTimeMs / 1000;
    cum.set(s.step, t);
  }
  return result.evals.map((e) => ({ trainSeconds: cum.get(e.step) ?? t, valLoss: e.valLoss }));
}

/** First training time at which the curve reaches `target`, interpolated between evals; Infinity if never. */
function timeToTarget(curve, target) {
  for (let i = 0; i < curve.length; i++) {
    if (!(curve[i].valLoss <= target)) continue;
    if (i === 0) return curve[0].trainSeconds;
    const p = curve[i - 1];
    const f = (p.valLoss - target) / (p.valLoss - curve[i].valLoss);
    return p.trainSeconds + Math.min(1, Math.max(0, f)) * (curve[i].trainSeconds - p.trainSeconds);
  }
  return Infinity;
}

async function sweepRun(task, loaded, batchSize, seed, lrRule) {
  const cacheFile = join(cacheDir, `${task.name}-b${batchSize}-s${seed}-t${task.maxSeconds}.json`);
  if (existsSync(cacheFile)) return JSON.parse(readFileSync(cacheFile, 'utf8'));
  const c = loaded.config;
  // Throughput prior for the eval spacing: the seed-1 run of the same size when cached.
  const prior = join(cacheDir, `${task.name}-b${batchSize}-s1-t${task.maxSeconds}.json`);
  const sps = existsSync(prior) ? JSON.parse(readFileSync(prior, 'utf8')).samplesPerSecond : (2000 * batchSize) / (batchSize + 32);
  const expectedSteps = ((sps ?? 500) * task.maxSeconds) / batchSize;
  const { batch_schedule: _drop, ...config } = c; // fixed batch sizes only
  const spec = {
    id: `sweep-${batchSize}-s${seed}`,
    configPath: loaded.file,
    config,
    batchSize,
    learningRate: scaleLearningRate(c.optimizer.learning_rate, c.batch_size, batchSize, lrRule),
    seed,
    maxSteps: 10_000_000,
    maxSeconds: task.maxSeconds,
    warmupSteps: 3,
    microBatches: 0,
    schedule: { kind: 'constant' },
    evalEvery: Math.max(1, Math.round(expectedSteps / EVALS_PER_RUN)),
  };
  const t0 = Date.now();
  const r = await runner(spec, {});
  const out = {
    batchSize, seed, status: r.status, learningRate: spec.learningRate, samplesPerSecond: r.samplesPerSecond,
    wallSeconds: (Date.now() - t0) / 1000, curve: evalCurve(r), error: r.error?.message,
  };
  writeFileSync(cacheFile, JSON.stringify(out));
  return out;
}

const fmt = (x, d = 2) => (x === undefined || x === null ? '–' : Number.isFinite(x) ? x.toFixed(d) : 'never');

async function benchTask(task) {
  const loaded = loadTrainingConfig(join(root, task.file));
  // The study the CLI would run with these flags (the one resolver): its lr rule drives the sweep too.
  const run = { source: 'cli', budgetSeconds: task.budget, outDir: join(resultsDir, 'tuner-studies'), ...(task.min ? { minBatchSize: task.min } : {}), ...(task.max ? { maxBatchSize: task.max } : {}) };
  const resolved = resolveStudy({ file: loaded.file, text: loaded.text, run, machine: { totalMemoryBytes: totalmem() } });
  if (!resolved.ok) throw new Error(resolved.message);
  const lrRule = resolved.options.lrRule;
  process.stderr.write(`\n[${task.name}] sweep ${task.sweep.join(', ')} x seeds ${task.seeds.join(',')} (${task.maxSeconds} s each, lr rule ${lrRule})\n`);
  const runs = [];
  for (const b of task.sweep)
    for (const s of task.seeds) {
      const r = await sweepRun(task, loaded, b, s, lrRule);
      process.stderr.write(`  B=${b} seed ${s}: ${r.status}, ${fmt(r.samplesPerSecond, 0)} samples/s, final val loss ${fmt(r.curve.at(-1)?.valLoss, 4)}\n`);
      runs.push(r);
    }
  const sweepWall = runs.reduce((a, r) => a + r.wallSeconds, 0);
  // Target: 10% above the lowest mean final validation loss over batch sizes (reached by the best).
  const finalMean = (b) => {
    const ls = runs.filter((r) => r.batchSize === b && r.status === 'ok').map((r) => r.curve.at(-1)?.valLoss ?? Infinity);
    return ls.length ? ls.reduce((a, x) => a + x, 0) / ls.length : Infinity;
  };
  const target = 1.1 * Math.min(...task.sweep.map(finalMean));
  const ttt = new Map(task.sweep.map((b) => [b, median(runs.filter((r) => r.batchSize === b).map((r) => (r.status === 'ok' ? timeToTarget(r.curve, target) : Infinity)))]));
  const best = Math.min(...ttt.values());
  const bestB = task.sweep.find((b) => ttt.get(b) === best);

  process.stderr.write(`[${task.name}] tuner study (budget ${task.budget} s)\n`);
  const options = resolved.options;
  const t0 = Date.now();
  const study = await runStudy(options, runner, (e) => {
    if (e.type === 'trial-end') process.stderr.write(`  ${e.trial.id}: ${e.trial.status}${e.trial.samplesPerSecond ? `, ${Math.round(e.trial.samplesPerSecond)} samples/s` : ''}\n`);
  });
  const tunerWall = (Date.now() - t0) / 1000;
  const rec = study.recommendation;
  const nearest = (b) => task.sweep.reduce((a, x) => (Math.abs(Math.log2(x / b)) < Math.abs(Math.log2(a / b)) ? x : a));
  const regretOf = (b) => (b === undefined ? undefined : ttt.get(nearest(b)) / best);
  const largestFits = Math.max(...task.sweep.filter((b) => runs.some((r) => r.batchSize === b && r.status === 'ok')));
  return {
    task: task.name,
    config: task.file,
    lrRule,
    targetValLoss: target,
    sweep: task.sweep.map((b) => ({ batchSize: b, timeToTarget: ttt.get(b), finalValLoss: finalMean(b), samplesPerSecond: median(runs.filter((r) => r.batchSize === b && r.samplesPerSecond).map((r) => r.samplesPerSecond)) })),
    best: { batchSize: bestB, timeToTarget: best },
    tuner: {
      status: study.status,
      pick: rec?.batchSize,
      noiseScale: rec?.noiseScale?.value,
      wallSeconds: tunerWall,
      regret: regretOf(rec?.batchSize),
      predictedSpeedupVsCurrent: rec?.speedupVsCurrent,
      studyFile: study.studyFile,
    },
    baselines: {
      default32: { batchSize: 32, regret: regretOf(32) },
      largestThatFits: { batchSize: largestFits, regret: regretOf(largestFits) },
    },
    sweepWallSeconds: sweepWall,
    cost: tunerWall / sweepWall,
  };
}

const results = [];
for (const t of TASKS) results.push(await benchTask(t));

const lines = [];
lines.push('task                   best B  tuner B  regret  cost   default-32 regret  largest-fits (B) regret');
for (const r of results)
  lines.push(
    `${r.task.padEnd(22)} ${String(r.best.batchSize).padStart(6)}  ${String(r.tuner.pick ?? '–').padStart(7)}  ${fmt(r.tuner.regret).padStart(6)}  ${(fmt(100 * r.cost, 0) + '%').padStart(5)}  ${fmt(r.baselines.default32.regret).padStart(17)}  ${`(${r.baselines.largestThatFits.batchSize}) ${fmt(r.baselines.largestThatFits.regret)}`.padStart(23)}`,
  );
for (const r of results) {
  lines.push(`\n${r.task}: target val loss ${r.targetValLoss.toFixed(4)}, time to target per batch size (median of seeds, training seconds):`);
  lines.push('  ' + r.sweep.map((s) => `${s.batchSize}: ${fmt(s.timeToTarget)}`).join('  '));
}
lines.push('\ntargets: regret <= 1.15 at cost <= 20%. Timings on a shared CPU are noisy.');
console.log(lines.join('\n'));
const outFile = join(resultsDir, SMOKE ? 'tuner-smoke.json' : 'tuner.json');
writeFileSync(outFile, JSON.stringify({ generatedAt: new Date().toISOString(), smoke: SMOKE, results }, (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 2));
console.log(`\nresults: ${outFile}`);
