// The critical batch size from branch losses (issue 11), against hand-made cases with known answers:
// the smoothing window, the tolerance rule (unbroken from k = 1), the seeds' interval, a diverged
// branch, a censored answer, and the branch phase's budget plan.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { criticalBatchSize, smoothedFinalLoss, type BranchLoss } from '../../src/core/tuner/criticalBatch';
import { bisectionProbes, branchPoint, planBranchPhase, trunkPoints, type BranchPhasePlan } from '../../src/core/tuner/branchPlan';

const close = (a: number, b: number, tol = 1e-9) => assert.ok(Math.abs(a - b) <= tol, `${a} vs ${b}`);

test('smoothed final loss: the mean of the piecewise-linear curve over the last quarter of the branch', () => {
  // loss = 1 - s/1000 on (0, 1000]: its mean over [750, 1000] is 1 - 875/1000.
  const line = [100, 300, 500, 700, 900, 1000].map((s) => ({ samples: s, loss: 1 - s / 1000 }));
  close(smoothedFinalLoss(line, 0, 1000), 0.125);
  // Points only at 800 and 1000 with losses 0.5 and 0.3: held at 0.5 over [750, 800], then linear: (0.5*50 + 0.4*200)/250.
  close(
    smoothedFinalLoss(
      [
        { samples: 800, loss: 0.5 },
        { samples: 1000, loss: 0.3 },
      ],
      0,
      1000,
    ),
    (0.5 * 50 + 0.4 * 200) / 250,
  );
  // One evaluation in reach (only the final one): that value. Points before the checkpoint do not count.
  close(
    smoothedFinalLoss(
      [
        { samples: -5, loss: 9 },
        { samples: 1000, loss: 0.42 },
      ],
      0,
      1000,
    ),
    0.42,
  );
  assert.ok(Number.isNaN(smoothedFinalLoss([], 0, 1000)));
});

const branches = (table: Record<number, number[]>): BranchLoss[] =>
  Object.entries(table).flatMap(([b, losses]) => losses.map((loss, i) => ({ batchSize: Number(b), seed: i + 1, loss })));

test('CBS: the largest size within 2% of k = 1, averaged over seeds; low/high span the per-seed answers', () => {
  // Relative to k = 1: seed 1 = 1, 1.005, 1.012, 1.06; seed 2 = 1, 1.01, 1.025, 1.07.
  const est = criticalBatchSize(
    branches({ 32: [0.5, 0.4], 64: [0.5 * 1.005, 0.4 * 1.01], 128: [0.5 * 1.012, 0.4 * 1.025], 256: [0.5 * 1.06, 0.4 * 1.07] }),
    32,
    0.02,
  );
  assert.ok(est);
  assert.equal(est.value, 128, 'mean relative loss at 128 is 1.0185 <= 1.02');
  assert.equal(est.low, 64, 'seed 2 alone stops at 64 (1.025 > 1.02)');
  assert.equal(est.high, 128);
  assert.equal(est.atLeast, false);
  close(est.branches.find((b) => b.batchSize === 128)?.relativeLoss ?? 0, 1.0185);
  assert.deepEqual(
    est.branches.map((b) => b.seeds),
    [2, 2, 2, 2],
  );
});

test('CBS: a size that fails ends the run from k = 1 (a later pass is noise); a diverged branch fails', () => {
  const broken = criticalBatchSize(branches({ 32: [1], 64: [1.05], 128: [1.0] }), 32, 0.02);
  assert.equal(broken?.value, 32, '64 failed, so 128 passing does not count');
  const diverged = criticalBatchSize(branches({ 32: [1, 1], 64: [1.01, NaN], 128: [1.0, 1.0] }), 32, 0.02);
  assert.equal(diverged?.value, 32, 'a NaN (diverged) branch at 64 fails the size for the mean');
  assert.ok(Number.isNaN(diverged?.branches[1].relativeLoss ?? 0));
});

test('CBS: every size within tolerance is an "at least" answer; no k = 1 loss gives none', () => {
  const all = criticalBatchSize(branches({ 16: [2], 32: [2.01], 64: [1.99] }), 16);
  assert.equal(all?.value, 64);
  assert.equal(all?.atLeast, true);
  assert.equal(criticalBatchSize(branches({ 16: [NaN], 32: [1] }), 16), undefined);
});

