// Stability benchmark (`npm run bench:stability`; `--smoke` runs in a minute or two and only
// exercises the machinery). For mnist-mlp, synthetic regression and a CNN on MNIST
// (bench/lib/tasks.mjs): the exhaustive sweep (bench/lib/sweep.mjs, cached) gives each batch size's
// time to a target loss; then 5 repeated studies of the same config, and we report whether:
//   - the picks lie within one power of two of each other (max pick / min pick <= 2),
//   - each study's near-optimal band holds the sweep's best size (in >= 90% of the studies),
//   - the regret of the pick (its time to target / the best's) is <= 1.10,
//   - a study costs <= 10% of the sweep's wall time,
//   - the memory prediction is within 5% where a real trial checked it.
// The table is printed (markdown) and written to bench/results/stability[-smoke].md with the raw
// numbers in .json. Real TensorFlow.js training on a shared CPU: timings drift; run it when the
// machine is quiet.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createTrainerRunner, fmt, groundTruth, loadTrainingConfig, regretOf, root, runStudy, runSweep, studyOptionsFor } from './lib/sweep.mjs';
import { FULL_TASKS, SMOKE_TASKS } from './lib/tasks.mjs';
import { selectTasks } from './lib/select.mjs';

const SMOKE = process.argv.includes('--smoke');
const REPEATS = SMOKE ? 2 : 5;
const TARGETS = { pickSpread: 2, bandHoldsBest: 0.9, regret: 1.1, cost: 0.1, memoryError: 0.05 };
const resultsDir = join(root, 'bench', 'results');
const cacheDir = join(resultsDir, SMOKE ? 'stability-cache-smoke' : 'tuner-cache');
const TASKS = selectTasks(SMOKE ? SMOKE_TASKS : FULL_TASKS);
const runner = createTrainerRunner();

async function oneStudy(task, loaded, i) {
  const overrides = {
    budgetSeconds: task.budget,
    outDir: join(resultsDir, 'stability-studies'),
    ...(task.min ? { minBatchSize: task.min } : {}),
    ...(task.max ? { maxBatchSize: task.max } : {}),
  };
  const t0 = Date.now();
  const study = await runStudy(studyOptionsFor(loaded, overrides), runner);
  const wallSeconds = (Date.now() - t0) / 1000;
  const rec = study.recommendation;
  process.stderr.write(
    `  study ${i + 1}/${REPEATS}: ${study.status}, pick ${rec?.batchSize ?? '–'}, band ${rec ? `${rec.band.low}-${rec.band.high}` : '–'}, basis ${rec ? Object.values(rec.basis).join('/') : '–'}, ${wallSeconds.toFixed(0)} s\n`,
  );
  return {
    status: study.status,
    reason: study.reason,
    wallSeconds,
    pick: rec?.batchSize,
    band: rec && { low: rec.band.low, high: rec.band.high },
    basis: rec?.basis,
    noiseScale: rec?.noiseScale && { value: rec.noiseScale.value, low: rec.noiseScale.low, high: rec.noiseScale.high, source: rec.noiseScale.source },
    speedupVsCurrent: rec?.speedupVsCurrent,
    verdict: rec?.evidence.verdict?.by,
    memoryCheck: rec?.evidence.memoryCheck,
    throughputModel: rec?.evidence.throughputModel && {
      overheadSeconds: rec.evidence.throughputModel.overheadSeconds,
      perSampleSeconds: rec.evidence.throughputModel.perSampleSeconds,
      terms: rec.evidence.throughputModel.terms,
      roundDrift: rec.evidence.throughputModel.roundDrift,
    },
    studyFile: study.studyFile,
  };
}

