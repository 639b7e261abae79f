// Dynamic-batching benchmark (`npm run bench:dynamic`): wall time (sum of training-step times,
// evaluation excluded) and samples to a target validation loss for an `adaptive` and a
// `linear_ramp` batch schedule against the best fixed batch size, on two tasks, 3 seeds each.
// The best fixed size comes from bench/results/tuner.json when the tuner benchmark left one for the
// task, else from a small sweep here (seed 1). Real TensorFlow.js training in the trainer child
// process; results in bench/results/dynamic.json. CPU timings on a shared machine are noisy.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tsImport } from 'tsx/esm/api';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { createTrainerRunner } = await tsImport('../src/core/runner/trainerProcess.ts', import.meta.url);
const { applyConfigDefaults } = await tsImport('../src/core/config/defaults.ts', import.meta.url);
const { scaledLearningRate } = await tsImport('../src/core/schedule/learningRate.ts', import.meta.url);

// BENCH_QUICK=1: one seed, one fixed size (a smoke run of the script itself).
const QUICK = process.env.BENCH_QUICK === '1';
const SEEDS = QUICK ? [1] : [1, 2, 3];
const SWEEP = QUICK ? [64] : [16, 32, 64, 128, 256];
const B0 = 16;
// Evaluation every ~1024 samples for fixed sizes, every 8 steps for schedules (a growing batch);
// the crossing of the target is interpolated between evaluations.
const evalEveryFor = (batchSize, schedule) => (schedule ? 8 : Math.max(1, Math.round(1024 / batchSize)));
const LR_RULE = 'sqrt'; // the same co-scaling rule for every arm, from (B0, lr0)

const tasks = [
  {
    name: 'mnist-mlp',
    target: 0.4,
    maxSeconds: 60,
    config: {
      model: { type: 'mlp', hidden: [128], activation: 'relu' },
      data: { source: 'mnist', train_samples: 8000, test_samples: 1000 },
      optimizer: { name: 'sgd', learning_rate: 0.1 },
      batch_size: B0,
      epochs: 6,
      seed: 1,
      tuner: { lr_scaling: LR_RULE },
    },
    schedules: {
      adaptive: { kind: 'adaptive', every_steps: 25, min_batch_size: 16, max_batch_size: 512 },
      linear_ramp: { kind: 'linear_ramp', from: 16, to: 256, over_samples: 8000 },
    },
  },
  {
    name: 'synthetic-regression',
    target: 0.31, // label noise 0.5: the floor is 0.25; near the target, gradient noise dominates
    maxSeconds: 40,
    config: {
      model: { type: 'mlp', hidden: [256, 256], activation: 'relu' },
      data: { source: 'synthetic', task: 'regression', samples: 20000, features: 64, noise: 0.5, seed: 7 },
      optimizer: { name: 'sgd', learning_rate: 0.01 },
      batch_size: B0,
      epochs: 5,
      seed: 1,
      loss: 'mse',
      tuner: { lr_scaling: LR_RULE },
    },
    schedules: {
      adaptive: { kind: 'adaptive', every_steps: 25, min_batch_size: 16, max_batch_size: 512 },
      linear_ramp: { kind: 'linear_ramp', from: 16, to: 256, over_samples: 8000 },
    },
  },
];

const run = createTrainerRunner();

/** First crossing of the target: training seconds and samples, interpolated between evaluations. */
function toTarget(steps, evals, target) {
  const trainSecondsAt = (step) => steps.filter((s) => s.step <= step).reduce((a, s) => a + s.stepTimeMs, 0) / 1000;
  let prev;
  for (const e of evals) {
    if (e.valLoss <= target) {
      const t1 = trainSecondsAt(e.step);
      if (!prev) return { seconds: t1, samples: e.samples, step: e.step };
      const f = (prev.valLoss - target) / (prev.valLoss - e.valLoss);
      const t0 = trainSecondsAt(prev.step);
      return { seconds: t0 + f * (t1 - t0), samples: Math.round(prev.samples + f * (e.samples - prev.samples)), step: e.step };
    }
    prev = e;
  }
  return undefined;
}

async function trial(task, label, batchSize, seed, schedule) {
  const config = applyConfigDefaults({ ...task.config, batch_size: batchSize, seed });
  const learningRate = scaledLearningRate(LR_RULE, batchSize, { batchSize: B0, learningRate: task.config.optimizer.learning_rate });
  const steps = [];
  const r = await run(
    {
      id: `${task.name}-${label}-s${seed}`,
      configPath: join(root, 'bench', 'dynamic.yaml'),
      config,
      batchSize,
      learningRate,
      seed,
      maxSeconds: task.maxSeconds,
      evalEvery: evalEveryFor(batchSize, schedule),
      warmupSteps: 2,
      microBatches: schedule?.kind === 'adaptive' ? 4 : 0,
      ...(schedule ? { schedule } : { schedule: { kind: 'constant' } }),
    },
    { onStep: (m) => steps.push(m) },
  );
  const hit = r.status === 'ok' ? toTarget(steps, r.evals, task.target) : undefined;
  const sizes = [...new Set(steps.map((s) => s.batchSize))];
  const out = {
    label,
    seed,
    status: r.status,
    error: r.error?.message,
    reached: !!hit,
    seconds: hit?.seconds,
    samples: hit?.samples,
    batchSizes: sizes,
    finalValLoss: r.evals.at(-1)?.valLoss,
    steps: steps.length,
  };
  process.stderr.write(
    `  ${task.name} ${label} seed ${seed}: ${hit ? `${hit.seconds.toFixed(2)} s, ${hit.samples} samples` : `not reached (${r.status}, val ${out.finalValLoss?.toFixed(3)})`} [B ${sizes.join('>')}]\n`,
  );
  return out;
}

