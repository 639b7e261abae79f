// Bad input for the recommendation (issue 10): fewer than three sizes measurable, all sizes equally
// fast, throughput falling with batch size, no finite noise-scale estimate, a script that reports
// only a final loss. Each time the recommendation says what it could not determine and why, and
// never presents a guess as a measurement (no speed-up when anything it rests on is assumed).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { recommend, seededRandom, throughputFromWindows, type ProfiledCandidate, type StepTimeWindow } from '../../src/core/tuner';
import { readStudy, runStudy, type StudyOptions } from '../../src/core/study';
import type { TrainingConfig } from '../../src/core/types';
import { gaussian } from './helpers/linearRegression';
import { lossCurveRunner } from './helpers/lossCurveRunner';

function windows(sizes: number[], t: (b: number) => number, noise = 0.02): StepTimeWindow[] {
  const rand = seededRandom(9);
  return sizes.flatMap((b) =>
    [1, 2].flatMap((round) =>
      Array.from({ length: 4 }, () => ({ batchSize: b, stepSeconds: t(b) * (1 + noise * gaussian(rand)), steps: 4, group: `p-${b}-${round}`, round })),
    ),
  );
}
const candidate = (b: number, t: (b: number) => number): ProfiledCandidate => ({
  batchSize: b,
  status: 'ok',
  fits: true,
  samplesPerSecond: b / t(b),
  learningRate: 0.01,
});
const noise = { value: 64, low: 48, high: 90, source: 'gradient-statistics' as const };
const reached = (b: number, time: number) => ({ batchSize: b, learningRate: 0.01, finalLosses: [0.5], timesToTarget: [time], diverged: [undefined] });

test('fewer than three sizes measurable: no throughput model, nothing predicted outside them, said so', () => {
  const t = (b: number) => 0.01 + 0.001 * b;
  const rec = recommend({
    current: { batchSize: 32, learningRate: 0.01 },
    candidates: [candidate(32, t), candidate(64, t)],
    noiseScale: noise,
    convergence: [reached(32, 10), reached(64, 9)],
    referenceStepsToTarget: 100,
    lrRule: 'none',
  });
  assert.ok(rec);
  assert.equal(rec.basis.throughput, 'measured');
  assert.ok(
    rec.undetermined.some((u) => /only 2 batch sizes \(32, 64\) could be measured.*needs 3/.test(u)),
    rec.undetermined.join('\n'),
  );
  assert.ok(rec.band.sizes.every((b) => b === 32 || b === 64));
  assert.match(rec.band.note ?? '', /only batch sizes 32 and 64 could be measured/);
  assert.ok(
    rec.candidates.every((c) => c.fittedSamplesPerSecond === undefined),
    'no fitted throughput without a model',
  );
  const one = recommend({ current: { batchSize: 32, learningRate: 0.01 }, candidates: [candidate(32, t)], noiseScale: noise, convergence: [], lrRule: 'none' });
  assert.equal(one?.batchSize, 32);
  assert.deepEqual([one?.band.low, one?.band.high], [32, 32]);
});

test('all sizes equally fast: no throughput gain is measurable, so the pick rests on statistical efficiency (the smallest)', () => {
  const t = (b: number) => b / 5000; // X(B) = 5000 at every size
  const sizes = [8, 16, 32, 64, 128, 256];
  const rec = recommend({
    current: { batchSize: 32, learningRate: 0.01 },
    candidates: sizes.map((b) => candidate(b, t)),
    throughput: throughputFromWindows(windows(sizes, t)),
    noiseScale: noise,
    convergence: [],
    lrRule: 'none',
  });
  assert.ok(rec);
  assert.equal(rec.evidence.throughputModel?.shape, 'flat');
  assert.equal(rec.batchSize, 8);
  assert.ok(
    rec.undetermined.some((u) => /throughput gain from larger batches: none is measurable/.test(u)),
    rec.undetermined.join('\n'),
  );
});

test('throughput falling with batch size: the smallest measured size is fastest; the optimum may lie below the range', () => {
  const t = (b: number) => 0.0002 * b + 2e-6 * b * b; // X(B) = 1/(2e-4 + 2e-6 B): 3,800 at 8, 1,400 at 256
  const sizes = [8, 16, 32, 64, 128, 256];
  const throughput = throughputFromWindows(windows(sizes, t));
  assert.equal(throughput?.model.terms, 'quadratic');
  const rec = recommend({
    current: { batchSize: 64, learningRate: 0.01 },
    candidates: sizes.map((b) => candidate(b, t)),
    throughput,
    noiseScale: noise,
    convergence: [],
    lrRule: 'none',
  });
  assert.ok(rec);
  assert.equal(rec.evidence.throughputModel?.shape, 'falling');
  assert.equal(rec.batchSize, 8);
  assert.ok(
    rec.undetermined.some((u) => /throughput falls as the batch grows.*lower the minimum batch size/.test(u)),
    rec.undetermined.join('\n'),
  );
});