async function benchTask(task) {
  const loaded = loadTrainingConfig(join(root, task.file));
  const lrRule = studyOptionsFor(loaded, {}).lrRule; // the rule the study will use (the one resolver)
  const runs = await runSweep(runner, cacheDir, task, loaded, lrRule);
  const truth = groundTruth(runs, task.sweep);
  process.stderr.write(`[${task.name}] ${REPEATS} studies (budget ${task.budget} s each); sweep best ${truth.bestB}\n`);
  const studies = [];
  for (let i = 0; i < REPEATS; i++) studies.push(await oneStudy(task, loaded, i));
  for (const s of studies) {
    s.regret = regretOf(truth, task.sweep, s.pick);
    s.cost = s.wallSeconds / truth.wallSeconds;
    s.bandHoldsBest = s.band !== undefined && truth.bestB !== undefined && s.band.low <= truth.bestB && truth.bestB <= s.band.high;
  }
  return {
    task: task.name,
    lrRule,
    target: truth.target,
    best: truth.bestB,
    bestTime: truth.best,
    ttt: Object.fromEntries(truth.ttt),
    sweepWallSeconds: truth.wallSeconds,
    studies,
  };
}

/** Per task: each target's measured value and whether it holds. */
function summarize(r) {
  const picks = r.studies.map((s) => s.pick).filter((p) => p !== undefined);
  const spread = picks.length ? Math.max(...picks) / Math.min(...picks) : undefined;
  const held = r.studies.filter((s) => s.bandHoldsBest).length;
  const regrets = r.studies.map((s) => s.regret).filter((x) => x !== undefined);
  const costs = r.studies.map((s) => s.cost);
  const memErr = r.studies
    .map((s) => s.memoryCheck?.relativeError)
    .filter((x) => x !== undefined)
    .map(Math.abs);
  const ok = (b) => (b ? 'yes' : '**no**');
  return {
    picks: picks.join(', ') || '–',
    spread: spread === undefined ? '–' : `${fmt(spread, 1)}x ${ok(spread <= TARGETS.pickSpread)}`,
    band: `${held}/${r.studies.length} ${ok(held >= TARGETS.bandHoldsBest * r.studies.length)}`,
    regret: regrets.length ? `${fmt(Math.max(...regrets))} (max) ${ok(regrets.every((x) => x <= TARGETS.regret))}` : '–',
    cost: `${fmt(100 * Math.max(...costs), 1)}% (max) ${ok(costs.every((c) => c <= TARGETS.cost))}`,
    memory: memErr.length
      ? `${fmt(100 * Math.max(...memErr), 1)}% (${memErr.length} checked) ${ok(memErr.every((e) => e <= TARGETS.memoryError))}`
      : 'not checked',
  };
}

const results = [];
for (const t of TASKS) results.push(await benchTask(t));

const lines = [
  `# Tuner stability${SMOKE ? ' (smoke: machinery only, numbers mean nothing)' : ''}`,
  '',
  `${REPEATS} studies per task against an exhaustive sweep. Targets: picks within one power of two, band holds the sweep's best in >= 90% of studies, regret <= 1.10, cost <= 10% of the sweep, memory prediction within 5% where checked.`,
  '',
  '| task | sweep best | picks | pick spread (<= 2x) | band holds best | regret | study cost | memory check |',
  '|---|---|---|---|---|---|---|---|',
];
for (const r of results) {
  const s = summarize(r);
  lines.push(`| ${r.task} | ${r.best ?? '–'} | ${s.picks} | ${s.spread} | ${s.band} | ${s.regret} | ${s.cost} | ${s.memory} |`);
}
lines.push('');
for (const r of results) {
  lines.push(
    `${r.task}: target loss ${fmt(r.target, 4)} (1.1x the best reached); time to target per size: ${Object.entries(r.ttt)
      .map(([b, t]) => `${b}: ${fmt(t)}`)
      .join(', ')}; sweep ${fmt(r.sweepWallSeconds, 0)} s`,
  );
  lines.push(
    `  bands: ${r.studies.map((s) => (s.band ? `${s.band.low}-${s.band.high}` : '–')).join(', ')}; basis: ${r.studies.map((s) => (s.basis ? Object.values(s.basis).join('/') : '–')).join(', ')}`,
  );
}
const md = lines.join('\n');
console.log(md);
const base = join(resultsDir, SMOKE ? 'stability-smoke' : 'stability');
writeFileSync(`${base}.md`, md + '\n');
writeFileSync(
  `${base}.json`,
  JSON.stringify(
    { generatedAt: new Date().toISOString(), smoke: SMOKE, targets: TARGETS, results },
    (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? null : v),
    2,
  ),
);
console.log(`\nresults: ${base}.md, ${base}.json`);
