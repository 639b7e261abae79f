// Tuner benchmark (`npm run bench:tuner`; `--smoke` for a < 60 s CI run).
// Ground truth by exhaustive sweep (bench/lib/sweep.mjs): for every batch size and 3 seeds, real
// TensorFlow.js training with the lr scaled by the task's rule, and the training time (sum of step
// times, evaluation excluded) to reach a target validation loss taken from the best loss any size
// reached (robust to overfitting). Then the tuner runs one study on the same config within its
// budget, and we report:
//   regret = time-to-target(tuner's pick) / time-to-target(best batch size)   (target <= 1.10)
//   cost   = tuner wall time / sweep wall time                                 (target <= 10%)
// and the regret of "default 32" and "largest that fits" (Lightning/Accelerate's choice).
// Three tasks of different character (bench/lib/tasks.mjs): synthetic regression, an MLP and a CNN
// on MNIST. Sweep runs are cached per (task, batch, seed) in bench/results/ so an interrupted run
// resumes. Repeated studies and the near-optimal band: bench/stability.mjs.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createTrainerRunner, fmt, groundTruth, loadTrainingConfig, median, regretOf, root, runStudy, runSweep, studyOptionsFor } from './lib/sweep.mjs';
import { FULL_TASKS, SMOKE_TASKS } from './lib/tasks.mjs';
import { selectTasks } from './lib/select.mjs';

const SMOKE = process.argv.includes('--smoke');
const resultsDir = join(root, 'bench', 'results');
const cacheDir = join(resultsDir, SMOKE ? 'tuner-cache-smoke' : 'tuner-cache');
const TASKS = selectTasks(SMOKE ? SMOKE_TASKS.slice(0, 1) : FULL_TASKS);

const runner = createTrainerRunner();

async function benchTask(task) {
  const loaded = loadTrainingConfig(join(root, task.file));
  const lrRule = studyOptionsFor(loaded, {}).lrRule; // the rule the study will use (the one resolver)
  const runs = await runSweep(runner, cacheDir, task, loaded, lrRule);
  const truth = groundTruth(runs, task.sweep);

  process.stderr.write(`[${task.name}] tuner study (budget ${task.budget} s)\n`);
  const overrides = {
    budgetSeconds: task.budget,
    outDir: join(resultsDir, 'tuner-studies'),
    ...(task.min ? { minBatchSize: task.min } : {}),
    ...(task.max ? { maxBatchSize: task.max } : {}),
  };
  const options = studyOptionsFor(loaded, overrides);
  const t0 = Date.now();
  const study = await runStudy(options, runner, (e) => {
    if (e.type === 'trial-end')
      process.stderr.write(`  ${e.trial.id}: ${e.trial.status}${e.trial.samplesPerSecond ? `, ${Math.round(e.trial.samplesPerSecond)} samples/s` : ''}\n`);
  });
  const tunerWall = (Date.now() - t0) / 1000;
  const rec = study.recommendation;
  const largestFits = Math.max(...task.sweep.filter((b) => runs.some((r) => r.batchSize === b && r.status === 'ok')));
  return {
    task: task.name,
    config: task.file,
    lrRule,
    targetValLoss: truth.target,
    sweep: task.sweep.map((b) => ({
      batchSize: b,
      timeToTarget: truth.ttt.get(b),
      bestValLoss: truth.bestMean(b),
      samplesPerSecond: median(runs.filter((r) => r.batchSize === b && r.samplesPerSecond).map((r) => r.samplesPerSecond)),
    })),
    best: { batchSize: truth.bestB, timeToTarget: truth.best },
    tuner: {
      status: study.status,
      pick: rec?.batchSize,
      band: rec?.band && { low: rec.band.low, high: rec.band.high },
      basis: rec?.basis,
      noiseScale: rec?.noiseScale?.value,
      wallSeconds: tunerWall,
      regret: regretOf(truth, task.sweep, rec?.batchSize),
      speedupVsCurrent: rec?.speedupVsCurrent,
      speedupBasis: rec?.speedupBasis,
      studyFile: study.studyFile,
    },
    baselines: {
      default32: { batchSize: 32, regret: regretOf(truth, task.sweep, 32) },
      largestThatFits: { batchSize: largestFits, regret: regretOf(truth, task.sweep, largestFits) },
    },
    sweepWallSeconds: truth.wallSeconds,
    cost: tunerWall / truth.wallSeconds,
  };
}

const results = [];
for (const t of TASKS) results.push(await benchTask(t));

const lines = [];
lines.push('task                   best B  tuner B  band       regret  cost   default-32 regret  largest-fits (B) regret');
for (const r of results)
  lines.push(
    `${r.task.padEnd(22)} ${String(r.best.batchSize).padStart(6)}  ${String(r.tuner.pick ?? '–').padStart(7)}  ${(r.tuner.band ? `${r.tuner.band.low}-${r.tuner.band.high}` : '–').padEnd(9)}  ${fmt(r.tuner.regret).padStart(6)}  ${(fmt(100 * r.cost, 0) + '%').padStart(5)}  ${fmt(r.baselines.default32.regret).padStart(17)}  ${`(${r.baselines.largestThatFits.batchSize}) ${fmt(r.baselines.largestThatFits.regret)}`.padStart(23)}`,
  );
for (const r of results) {
  lines.push(
    `\n${r.task}: target val loss ${r.targetValLoss.toFixed(4)} (1.1x the best loss reached), time to target per batch size (median of seeds, training seconds):`,
  );
  lines.push('  ' + r.sweep.map((s) => `${s.batchSize}: ${fmt(s.timeToTarget)}`).join('  '));
}
lines.push('\ntargets: regret <= 1.10 at cost <= 10%. Timings on a shared CPU are noisy.');
console.log(lines.join('\n'));
const outFile = join(resultsDir, SMOKE ? 'tuner-smoke.json' : 'tuner.json');
writeFileSync(
  outFile,
  JSON.stringify({ generatedAt: new Date().toISOString(), smoke: SMOKE, results }, (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 2),
);
console.log(`\nresults: ${outFile}`);
