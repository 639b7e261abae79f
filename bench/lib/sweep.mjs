// Ground truth for the tuner benchmarks (bench/tuner.mjs, bench/stability.mjs): an exhaustive sweep
// of fixed batch sizes x seeds with real TensorFlow.js training, each run cached on disk, and the
// time every size takes to a target validation loss. The target comes from the best loss any size
// reached (the lowest point of each run's curve, not its last: robust to overfitting), so it is
// a level the best size does reach. Time is training seconds (sum of step times; evaluation
// excluded); steps to a level do not depend on the clock, times do: read them as indicative.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { totalmem } from 'node:os';
import { register } from 'tsx/cjs/api';

// The sources are CommonJS TypeScript with `export *` barrels: load them through tsx's require hook.
register();
const require = createRequire(import.meta.url);
export const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const { createTrainerRunner } = require('../../src/core/runner/trainerProcess.ts');
export const { loadTrainingConfig } = require('../../src/core/config/index.ts');
export const { runStudy } = require('../../src/core/study/index.ts');
const { resolveStudy } = require('../../src/core/resolve/index.ts');

/** The study the CLI would run on `loaded` with these flags (the one resolver, a CLI run layer). */
export function studyOptionsFor(loaded, flags) {
  const resolved = resolveStudy({ file: loaded.file, text: loaded.text, run: { source: 'cli', ...flags }, machine: { totalMemoryBytes: totalmem() } });
  if (!resolved.ok) throw new Error(resolved.message);
  return resolved.options;
}
export const { scaleLearningRate, defaultLrRule } = require('../../src/core/tuner/index.ts');

/** Evaluations per sweep run: the crossing of the target is interpolated between them. */
export const EVALS_PER_RUN = 12;
/** The target is this much above the best loss reached (so the best size reaches it inside its run). */
export const TARGET_MARGIN = 1.1;

/** Middle value; Infinity-safe, unlike interpolating quantiles. */
export const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? undefined : s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
export const fmt = (x, d = 2) => (x === undefined || x === null ? '–' : Number.isFinite(x) ? x.toFixed(d) : 'never');

/** Training seconds (sum of step times) at each eval, so evaluation cost does not count. */
export function evalCurve(result) {
  const cum = new Map();
  let t = 0;
  for (const s of result.steps) {
    t += s.stepTimeMs / 1000;
    cum.set(s.step, t);
  }
  return result.evals.map((e) => ({ trainSeconds: cum.get(e.step) ?? t, valLoss: e.valLoss }));
}

/** First training time at which the curve reaches `target`, interpolated between evals; Infinity if never. */
export function timeToTarget(curve, target) {
  for (let i = 0; i < curve.length; i++) {
    if (!(curve[i].valLoss <= target)) continue;
    if (i === 0) return curve[0].trainSeconds;
    const p = curve[i - 1];
    const f = (p.valLoss - target) / (p.valLoss - curve[i].valLoss);
    return p.trainSeconds + Math.min(1, Math.max(0, f)) * (curve[i].trainSeconds - p.trainSeconds);
  }
  return Infinity;
}

/** One sweep run (cached in `cacheDir` per task, batch size, seed and length). */
export async function sweepRun(runner, cacheDir, task, loaded, batchSize, seed, lrRule) {
  mkdirSync(cacheDir, { recursive: true });
  const cacheFile = join(cacheDir, `${task.name}-b${batchSize}-s${seed}-t${task.maxSeconds}.json`);
  if (existsSync(cacheFile)) return JSON.parse(readFileSync(cacheFile, 'utf8'));
  const c = loaded.config;
  // Throughput prior for the eval spacing: the seed-1 run of the same size when cached.
  const prior = join(cacheDir, `${task.name}-b${batchSize}-s1-t${task.maxSeconds}.json`);
  const sps = existsSync(prior) ? JSON.parse(readFileSync(prior, 'utf8')).samplesPerSecond : (2000 * batchSize) / (batchSize + 32);
  const expectedSteps = ((sps ?? 500) * task.maxSeconds) / batchSize;
  const config = { ...c };
  delete config.batch_schedule; // fixed batch sizes only
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
    batchSize,
    seed,
    status: r.status,
    learningRate: spec.learningRate,
    samplesPerSecond: r.samplesPerSecond,
    peakMemoryBytes: r.peakMemoryBytes,
    wallSeconds: (Date.now() - t0) / 1000,
    curve: evalCurve(r),
    error: r.error?.message,
  };
  writeFileSync(cacheFile, JSON.stringify(out));
  return out;
}

/** Every (size, seed) run of a task's sweep, reported to stderr as it goes. */
export async function runSweep(runner, cacheDir, task, loaded, lrRule) {
  process.stderr.write(`\n[${task.name}] sweep ${task.sweep.join(', ')} x seeds ${task.seeds.join(',')} (${task.maxSeconds} s each, lr rule ${lrRule})\n`);
  const runs = [];
  for (const b of task.sweep)
    for (const s of task.seeds) {
      const r = await sweepRun(runner, cacheDir, task, loaded, b, s, lrRule);
      process.stderr.write(`  B=${b} seed ${s}: ${r.status}, ${fmt(r.samplesPerSecond, 0)} samples/s, best val loss ${fmt(bestLoss(r), 4)}\n`);
      runs.push(r);
    }
  return runs;
}

const bestLoss = (r) => (r.status === 'ok' && r.curve.length > 0 ? Math.min(...r.curve.map((p) => p.valLoss).filter(Number.isFinite)) : Infinity);

/**
 * Target: TARGET_MARGIN x the lowest (over sizes) mean-over-seeds best validation loss. Time to it
 * per size: the median over seeds (Infinity for a run that never reached it).
 */
export function groundTruth(runs, sizes) {
  const bestMean = (b) => {
    const ls = runs.filter((r) => r.batchSize === b && r.status === 'ok').map(bestLoss);
    return ls.length ? ls.reduce((a, x) => a + x, 0) / ls.length : Infinity;
  };
  const target = TARGET_MARGIN * Math.min(...sizes.map(bestMean));
  const ttt = new Map(
    sizes.map((b) => [b, median(runs.filter((r) => r.batchSize === b).map((r) => (r.status === 'ok' ? timeToTarget(r.curve, target) : Infinity)))]),
  );
  const best = Math.min(...ttt.values());
  const bestB = sizes.find((b) => ttt.get(b) === best);
  const wallSeconds = runs.reduce((a, r) => a + r.wallSeconds, 0);
  return { target, ttt, best, bestB, bestMean, wallSeconds };
}

/** The sweep size nearest in log2 to `b`, and the regret of picking it: its time to target / the best. */
export function regretOf(truth, sizes, b) {
  if (b === undefined) return undefined;
  const nearest = sizes.reduce((a, x) => (Math.abs(Math.log2(x / b)) < Math.abs(Math.log2(a / b)) ? x : a));
  return truth.ttt.get(nearest) / truth.best;
}