function bestFixedFromTunerBench(name) {
  const f = join(root, 'bench', 'results', 'tuner.json');
  if (!existsSync(f)) return undefined;
  try {
    const j = JSON.parse(readFileSync(f, 'utf8'));
    const entry = Array.isArray(j.tasks) ? j.tasks.find((t) => t.name === name || t.task === name) : (j.tasks?.[name] ?? j[name]);
    const b = entry?.recommendation?.batchSize ?? entry?.bestFixed?.batchSize ?? entry?.batchSize;
    return Number.isInteger(b) ? b : undefined;
  } catch {
    return undefined;
  }
}

const summarize = (runs) => {
  const ok = runs.filter((r) => r.reached);
  const med = (xs) => {
    const s = [...xs].sort((a, b) => a - b);
    return s.length ? (s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2) : undefined;
  };
  return {
    reached: `${ok.length}/${runs.length}`,
    medianSeconds: med(ok.map((r) => r.seconds)),
    medianSamples: med(ok.map((r) => r.samples)),
    minSeconds: ok.length ? Math.min(...ok.map((r) => r.seconds)) : undefined,
    maxSeconds: ok.length ? Math.max(...ok.map((r) => r.seconds)) : undefined,
  };
};

const results = {
  date: new Date().toISOString(),
  note: 'training-step seconds (evaluation excluded) and samples to the target validation loss; medians over seeds; shared 2-core CPU, noisy',
  lrRule: LR_RULE,
  baseBatchSize: B0,
  tasks: [],
};
for (const task of tasks) {
  process.stderr.write(`${task.name} (target val loss ${task.target})\n`);
  let best = bestFixedFromTunerBench(task.name);
  let sweep;
  if (best === undefined) {
    sweep = [];
    for (const b of SWEEP) sweep.push({ batchSize: b, ...(await trial(task, `fixed-${b}`, b, 1)) });
    const reached = sweep.filter((r) => r.reached).sort((a, b) => a.seconds - b.seconds);
    best = reached[0]?.batchSize ?? SWEEP[SWEEP.length - 1];
  }
  const arms = {};
  arms[`fixed-${best}`] = [];
  for (const seed of SEEDS) {
    const reused = seed === 1 ? sweep?.find((r) => r.batchSize === best) : undefined;
    arms[`fixed-${best}`].push(reused ?? (await trial(task, `fixed-${best}`, best, seed)));
  }
  for (const [name, schedule] of Object.entries(task.schedules)) {
    arms[name] = [];
    for (const seed of SEEDS) arms[name].push(await trial(task, name, B0, seed, schedule));
  }
  results.tasks.push({
    name: task.name,
    target: task.target,
    bestFixed: best,
    bestFixedSource: sweep ? 'sweep (seed 1)' : 'bench/results/tuner.json',
    sweep,
    schedules: task.schedules,
    arms: Object.fromEntries(Object.entries(arms).map(([k, v]) => [k, { ...summarize(v), runs: v }])),
  });
}

mkdirSync(join(root, 'bench', 'results'), { recursive: true });
writeFileSync(join(root, 'bench', 'results', QUICK ? 'dynamic-quick.json' : 'dynamic.json'), JSON.stringify(results, null, 2) + '\n');
const fmt = (x, d = 2) => (x === undefined ? '—' : x.toFixed(d));
console.log('\ntask                  arm           reached  median s  (min–max)      median samples  vs best fixed');
for (const t of results.tasks) {
  const base = t.arms[`fixed-${t.bestFixed}`].medianSeconds;
  for (const [k, a] of Object.entries(t.arms)) {
    const rel = a.medianSeconds && base ? `${(base / a.medianSeconds).toFixed(2)}x` : '—';
    console.log(
      `${t.name.padEnd(22)}${k.padEnd(14)}${a.reached.padEnd(9)}${fmt(a.medianSeconds).padStart(8)}  (${fmt(a.minSeconds)}–${fmt(a.maxSeconds)})`.padEnd(70) +
        `${a.medianSamples ?? '—'}`.padStart(14) +
        `  ${rel}`,
    );
  }
}
console.log(`\nwrote bench/results/${QUICK ? 'dynamic-quick.json' : 'dynamic.json'}`);
