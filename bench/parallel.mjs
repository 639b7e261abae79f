// Parallel trials on Slurm (`npm run bench:parallel`; `--smoke` for a short run): issue 13's claim
// that with the slurm runner `--parallel 2` measures true throughput, because each trial is its
// own job on its own cores. On a one-node Slurm on localhost (test/unit/helpers/slurmCluster.ts,
// root only) with a real PyTorch workload (examples/pytorch-mnist, the test venv's torch):
//   1. a study with --parallel 2 through the slurm runner (1 CPU per trial), and the same study
//      sequentially on this machine (the local runner): wall time and trials done;
//   2. each profile trial of the parallel study against a lone trial with the same allocation (a
//      1-CPU job, nothing else running) at the same batch size: throughput error (target <= 10%);
//   3. (full run only) the DDP example's recommendation in three numbers, with its evidence.
// Numbers from a shared 2-core machine are indicative; the full run belongs on a quiet one.
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { spawnSync } from 'node:child_process';
import { register } from 'tsx/cjs/api';

register();
const require = createRequire(import.meta.url);
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { createRunner } = require('../src/core/runner/index.ts');
const { runStudy } = require('../src/core/study/index.ts');
const { resolveStudy, cliLayer } = require('../src/core/resolve/index.ts');
const { slurmSkipReason, startSlurmCluster } = require('../test/unit/helpers/slurmCluster.ts');
const { pythonEnv, testPython } = require('../test/unit/helpers/python.ts');

const SMOKE = process.argv.includes('--smoke');
const BUDGET = SMOKE ? 60 : 150;
const CANDIDATES = SMOKE ? [16, 32, 64] : [8, 16, 32, 64, 128, 256, 512];
/** Lone runs per size (their median is the reference). */
const REPEATS = SMOKE ? 1 : 3;
const TARGET = 0.1;
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const log = (m) => process.stderr.write(`${m}\n`);

/** A private copy of the PyTorch example with the bench's runner and budget. */
function exampleCopy(runner) {
  const dir = mkdtempSync(join(tmpdir(), `bt-bench-parallel-${runner}-`));
  copyFileSync(join(root, 'examples/pytorch-mnist/train.py'), join(dir, 'train.py'));
  const text = readFileSync(join(root, 'examples/pytorch-mnist/config.yaml'), 'utf8').replace(
    /budget_seconds: \d+/,
    `budget_seconds: ${BUDGET}\n  runner: ${runner}\n  candidates: [${CANDIDATES.join(', ')}]`,
  );
  writeFileSync(join(dir, 'config.yaml'), text);
  return { dir, file: join(dir, 'config.yaml'), text };
}

async function study(runner, parallel, env) {
  const { dir, file, text } = exampleCopy(runner);
  const r = resolveStudy({ file, text, machine: { totalMemoryBytes: totalmem() }, run: cliLayer({ parallel, out: join(dir, 'out') }, dir) });
  if (!r.ok) throw new Error(r.message);
  const t0 = Date.now();
  const seconds = new Map();
  const outcome = await runStudy(r.options, createRunner(r.runner, { env }), (e) => {
    if (e.type === 'trial-start' && e.maxSeconds !== undefined) seconds.set(e.trialId, e.maxSeconds);
    if (e.type !== 'trial-end') return;
    const rate = e.trial.samplesPerSecond ? `, ${Math.round(e.trial.samplesPerSecond)} samples/s` : '';
    log(`  [${runner} x${parallel}] ${e.trial.id}: ${e.trial.status}${rate}`);
  });
  return { outcome, wall: (Date.now() - t0) / 1000, file, runner: r.runner, seconds };
}

/**
 * The same trial alone on the cluster: the allocation, batch size, seed and time limit the
 * parallel study's profile trial had, nothing else of ours running; the median of REPEATS runs.
 */
async function loneTrial(runnerSpec, env, file, t, maxSeconds) {
  const run = createRunner(runnerSpec, { env });
  const rates = [];
  for (let i = 0; i < REPEATS; i++) {
    const spec = {
      id: `lone-${t.batchSize}-${i}`,
      configPath: file,
      config: {},
      batchSize: t.batchSize,
      learningRate: t.learningRate,
      seed: t.seed,
      maxSteps: 10_000_000,
      maxSeconds,
      microBatches: 0,
      evalEvery: 0,
    };
    const r = await run(spec, {});
    if (r.samplesPerSecond) rates.push(r.samplesPerSecond);
  }
  return rates.length ? median(rates) : undefined;
}

async function throughputErrors(par, env) {
  const profile = par.outcome.trials.filter((t) => t.phase === 'profile' && t.status === 'ok' && t.samplesPerSecond && par.seconds.has(t.id));
  const rows = [];
  for (const t of profile) {
    const lone = await loneTrial(par.runner, env, par.file, t, par.seconds.get(t.id));
    if (!lone) continue;
    const error = Math.abs(t.samplesPerSecond - lone) / lone;
    rows.push({ trial: t.id, batchSize: t.batchSize, parallel: t.samplesPerSecond, lone, error });
    log(`  lone ${t.batchSize}: ${Math.round(lone)} samples/s vs ${Math.round(t.samplesPerSecond)} beside another job (${(100 * error).toFixed(1)}%)`);
  }
  return rows;
}

