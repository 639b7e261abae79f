// The HTML report from a study record: self-contained, escaped, with the charts' data.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readStudy, runStudy } from '../../src/core/study';
import { alignSeries, buildCharts, recommendationHeadline, renderStudyReport } from '../../src/core/report';
import type { Recommendation, TrainingConfig } from '../../src/core/types';
import { simulatedRunner } from './helpers/simulatedRunner';

const config: TrainingConfig = {
  model: { type: 'linear' },
  data: { source: 'synthetic', task: 'regression' },
  optimizer: { name: 'adam', learning_rate: 0.001 },
  batch_size: 32,
};

test('alignSeries merges series with different x values, null where a series has no point', () => {
  assert.deepEqual(
    alignSeries([
      [
        [1, 10],
        [3, 30],
      ],
      [
        [2, 20],
        [3, 31],
      ],
    ]),
    [
      [1, 2, 3],
      [10, null, 30],
      [null, 20, 31],
    ],
  );
});

test('the report shows the recommendation, evidence, charts and metadata, and needs no network', async () => {
  const out = await runStudy(
    {
      configPath: '/tmp/<script>alert(1)</script>.yaml',
      config,
      currentBatchSize: 32,
      currentLearningRate: 0.001,
      optimizer: 'adam',
      datasetSize: 8000,
      budgetSeconds: 30,
      startupSecondsGuess: 0.01,
      outDir: mkdtempSync(join(tmpdir(), 'bt-report-')),
    },
    simulatedRunner({ ceilingBytes: 40e6 }),
  );
  const record = readStudy(out.studyFile as string);
  const charts = buildCharts(record);
  const ids = charts.map((c) => c.id);
  for (const id of ['throughput', 'time-to-target', 'memory', 'noise', 'loss-samples', 'loss-time']) assert.ok(ids.includes(id), `chart ${id} in ${ids}`);
  const tp = charts.find((c) => c.id === 'throughput');
  assert.ok(tp);
  // The pick's marker series has exactly one point, at the recommended batch size.
  const pickCol = tp.data[tp.series.findIndex((s) => s.label.startsWith('pick ')) + 1];
  const marked = tp.data[0].filter((_x, i) => pickCol[i] !== null);
  assert.deepEqual(marked, [out.recommendation?.batchSize]);
  // The near-optimal band is shaded from its low to its high end.
  assert.deepEqual(tp.xBand && [tp.xBand.low, tp.xBand.high], [out.recommendation?.band.low, out.recommendation?.band.high]);

  const html = renderStudyReport(record);
  assert.ok(html.startsWith('<!DOCTYPE html>'));
  assert.ok(!html.includes('<script>alert(1)</script>'), 'config path is escaped');
  assert.ok(html.includes('&lt;script&gt;alert(1)&lt;/script&gt;'));
  assert.ok(!/<script[^>]+src=|<link[^>]+href=|@import/i.test(html), 'no external resources');
  assert.match(html, /uPlot/);
  assert.match(html, /◀ pick/);
  assert.match(html, /Largest that fits/);
  assert.match(html, new RegExp(`out of memory at ${out.recommendation?.evidence.oomCeiling} \\(measured\\)`));
  assert.ok(html.includes(recommendationHeadline(out.recommendation as Recommendation)), 'the shared headline');
  assert.match(html, /prefers-color-scheme: dark/);
  // The chart data parses back from the page.
  const json = /<script type="application\/json" id="chart-data">([\s\S]*?)<\/script>/.exec(html)?.[1];
  assert.ok(json);
  assert.equal((JSON.parse(json) as unknown[]).length, charts.length);
});

test('a failed study still renders, saying why', async () => {
  const out = await runStudy(
    {
      configPath: '/tmp/x.yaml',
      config,
      currentBatchSize: 32,
      currentLearningRate: 0.001,
      optimizer: 'adam',
      datasetSize: 8000,
      minBatchSize: 64,
      maxBatchSize: 8,
      outDir: mkdtempSync(join(tmpdir(), 'bt-report-')),
    },
    simulatedRunner(),
  );
  const html = renderStudyReport(readStudy(out.studyFile as string));
  assert.match(html, /No recommendation: min batch size 64 is larger than max batch size 8/);
  assert.match(html, /status-failed/);
});