test('no finite noise-scale estimate: B_noise is assumed, labelled so, and no speed-up is claimed', () => {
  const t = (b: number) => 0.004 + 0.0002 * b;
  const sizes = [8, 16, 32, 64, 128, 256];
  const rec = recommend({
    current: { batchSize: 32, learningRate: 0.01 },
    candidates: sizes.map((b) => candidate(b, t)),
    throughput: throughputFromWindows(windows(sizes, t)),
    noiseScaleUndetermined: 'steps to every common loss level fell in proportion to 1/B across 8, 32, 128: no finite estimate',
    convergence: [reached(32, 10), reached(64, 8)],
    referenceStepsToTarget: 100,
    lrRule: 'none',
  });
  assert.ok(rec);
  assert.equal(rec.basis.noiseScale, 'assumed');
  assert.equal(rec.noiseScale, undefined, 'an assumed B_noise is not shown as an estimate');
  assert.equal(rec.evidence.assumedNoiseScale, 32);
  assert.equal(rec.speedupVsCurrent, undefined);
  assert.equal(rec.band.basis, 'assumed');
  assert.ok(
    rec.undetermined.some((u) => /the gradient noise scale: .*no finite estimate.*assumed/.test(u)),
    rec.undetermined.join('\n'),
  );
});

const config: TrainingConfig = {
  model: { type: 'linear' },
  data: { source: 'synthetic', task: 'regression' },
  optimizer: { name: 'adam', learning_rate: 0.001 },
  batch_size: 32,
};
function options(over: Partial<StudyOptions> = {}): StudyOptions {
  return {
    configPath: '/tmp/x/train.py',
    config,
    currentBatchSize: 32,
    currentLearningRate: 0.001,
    optimizer: 'adam',
    datasetSize: 50_000,
    budgetSeconds: 60,
    minBatchSize: 8,
    maxBatchSize: 512,
    seed: 1,
    startupSecondsGuess: 0.01,
    outDir: mkdtempSync(join(tmpdir(), 'bt-bad-')),
    ...over,
  };
}

test('a script that reports only a final loss: throughput measured, B_noise and time to target not determinable, no speed-up', async () => {
  const out = await runStudy(options(), lossCurveRunner({ finalOnly: true }));
  assert.equal(out.status, 'completed', out.reason);
  const rec = out.recommendation;
  assert.ok(rec);
  assert.equal(rec.basis.noiseScale, 'assumed');
  assert.equal(rec.basis.convergence, 'assumed');
  assert.equal(rec.speedupVsCurrent, undefined);
  assert.ok(
    rec.undetermined.some((u) => /no gradient statistics.*no run reported a loss curve/.test(u)),
    rec.undetermined.join('\n'),
  );
  assert.ok(
    rec.undetermined.some((u) => /single final loss gives no time to target/.test(u)),
    rec.undetermined.join('\n'),
  );
  // A missing validation loss is never read as divergence.
  assert.ok(rec.candidates.every((c) => c.diverged === undefined));
  assert.ok(!rec.evidence.notes.some((n) => /diverged|lower the learning rate/.test(n)));
  assert.deepEqual(readStudy(out.studyFile as string).recommendation?.basis, rec.basis);
});

test('a script with training loss only (no gradient statistics, no validation loss): B_noise fitted from the loss curves', async () => {
  // X(B) = B/(0.004 + 0.0002 B), B_noise = 100: the goodput optimum sqrt(0.004 * 100 / 0.0002) ~ 45.
  const out = await runStudy(options(), lossCurveRunner({ noiseScale: 100, lossNoise: 0.02 }));
  assert.equal(out.status, 'completed', out.reason);
  const rec = out.recommendation;
  assert.ok(rec);
  assert.equal(rec.noiseScale?.source, 'loss-curves');
  assert.equal(rec.basis.noiseScale, 'fitted');
  assert.equal(rec.basis.throughput, 'fitted');
  assert.equal(rec.evidence.lossSource, 'training');
  assert.ok(rec.noiseScale && rec.noiseScale.value > 40 && rec.noiseScale.value < 250, `B_noise ${rec.noiseScale?.value}`);
  assert.ok([32, 64].includes(rec.batchSize), `pick ${rec.batchSize}`);
  assert.ok(rec.band.low <= rec.batchSize && rec.batchSize <= rec.band.high);
  assert.ok(
    rec.candidates.every((c) => c.diverged === undefined),
    'no run read as diverged',
  );
  // The throughput model recovers the machine's step time from two interleaved rounds.
  const m = rec.evidence.throughputModel;
  assert.ok(m && Math.abs(m.perSampleSeconds / 0.0002 - 1) < 0.01 && Math.abs(m.overheadSeconds / 0.004 - 1) < 0.05, JSON.stringify(m));
  assert.ok(
    out.trials.some((t) => t.id.endsWith('-r2')),
    'a second, descending profile round ran',
  );
});
