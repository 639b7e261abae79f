// Gradient accumulation in the built-in trainer (issue 13): a step of B samples computed as k
// micro-batches of B/k gives the full-batch step's loss and update up to float rounding, peaks at
// the micro-batch's memory, and reports the micro-batch noise statistics for free.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { accumulationCount, microBatchCount, microBatchesFor } from '../../src/trainer/microBatches';
import { readCheckpointFile } from '../../src/trainer/checkpoint/files';
import { ensureTrainerBundle, mlpConfig, trialSpec } from '../fixtures/trainer/helpers';
import { runTrainerChild, type ChildRun } from './helpers/trainerChild';

let dir = '';
before(() => {
  ensureTrainerBundle();
  dir = mkdtempSync(path.join(tmpdir(), 'bt-accum-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

const ok = (r: ChildRun) => assert.equal(r.error, undefined, `${JSON.stringify(r.error)}\n${r.stderr}`);

test('micro-batch counts: accumulation rounds the count up to a divisor (memory), statistics round it down', () => {
  assert.equal(accumulationCount(256, 4), 4);
  assert.equal(accumulationCount(96, 5), 6); // 96/6 = 16 <= 96/5
  assert.equal(accumulationCount(7, 3), 7); // a prime: micro-batches of one
  assert.equal(microBatchCount(96, 5), 4);
  assert.equal(microBatchCount(7, 3), 1);
  assert.equal(microBatchesFor(256, { accumulation: 4, statistics: 8 }), 4, 'accumulation wins; its micro-batches give the statistics');
  assert.equal(microBatchesFor(256, { accumulation: 1, statistics: 8 }), 8);
  assert.equal(microBatchesFor(256, { accumulation: 1, statistics: 0 }), 1);
});

const weightsOf = (file: string) => {
  const c = readCheckpointFile(file);
  return Array.from({ length: c.header.weights }, (_, i) => c.blobs.get(`weights/${i}`)!.data);
};
const maxAbsDiff = (a: ArrayLike<number>[], b: ArrayLike<number>[]) => {
  let m = 0;
  a.forEach((t, i) => {
    for (let j = 0; j < t.length; j++) m = Math.max(m, Math.abs(t[j] - b[i][j]));
  });
  return m;
};

test('k = 4 micro-batches give the same losses and weights as one full batch (SGD, 3 steps of 256)', async (t) => {
  const config = mlpConfig({ optimizer: { name: 'sgd', learning_rate: 0.2 }, batch_size: 256 });
  const run = async (k: number | undefined, batchSize = 256) => {
    const file = path.join(dir, `k${k ?? 1}-b${batchSize}.btckpt`);
    const r = await runTrainerChild(trialSpec({ batchSize, learningRate: 0.2, maxSteps: 3, evalEvery: 0, accumulationSteps: k, checkpointPath: file }, config));
    ok(r);
    return { r, w: weightsOf(file) };
  };
  const one = await run(undefined),
    four = await run(4);
  one.r.steps.forEach((s, i) =>
    assert.ok(Math.abs(s.loss - four.r.steps[i].loss) <= 1e-6 * s.loss, `step ${i + 1}: loss ${s.loss} vs ${four.r.steps[i].loss}`),
  );
  const diff = maxAbsDiff(one.w, four.w);
  t.diagnostic(`max |w(k=1) - w(k=4)| = ${diff.toExponential(2)}; losses ${one.r.steps.map((s) => s.loss)} vs ${four.r.steps.map((s) => s.loss)}`);
  assert.ok(diff < 1e-6, `weights differ by ${diff}`);
  // The tolerance is meaningful: a step on one micro-batch only (64 samples) lands far away.
  const partial = await run(undefined, 64);
  assert.ok(maxAbsDiff(one.w, partial.w) > 1000 * Math.max(diff, 1e-9), `a 64-sample step differs by only ${maxAbsDiff(one.w, partial.w)}`);
  // The statistics come from the accumulation's own micro-batches, without asking for them.
  assert.ok(four.r.steps.every((s) => s.microBatchSize === 64 && s.microGradSqNorm! > s.gradSqNorm!));
  assert.ok(one.r.steps.every((s) => s.microBatchSize === undefined && s.batchSize === 256));
});

test('peak tensor memory follows the micro-batch: batch 2048 with k = 4 peaks lower than k = 1', async (t) => {
  const config = mlpConfig({ data: { source: 'mnist', train_samples: 4096, test_samples: 200 }, batch_size: 2048 });
  const peakAboveResident = async (k: number) => {
    const r = await runTrainerChild(trialSpec({ batchSize: 2048, maxSteps: 2, evalEvery: 0, accumulationSteps: k }, config));
    ok(r);
    const s = r.steps[1];
    // Resident = data + weights + optimizer slots (the same for both); the rest is the step's working set.
    return s.peakMemoryBytes! - s.memoryBytes!;
  };
  const full = await peakAboveResident(1),
    micro = await peakAboveResident(4);
  t.diagnostic(`working set above resident tensors: k = 1 ${(full / 1e6).toFixed(2)} MB, k = 4 ${(micro / 1e6).toFixed(2)} MB`);
  // The gathered inputs alone are 2048 x 784 x 4 B = 6.4 MB at k = 1 and a quarter of that at k = 4.
  assert.ok(full > 6e6, `k = 1 working set ${full} B`);
  assert.ok(micro < 0.5 * full, `k = 4 working set ${micro} B vs k = 1 ${full} B`);
});

test('accumulation settings the built-in trainer cannot honour are config errors', async () => {
  const r = await runTrainerChild(trialSpec({ batchSize: 100, maxSteps: 2, accumulationSteps: 3 }));
  assert.equal(r.error?.kind, 'config');
  assert.match(
    r.error.message,
    /batchSize 100 is not divisible by accumulationSteps 3 \(micro-batches must be equal\): use a batch size that is a multiple of 3 \(e\.g\. 99 or 102\)/,
  );
  const w = await runTrainerChild(trialSpec({ maxSteps: 2, worldSize: 2 }));
  assert.equal(w.error?.kind, 'config');
  assert.match(w.error.message, /worldSize 2: the built-in trainer runs one worker/);
});
