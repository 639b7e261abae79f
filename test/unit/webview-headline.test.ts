// The one headline (src/core/headline.ts) that the card, the sidebar, CodeLens, the tree, the
// quick picks, the notification and the CLI share: every case a person can meet.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Recommendation } from '../../src/core/types';
import {
  assumedQuantities,
  basisSummary,
  headlineParts,
  parallelismText,
  planStageLines,
  recommendationHeadline,
  speedWords,
  studyEntryText,
  studyStatusText,
} from '../../src/core/headline';

/** A recommendation as a study writes it after issue 10: 128 picked, band 64–256, measured speed-up 1.4x. */
function rec(patch: Partial<Recommendation> = {}): Recommendation {
  return {
    batchSize: 128,
    learningRate: 0.002,
    speedupVsCurrent: 1.4,
    speedupBasis: 'measured',
    current: { batchSize: 32, learningRate: 0.001 },
    band: { low: 64, high: 256, tolerance: 0.1, sizes: [64, 128, 256], basis: 'fitted' },
    basis: { throughput: 'fitted', noiseScale: 'measured', convergence: 'measured' },
    undetermined: [],
    alternatives: {},
    candidates: [],
    evidence: { lrRule: 'sqrt', notes: [] },
    ...patch,
  };
}

test('measured: pick, band and speed-up with its basis', () => {
  assert.equal(recommendationHeadline(rec()), 'Recommended 128 · 64–256 within 10% · 1.4x faster (measured)');
  const p = headlineParts(rec());
  assert.deepEqual(p.speedup, { text: '1.4x faster', basis: 'measured' });
  assert.deepEqual(p.band, { text: '64–256 within 10%', basis: 'fitted' });
  assert.equal(p.assumption, undefined);
});

test('fitted: a speed-up predicted by the model says so', () => {
  assert.equal(recommendationHeadline(rec({ speedupVsCurrent: 2.06, speedupBasis: 'fitted' })), 'Recommended 128 · 64–256 within 10% · 2.1x faster (fitted)');
});

test('assumed: says what was assumed and gives no speed-up, even if one was computed', () => {
  const r = rec({
    basis: { throughput: 'fitted', noiseScale: 'assumed', convergence: 'fitted' },
    band: { low: 64, high: 256, tolerance: 0.1, sizes: [64, 128, 256], basis: 'assumed' },
    evidence: { lrRule: 'sqrt', notes: [], assumedNoiseScale: 32 },
  });
  const text = recommendationHeadline(r);
  assert.equal(text, 'Recommended 128 · 64–256 within 10% (assumed) · assumed noise scale (B_noise = 32): no speed-up given');
  assert.doesNotMatch(text, /faster/);
  assert.equal(headlineParts(r).speedup, undefined);
  assert.deepEqual(assumedQuantities(rec({ basis: { throughput: 'assumed', noiseScale: 'fitted', convergence: 'assumed' } })), [
    'throughput',
    'time to target',
  ]);
});

test('the config already has the pick: "Keep", the band, no speed-up', () => {
  assert.equal(recommendationHeadline(rec({ batchSize: 32, speedupVsCurrent: 1 })), 'Keep 32 · 64–256 within 10%');
});

test('a band of one size is not shown; a slower pick is never "faster"', () => {
  const one = rec({ band: { low: 128, high: 128, tolerance: 0.1, sizes: [128], basis: 'fitted' } });
  assert.equal(recommendationHeadline(one), 'Recommended 128 · 1.4x faster (measured)');
  assert.equal(speedWords(0.8), '0.8x the speed');
  assert.equal(speedWords(1.03), 'about as fast');
  assert.equal(speedWords(12.4), '12x faster');
});

test('a study from before issue 10 (no band, no basis) still gets a headline', () => {
  const old = rec();
  delete (old as Partial<Recommendation>).band;
  delete (old as Partial<Recommendation>).basis;
  delete old.speedupBasis;
  assert.equal(recommendationHeadline(old), 'Recommended 128 · 1.4x faster (fitted)');
  assert.match(basisSummary(undefined), /not recorded/);
});

const warmup = {
  kind: 'warmup' as const,
  stages: [
    { fromSamples: 0, batchSize: 64, learningRate: 0.0014 },
    { fromSamples: 120_000, batchSize: 128, learningRate: 0.002 },
    { fromSamples: 400_000, batchSize: 256, learningRate: 0.0028 },
  ],
  schedule: { kind: 'step' as const, at_steps: [1875, 4609], factor: 2, max_batch_size: 256 },
  horizonSamples: 1_000_000,
  bestFixed: { batchSize: 128, predictedSeconds: 130 },
  predictedSeconds: 100,
  speedupVsBestFixed: 1.3,
  basis: 'fitted' as const,
  description: '64 until 120k samples, then 128, then 256 from 400k',
};

test('plan: a warm-up names its ends over the run and its speed-up against the best fixed size', () => {
  assert.equal(recommendationHeadline(rec({ plan: warmup })), 'Recommended 64 → 256 over the run · 1.3x faster than a fixed 128 (fitted)');
  assert.deepEqual(planStageLines(warmup), [
    '64 from the start (learning rate 0.0014)',
    '128 from 120k samples (learning rate 0.002)',
    '256 from 400k samples (learning rate 0.0028)',
  ]);
  // A plan resting on an assumption gives no speed-up either.
  const assumed = recommendationHeadline(rec({ plan: { ...warmup, basis: 'assumed' } }));
  assert.equal(assumed, 'Recommended 64 → 256 over the run · assumed plan: no speed-up given');
  // A fixed plan leaves the fixed headline as it is.
  const fixed = { ...warmup, kind: 'fixed' as const, stages: [warmup.stages[1]] };
  assert.equal(recommendationHeadline(rec({ plan: fixed })), 'Recommended 128 · 64–256 within 10% · 1.4x faster (measured)');
});

test('parallelism: micro-batch x accumulation x workers = global', () => {
  assert.equal(
    parallelismText({ microBatchSize: 32, accumulationSteps: 4, worldSize: 2, globalBatchSize: 256 }),
    '32 × 4 accumulation steps × 2 workers = global 256',
  );
  assert.equal(
    parallelismText({ microBatchSize: 64, accumulationSteps: 1, worldSize: 1, globalBatchSize: 64 }),
    '64 × 1 accumulation step × 1 worker = global 64',
  );
});

test('study states, interrupted among them, with an icon and what they mean', () => {
  const s = studyStatusText('interrupted');
  assert.equal(s.label, 'interrupted');
  assert.equal(s.warning, true);
  assert.match(s.detail, /process that ran it is gone/);
  assert.equal(studyStatusText('completed').icon, 'beaker');
  assert.equal(studyStatusText('something-new').label, 'something-new');
  assert.equal(studyEntryText({ status: 'interrupted', trials: 3 }), 'interrupted · 3 trials');
  assert.equal(studyEntryText({ status: 'completed', recommendedBatchSize: 128, speedupVsCurrent: 1.4, trials: 9 }), 'Recommended 128 · 1.4x faster');
  assert.equal(studyEntryText({ status: 'stopped', recommendedBatchSize: 64, trials: 4 }), 'stopped · Recommended 64');
});
