// The study engine's logic with a deterministic runner (the real trainer: study-real.test.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { latestStudyFor, listStudies, readStudy, runStudy, type StudyEvent, type StudyOptions } from '../../src/core/study';
import type { TrainingConfig } from '../../src/core/types';
import { simulatedRunner } from './helpers/simulatedRunner';

const config: TrainingConfig = {
  model: { type: 'linear' },
  data: { source: 'synthetic', task: 'regression' },
  optimizer: { name: 'adam', learning_rate: 0.001 },
  batch_size: 32,
};
function options(over: Partial<StudyOptions> = {}): StudyOptions {
  return {
    configPath: '/tmp/x/train.yaml',
    config,
    configText: 'batch_size: 32\n',
    currentBatchSize: 32,
    currentLearningRate: 0.001,
    optimizer: 'adam',
    datasetSize: 8000,
    budgetSeconds: 60,
    minBatchSize: 8,
    maxBatchSize: 1024,
    seed: 1,
    startupSecondsGuess: 0.01,
    outDir: mkdtempSync(join(tmpdir(), 'bt-study-')),
    ...over,
  };
}

test('a study runs all phases, tells its listener, and persists a readable JSONL file', async () => {
  const events: StudyEvent[] = [];
  const opts = options();
  const out = await runStudy(opts, simulatedRunner(), (e) => events.push(e));
  assert.equal(out.status, 'completed');
  const types = new Set(events.map((e) => e.type));
  for (const t of ['plan', 'phase', 'trial-start', 'step', 'eval', 'trial-end', 'noise-scale', 'recommendation', 'done'])
    assert.ok(types.has(t as StudyEvent['type']), `event ${t}`);
  const phases = events.filter((e) => e.type === 'phase').map((e) => (e as { phase: string }).phase);
  assert.deepEqual(phases, ['profile', 'noise', 'convergence', 'recommend', 'done']);
  const rec = out.recommendation;
  assert.ok(rec);
  // Simulated B_noise = 4 (1 + 2^2) + 1 = 21 and X = 20000 B/(B+64): goodput peaks near sqrt(21*64) ~ 37.
  assert.ok(rec.noiseScale && rec.noiseScale.low < 21 && 21 < rec.noiseScale.high, JSON.stringify(rec.noiseScale));
  assert.ok([16, 32, 64].includes(rec.batchSize), `pick ${rec.batchSize}`);
  assert.ok(
    rec.candidates.some((c) => c.measuredLoss !== undefined),
    'convergence evidence kept',
  );
  assert.ok(out.trials.some((t) => t.phase === 'convergence'));
  // Round trip.
  const read = readStudy(out.studyFile as string);
  assert.equal(read.status, 'completed');
  assert.equal(read.trials.length, out.trials.length);
  assert.equal(read.recommendation?.batchSize, rec.batchSize);
  assert.equal(read.start.configHash?.length, 16);
  assert.ok(read.plan && read.plan.summary.includes('profile'));
  assert.deepEqual(
    listStudies(opts.outDir as string).map((s) => s.recommendedBatchSize),
    [rec.batchSize],
  );
  assert.equal(latestStudyFor(opts.outDir as string, '/tmp/x/train.yaml')?.id, out.id);
  assert.equal(latestStudyFor(opts.outDir as string, '/tmp/x/other.yaml'), undefined);
});

test('a truncated last line (a crash mid-write) is skipped on reading', async () => {
  const out = await runStudy(options({ budgetSeconds: 20 }), simulatedRunner());
  const file = out.studyFile as string;
  const text = readFileSync(file, 'utf8');
  const lines = text.trimEnd().split('\n');
  // Drop the study-end line and half of the recommendation line, as a crash would leave it.
  const cut = lines.slice(0, -3).join('\n') + '\n' + lines[lines.length - 3].slice(0, 40);
  writeFileSync(file, cut);
  const read = readStudy(file);
  assert.equal(read.skippedLines, 1);
  assert.equal(read.status, 'running');
  assert.equal(read.recommendation, undefined);
  assert.ok(read.trials.length > 0);
  appendFileSync(file, '\n');
  assert.equal(readStudy(file).skippedLines, 1);
});

