// The reference for the study's critical batch size: a full branched sweep at the same points of
// the run (Merrill et al. 2025's own procedure, bigger): a trunk at the current batch size B to each
// point, then branches at EVERY k x B that trains >= 4 steps in the branch (not only up to 8x or
// 16x), over more seeds, each for the same samples as the study's branches there, judged by the
// same rule (src/core/tuner/criticalBatch.ts). Every trunk segment and branch is cached on disk.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { scaleLearningRate } from './sweep.mjs'; // registers tsx's require hook first

const require = createRequire(import.meta.url);
const { criticalBatchSize, smoothedFinalLoss, CBS_TOLERANCE } = require('../../src/core/tuner/criticalBatch.ts');

/** Branch steps at least: fewer say nothing about a size's loss. */
const MIN_STEPS = 4;

function cached(file, make) {
  if (existsSync(file)) return Promise.resolve(JSON.parse(readFileSync(file, 'utf8')));
  return make().then((v) => {
    writeFileSync(file, JSON.stringify(v));
    return v;
  });
}

/** Trunk checkpoints at `samples` (ascending), each segment resuming the last; {path, step, samples, wallSeconds}. */
async function trunk(ctx, samples) {
  const B = ctx.loaded.config.batch_size;
  const out = [];
  let prev;
  for (const u of samples) {
    const path = join(ctx.cacheDir, `${ctx.task.name}-trunk-${u}.btckpt`);
    const seg = await cached(`${path}.json`, async () => {
      const t0 = Date.now();
      const r = await ctx.runner(
        {
          id: `trunk-${u}`,
          configPath: ctx.loaded.file,
          config: ctx.base,
          batchSize: B,
          learningRate: ctx.loaded.config.optimizer.learning_rate,
          seed: ctx.loaded.config.seed ?? 1,
          maxSteps: u / B,
          evalEvery: 0,
          microBatches: 0,
          schedule: { kind: 'constant' },
          checkpointPath: path,
          ...(prev ? { resumeFrom: prev.path } : {}),
        },
        {},
      );
      if (r.status !== 'ok' || !existsSync(path)) throw new Error(`trunk to ${u} samples: ${r.status} ${r.error?.message ?? ''}`);
      return { path, step: u / B, samples: u, wallSeconds: (Date.now() - t0) / 1000 };
    });
    out.push(seg);
    prev = seg;
  }
  return out;
}

/** One branch's smoothed final validation loss (NaN when it failed or stopped short). */
async function branch(ctx, cp, b, seed, n) {
  const B = ctx.loaded.config.batch_size;
  const steps = Math.ceil(n / b);
  return cached(join(ctx.cacheDir, `${ctx.task.name}-branch-${cp.samples}-${b}-s${seed}-n${n}.json`), async () => {
    const t0 = Date.now();
    const r = await ctx.runner(
      {
        id: `full-branch-${cp.samples}-${b}-s${seed}`,
        configPath: ctx.loaded.file,
        config: ctx.base,
        batchSize: b,
        learningRate: scaleLearningRate(ctx.loaded.config.optimizer.learning_rate, B, b, ctx.lrRule),
        seed,
        resumeFrom: cp.path,
        maxSteps: cp.step + steps,
        evalEvery: Math.max(1, Math.round(steps / 12)),
        microBatches: 0,
        schedule: { kind: 'constant' },
      },
      {},
    );
    const last = r.steps[r.steps.length - 1];
    const ok = r.status === 'ok' && last && last.samples >= cp.samples + n;
    const loss = ok
      ? smoothedFinalLoss(
          r.evals.map((e) => ({ samples: e.samples, loss: e.valLoss })),
          cp.samples,
          cp.samples + n,
        )
      : NaN;
    return { loss: Number.isFinite(loss) ? loss : null, status: r.status, wallSeconds: (Date.now() - t0) / 1000 };
  });
}

/**
 * The full sweep at the study's points ([{samples, branchSamples}]). `ctx`: {runner, cacheDir, task,
 * loaded, base (config without steps/epochs/schedule), lrRule, numTrain, seeds}.
 */
export async function fullBranchedSweep(ctx, points) {
  mkdirSync(ctx.cacheDir, { recursive: true });
  const B = ctx.loaded.config.batch_size;
  const trunkSegs = await trunk(
    ctx,
    points.map((p) => p.samples),
  );
  const out = [];
  let wall = trunkSegs.reduce((a, s) => a + s.wallSeconds, 0);
  for (const [i, p] of points.entries()) {
    const cp = trunkSegs[i];
    const sizes = [];
    for (let b = B; b <= ctx.numTrain && p.branchSamples / b >= MIN_STEPS; b *= 2) sizes.push(b);
    const losses = [];
    for (const b of sizes)
      for (const seed of ctx.seeds) {
        const r = await branch(ctx, cp, b, seed, p.branchSamples);
        wall += r.wallSeconds;
        losses.push({ batchSize: b, seed, loss: r.loss ?? NaN });
      }
    const est = criticalBatchSize(losses, B, CBS_TOLERANCE);
    out.push({
      samples: p.samples,
      sizes,
      seeds: ctx.seeds.length,
      ...(est ? { value: est.value, low: est.low, high: est.high, atLeast: est.atLeast, branches: est.branches } : {}),
    });
    process.stderr.write(
      `  full branched sweep at ${p.samples} samples: CBS ${est?.value ?? '–'} (${est?.low ?? '–'}-${est?.high ?? '–'}) over ${sizes.join(', ')} x ${ctx.seeds.length} seeds\n`,
    );
  }
  return { points: out, wallSeconds: wall };
}
