// A real study: the real TensorFlow.js trainer (dist/trainer.js, `npm run build` first) on the
// real MNIST digits, within a small budget; it must recommend a batch size and render a report.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { totalmem } from 'node:os';
import { join } from 'node:path';
import { resolveStudy } from '../../src/core/resolve';
import { createTrainerRunner, defaultTrainerPath } from '../../src/core/runner/trainerProcess';
import { readStudy, runStudy, type StudyEvent } from '../../src/core/study';
import { renderStudyReport } from '../../src/core/report';
import { writeTempConfig } from './helpers/mnistConfig';

test('a real study on MNIST recommends a batch size within its budget and renders a report', { timeout: 90_000 }, async () => {
  assert.ok(existsSync(defaultTrainerPath()), 'dist/trainer.js is missing: run `npm run build` first');
  const { dir, file } = writeTempConfig();
  const run = { source: 'cli' as const, budgetSeconds: 28, minBatchSize: 16, maxBatchSize: 256, outDir: join(dir, 'studies') };
  const resolved = resolveStudy({ file, text: readFileSync(file, 'utf8'), run, machine: { totalMemoryBytes: totalmem() } });
  assert.ok(resolved.ok, resolved.ok ? '' : resolved.message);
  const options = resolved.options;
  const events: StudyEvent[] = [];
  const t0 = Date.now();
  const out = await runStudy(options, createTrainerRunner(), (e) => events.push(e));
  const seconds = (Date.now() - t0) / 1000;
  assert.equal(out.status, 'completed', out.reason);
  assert.ok(seconds < 28 * 1.25, `took ${seconds.toFixed(1)} s for a 28 s budget`);
  const rec = out.recommendation;
  assert.ok(rec, 'a recommendation');
  assert.ok(rec.batchSize >= 16 && rec.batchSize <= 256);
  assert.ok(rec.learningRate > 0);
  // A speed-up only when nothing it rests on is assumed; the basis says what it rests on.
  assert.equal(rec.speedupVsCurrent !== undefined, !Object.values(rec.basis).includes('assumed'));
  assert.ok(rec.speedupVsCurrent === undefined || (Number.isFinite(rec.speedupVsCurrent) && rec.speedupVsCurrent > 0));
  // Real measurements behind it: throughput and memory of the real trainer, a real noise scale.
  const ok = out.trials.filter((t) => t.phase === 'profile' && t.status === 'ok');
  assert.ok(ok.length >= 3, `profiled ${ok.length} batch sizes`);
  assert.ok(ok.every((t) => (t.samplesPerSecond ?? 0) > 10 && (t.peakMemoryBytes ?? 0) > 1e5));
  assert.ok(
    rec.noiseScale && rec.noiseScale.value > 0 && rec.noiseScale.low <= rec.noiseScale.value && rec.noiseScale.value <= rec.noiseScale.high,
    JSON.stringify(rec.noiseScale),
  );
  assert.ok(
    out.trials.some((t) => t.phase === 'convergence' && t.finalValLoss !== undefined),
    'convergence trials ran',
  );
  assert.ok(events.some((e) => e.type === 'step') && events.some((e) => e.type === 'eval'));
  // The file holds the same study; the report is self-contained (uPlot inlined, no URLs to fetch).
  const read = readStudy(out.studyFile as string);
  assert.equal(read.recommendation?.batchSize, rec.batchSize);
  const html = renderStudyReport(read);
  assert.match(html, /batch size \d+/);
  assert.match(html, /uPlot/);
  assert.ok(!/<script[^>]+src=|<link[^>]+href=/i.test(html), 'no external resources');
  assert.match(html, /"id":"time-to-target"/);
  assert.match(html, /prefers-color-scheme: dark/);
});