test('an out-of-memory ceiling is found by bisection between the last success and the first failure', async () => {
  // peak = 1e6 + 1e5 B: a 31.2e6-byte ceiling lets B <= 302 run.
  const runner = simulatedRunner({ ceilingBytes: 31.2e6, xMax: 1e6 });
  const out = await runStudy(options({ candidates: [8, 16, 32, 64, 128, 256, 512, 1024] }), runner);
  assert.equal(out.status, 'completed');
  const tried = runner.specs.filter((s) => s.id.startsWith('profile')).map((s) => s.batchSize);
  assert.ok(tried.includes(512) && !tried.includes(1024), `never tries above the first failure: ${tried}`);
  const largest = out.recommendation?.alternatives.largestThatFits?.batchSize as number;
  assert.ok(largest <= 302 && largest >= 302 * 0.9, `largest that fits ${largest}`);
  assert.equal(out.recommendation?.evidence.oomCeiling !== undefined, true);
  assert.ok(runner.specs.every((s) => s.batchSize % 4 === 0));
});

test('a memory limit is respected by prediction before trying', async () => {
  const runner = simulatedRunner();
  const out = await runStudy(options({ memoryLimitBytes: 20e6 }), runner);
  // (0.9 * 20e6 - 1e6) / 1e5 = 170: 256 and up are predicted not to fit and never run.
  assert.ok(
    runner.specs.every((s) => s.batchSize <= 170),
    runner.specs.map((s) => s.batchSize).join(','),
  );
  assert.equal(out.recommendation?.evidence.predictedMaxFit, 170);
  assert.equal(out.recommendation?.candidates.find((c) => c.batchSize === 256)?.status, 'predicted');
});

test('bad input: min > max fails with a clear message and a persisted failed study', async () => {
  const runner = simulatedRunner();
  const out = await runStudy(options({ minBatchSize: 256, maxBatchSize: 16 }), runner);
  assert.equal(out.status, 'failed');
  assert.match(out.reason ?? '', /min batch size 256 is larger than max batch size 16/);
  assert.equal(runner.specs.length, 0);
  assert.equal(readStudy(out.studyFile as string).status, 'failed');
});

test('bad input: a memory limit below the smallest trial', async () => {
  const out = await runStudy(options({ memoryLimitBytes: 1.5e6, candidates: [8, 16] }), simulatedRunner());
  assert.equal(out.status, 'failed');
  assert.match(out.reason ?? '', /memory limit .* is below the peak memory of the smallest trial \(batch 8/);
  assert.equal(readStudy(out.studyFile as string).status, 'failed');
});

test('bad input: a config whose every trial crashes', async () => {
  const out = await runStudy(options(), simulatedRunner({ crashAll: 'shapes (32,10) and (784,) not aligned' }));
  assert.equal(out.status, 'failed');
  assert.match(out.reason ?? '', /every trial failed.*not aligned/s);
  const read = readStudy(out.studyFile as string);
  assert.equal(read.status, 'failed');
  assert.match(read.reason ?? '', /every trial failed/);
});

test('an AbortSignal stops the study: persisted as stopped, with what the data supports', async () => {
  const ac = new AbortController();
  let n = 0;
  const out = await runStudy(
    options(),
    simulatedRunner({
      onTrial: () => {
        if (++n === 4) ac.abort();
      },
    }),
    undefined,
    ac.signal,
  );
  assert.equal(out.status, 'stopped');
  assert.ok(out.recommendation, 'three profiled sizes are enough for a recommendation');
  assert.equal(readStudy(out.studyFile as string).status, 'stopped');
});

test('parallel > 1 on a local runner warns that timings are distorted', async () => {
  const events: StudyEvent[] = [];
  await runStudy(options({ parallel: 2, budgetSeconds: 20 }), simulatedRunner(), (e) => events.push(e));
  assert.ok(events.some((e) => e.type === 'warning' && /distorted/.test(e.message)));
});

test('trials run at a constant batch size even when the config has a batch_schedule', async () => {
  const runner = simulatedRunner();
  await runStudy(options({ budgetSeconds: 10, config: { ...config, batch_schedule: { kind: 'linear_ramp', from: 32, to: 256, over_samples: 1000 } } }), runner);
  assert.ok(runner.specs.length > 0 && runner.specs.every((s) => s.schedule?.kind === 'constant'));
});