test("branch plan: a checkpoint's branch length and sizes (>= 8 steps each, under the ceiling); trunk points", () => {
  // A quarter of 10,000 samples = 2,500; sizes with >= 8 steps in it: 32..256 (8 x 256 = 2,048); rounded down to a multiple of 256.
  assert.deepEqual(branchPoint(10_000, 32, 1e9), { samples: 10_000, branchSamples: 2304, sizes: [32, 64, 128, 256] });
  // Early: at least 8 steps at 4B (1,024 samples), so k = 1, 2, 4 always compare.
  assert.deepEqual(branchPoint(1_000, 32, 1e9), { samples: 1_000, branchSamples: 1024, sizes: [32, 64, 128] });
  assert.deepEqual(branchPoint(1e6, 32, 300).sizes, [32, 64, 128, 256], 'the memory ceiling');
  assert.deepEqual(branchPoint(1e7, 32, 1e9).sizes, [32, 64, 128, 256, 512, 1024, 2048], 'up to 64 x B');
  assert.deepEqual([1, 2, 3, 4, 5, 7].map(bisectionProbes), [0, 1, 2, 2, 3, 3]);
  assert.deepEqual(trunkPoints(3, 0.5, 100_000, 32), [12512, 24992, 50016], 'geometric, in whole steps of 32');
});

const X = (b: number) => (4000 * b) / (b + 32);
const base = { startupSeconds: 1, parallel: 1, batchSize: 32, horizonSamples: 200_000, ceiling: 1024, throughput: X };

test('branch plan: with time, 4 points, sizes to the ceiling late in the run, two seeds; with less, fewer; too little, a reason to act on', () => {
  const rich = planBranchPhase({ ...base, seconds: 2000 }) as BranchPhasePlan;
  assert.ok(!('skip' in rich));
  assert.deepEqual(
    rich.points.map((p) => p.samples),
    [18752, 37504, 75008, 150016],
  );
  assert.deepEqual(rich.points[3].sizes, [32, 64, 128, 256, 512, 1024], 'a quarter of 150,016 samples: 8 steps fit up to the ceiling');
  assert.deepEqual(rich.points[0].sizes, [32, 64, 128, 256, 512], '4,688 samples: 8 steps of 512');
  assert.equal(rich.seeds, 2);
  close(rich.reachedFraction, 0.75, 0.001);
  assert.ok(rich.estimatedSeconds <= 2000);
  const modest = planBranchPhase({ ...base, seconds: 40 }) as BranchPhasePlan;
  assert.ok(!('skip' in modest), JSON.stringify(modest));
  assert.ok(modest.points.length >= 2 && modest.estimatedSeconds <= 40, JSON.stringify(modest));
  assert.ok(modest.reachedFraction < 0.75);
  const poor = planBranchPhase({ ...base, seconds: 5 });
  assert.ok('skip' in poor && /too few.*give a larger --budget/.test(poor.skip), JSON.stringify(poor));
  const noRoom = planBranchPhase({ ...base, seconds: 500, ceiling: 48 });
  assert.ok('skip' in noRoom && /no branch size above the current 32 fits/.test(noRoom.skip));
  const short = planBranchPhase({ ...base, seconds: 500, horizonSamples: 1000 });
  assert.ok('skip' in short && /horizon \(1000 samples\) is shorter than a branch.*--horizon/.test(short.skip), JSON.stringify(short));
});

test('branch plan: given checkpoints are the points (no trunk); those past the horizon are dropped', () => {
  const p = planBranchPhase({ ...base, seconds: 500, given: [20_000, 60_000, 300_000] }) as BranchPhasePlan;
  assert.ok(!('skip' in p));
  assert.equal(p.trunk, false);
  assert.deepEqual(
    p.points.map((x) => x.samples),
    [20_000, 60_000],
  );
  const past = planBranchPhase({ ...base, seconds: 500, given: [300_000] });
  assert.ok('skip' in past && /at or past the horizon/.test(past.skip));
});