function ddpStudy(py) {
  log('[ddp] tune examples/pytorch-ddp/config.yaml (2 workers on this machine)');
  const out = mkdtempSync(join(tmpdir(), 'bt-bench-ddp-'));
  const r = spawnSync(process.execPath, [join(root, 'dist/cli.js'), 'tune', join(root, 'examples/pytorch-ddp/config.yaml'), '--json', '--out', out], {
    encoding: 'utf8',
    env: pythonEnv({ BATCH_TUNER_PYTHON: py, BATCH_TUNER_MNIST: join(root, 'dist/data/mnist.bin') }),
    timeout: 900_000,
  });
  if (r.status !== 0) return { error: r.stderr.trim().split('\n').slice(-3).join(' ') };
  const j = JSON.parse(r.stdout);
  return {
    recommended: j.recommended,
    evidence: {
      notes: j.evidence?.notes,
      predictedMaxFit: j.evidence?.predictedMaxFit,
      oomCeiling: j.evidence?.oomCeiling,
      noiseScale: j.noiseScale,
      throughputModel: j.evidence?.throughputModel && {
        overheadSeconds: j.evidence.throughputModel.overheadSeconds,
        perSampleSeconds: j.evidence.throughputModel.perSampleSeconds,
      },
    },
  };
}

async function main() {
  const skip = slurmSkipReason();
  const { python: py, skip: noTorch } = testPython();
  if (skip || noTorch) {
    log(`bench:parallel not run: ${skip || noTorch}`);
    process.exit(2);
  }
  const cluster = await startSlurmCluster();
  const result = { mode: SMOKE ? 'smoke' : 'full', budgetSeconds: BUDGET, candidates: CANDIDATES, cpus: cluster.cpus };
  try {
    const env = pythonEnv({ ...cluster.env, BATCH_TUNER_PYTHON: py, BATCH_TUNER_MNIST: join(root, 'dist/data/mnist.bin') });
    log(`[1/3] --parallel 2 on Slurm (${cluster.cpus} CPUs, 1 per trial), budget ${BUDGET} s`);
    const par = await study('slurm', 2, env);
    log(`[2/3] sequential on this machine (local runner), budget ${BUDGET} s`);
    const seq = await study('local', 1, env);
    log('[3/3] lone trials with the same allocation');
    const rows = await throughputErrors(par, env);
    const summary = (s) => ({
      wallSeconds: s.wall,
      status: s.outcome.status,
      trials: s.outcome.trials.length,
      ok: s.outcome.trials.filter((t) => t.status === 'ok').length,
      recommended: s.outcome.recommendation?.batchSize,
      trialSeconds: s.outcome.trials.reduce((n, t) => n + t.wallSeconds, 0),
    });
    Object.assign(result, {
      parallelSlurm: summary(par),
      sequentialLocal: summary(seq),
      throughput: rows,
      medianError: rows.length ? median(rows.map((r) => r.error)) : undefined,
      maxError: rows.length ? Math.max(...rows.map((r) => r.error)) : undefined,
    });
  } finally {
    await cluster.stop();
  }
  if (!SMOKE) result.ddp = ddpStudy(py);
  mkdirSync(join(root, 'bench/results'), { recursive: true });
  writeFileSync(join(root, 'bench/results', `parallel-${result.mode}.json`), JSON.stringify(result, null, 2));
  const p = result.parallelSlurm;
  const s = result.sequentialLocal;
  console.log(
    `parallel 2 on Slurm: ${p.wallSeconds.toFixed(0)} s wall, ${p.ok}/${p.trials} trials ok, ${p.trialSeconds.toFixed(0)} trial-seconds (${(p.trialSeconds / p.wallSeconds).toFixed(2)} at once), recommended ${p.recommended}`,
  );
  console.log(
    `sequential locally:  ${s.wallSeconds.toFixed(0)} s wall, ${s.ok}/${s.trials} trials ok, ${s.trialSeconds.toFixed(0)} trial-seconds (${(s.trialSeconds / s.wallSeconds).toFixed(2)} at once), recommended ${s.recommended}`,
  );
  if (result.throughput.length) {
    const within = result.maxError <= TARGET;
    console.log(
      `throughput beside another job vs alone (same 1-CPU allocation): median error ${(100 * result.medianError).toFixed(1)}%, max ${(100 * result.maxError).toFixed(1)}% over ${result.throughput.length} trials (target <= ${100 * TARGET}%: ${within ? 'met' : 'NOT met'})`,
    );
  }
  if (result.ddp) console.log(`DDP example: ${JSON.stringify(result.ddp.recommended?.parallelism ?? result.ddp.error)}`);
  console.log(`details: bench/results/parallel-${result.mode}.json`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
