// A study file is untrusted: the report must escape every value it takes from one, in the context
// it lands in (text, attribute, the chart JSON inside <script>), and carry a strict CSP. Crafted
// studies go through the real path, readStudy -> renderStudyReport, and the page is checked as
// markup: only the tags and attributes the report writes, no payload intact, our scripts exactly.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { renderStudyReport } from '../../src/core/report';
import { escapeHtml, escaped, scriptJson } from '../../src/core/report/escape';
import { readStudy, runStudy } from '../../src/core/study';
import type { TrainingConfig } from '../../src/core/types';
import { writeStudyFile } from './helpers/handmadeStudy';
import { assertNoInjection, elements, PAYLOADS, poisonedStudyFile } from './helpers/reportPayloads';
import { simulatedRunner } from './helpers/simulatedRunner';

test('escapeHtml and the html tag escape text and attribute contexts; arrays join; markup nests', () => {
  assert.equal(escapeHtml('<a href="x" title=\'y\'>&`</a>'), '&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&#96;&lt;/a&gt;');
  const evil = '"><script>x</script>';
  assert.equal(
    escaped`<td class="${evil}">${[evil, escaped`<b>${evil}</b>`]}</td>`.markup,
    '<td class="&quot;&gt;&lt;script&gt;x&lt;/script&gt;">&quot;&gt;&lt;script&gt;x&lt;/script&gt;<b>&quot;&gt;&lt;script&gt;x&lt;/script&gt;</b></td>',
  );
  assert.equal(escaped`${undefined}${null}${false}${0}`.markup, '0');
});

test('scriptJson: no </script, no <!--, no raw U+2028/2029, and it parses back to the same value', () => {
  const v = { a: '</script><!--<script>', b: '\u2028\u2029', c: 'a & b > c' };
  const s = scriptJson(v);
  assert.ok(!/<|>|&|\u2028|\u2029/.test(s), s);
  assert.deepEqual(JSON.parse(s), v);
});

test('a study whose every string is a payload renders with every payload escaped, under a strict CSP', () => {
  const record = readStudy(poisonedStudyFile());
  assert.ok(record.recommendation, 'the crafted recommendation was read');
  const page = renderStudyReport(record);
  assertNoInjection(page);
  // Escaped, not dropped: the payloads are there as text.
  assert.ok(page.includes(escapeHtml(PAYLOADS[0])));
  assert.ok(page.includes(escapeHtml(PAYLOADS[1])));
  const json = elements(page, 'script')[0].text;
  assert.ok(
    PAYLOADS.some((p) => JSON.stringify(JSON.parse(json)).includes(JSON.stringify(p).slice(1, -1))),
    'payloads reach the chart JSON, escaped',
  );
});

test('a hand-written malicious JSONL (payloads in text, number and enum fields): bad lines skipped, the rest rendered escaped; a bad study-start refused', () => {
  const P = JSON.stringify(PAYLOADS[1]);
  const Q = JSON.stringify(PAYLOADS[5]);
  const lines = [
    // The study-start line is valid (payloads only where the schema takes free text): the file is read.
    `{"v":1,"type":"study-start","id":${P},"time":${Q},"configPath":"/x/<script>alert(1)</script>.yaml","configHash":${P},"currentBatchSize":32,"currentLearningRate":0.001,"optimizer":${P},"datasetSize":1000,"settings":{"budgetSeconds":60,"minBatchSize":8,"maxBatchSize":8,"lrRule":"sqrt","parallel":1,"seed":1}}`,
    // The rest carry payloads in number and enum fields too: skipped and counted, never rendered raw.
    `{"v":1,"type":"trial-end","time":${P},"trial":{"id":${P},"phase":${Q},"status":${P},"batchSize":${Q},"learningRate":${P},"seed":${Q},"wallSeconds":${P},"backend":${Q},"samplesPerSecond":${P},"error":{"kind":"crash","message":${P},"stderrTail":${Q}}},"series":{"steps":[{"step":1,"samples":${P},"time":1,"loss":${Q}}],"evals":[]}}`,
    `{"v":1,"type":"recommendation","time":${P},"recommendation":{"batchSize":${P},"learningRate":${Q},"speedupVsCurrent":${P},"speedupBasis":${Q},"current":{"batchSize":${Q},"learningRate":${P}},"band":{"low":${P},"high":${Q},"tolerance":${P},"sizes":[${P},${Q}],"basis":${P},"note":${Q}},"basis":{"throughput":${P},"noiseScale":${Q},"convergence":${P}},"undetermined":[${P}],"alternatives":{"largestThatFits":{"batchSize":${P},"learningRate":${Q},"reason":${P}}},"candidates":[{"batchSize":${P},"status":${Q},"fits":true,"samplesPerSecond":${P},"fittedSamplesPerSecond":${Q},"inBand":true,"diverged":${P}}],"evidence":{"lrRule":${P},"verdict":{"rule":${Q},"by":${P}},"notes":[${P},${Q}],"memoryFit":{"a":${P},"b":${Q}}},"plan":{"kind":"warmup","stages":[{"fromSamples":${P},"batchSize":${Q},"learningRate":${P}},{"fromSamples":5,"batchSize":${P},"learningRate":1}],"horizonSamples":${Q},"bestFixed":{"batchSize":${P}},"speedupVsBestFixed":${Q},"basis":${P},"description":${Q}},"criticalBatchSize":[{"samples":${P},"loss":${Q},"value":${P},"low":${Q},"high":${P},"tolerance":${Q},"method":${P},"branches":[{"batchSize":${P},"relativeLoss":${Q},"seeds":${P}}],"checkpointSource":${Q},"basis":${P}}],"parallelism":{"microBatchSize":${P},"accumulationSteps":${Q},"worldSize":${P},"globalBatchSize":${Q},"reason":${P}}}}`,
    `{"v":1,"type":"warning","time":${P},"message":${Q}}`,
    `{"v":1,"type":"study-end","time":${P},"status":${Q},"reason":${P},"elapsedSeconds":${Q}}`,
    '{"v":1,"type":"warning","message":"<b>half-written',
  ];
  const page = renderStudyReport(readStudy(writeStudyFile(lines.join('\n'))));
  assertNoInjection(page);
  assert.ok(page.includes('/x/&lt;script&gt;alert(1)&lt;/script&gt;.yaml'));
  // A study-start line with payloads in its numbers is no study: refused with the file named, nothing rendered.
  const bad = `{"v":1,"type":"study-start","id":"a","time":"t","configPath":"/x.yaml","currentBatchSize":${Q},"currentLearningRate":${P},"optimizer":"adam","datasetSize":${Q},"settings":{"budgetSeconds":${P},"minBatchSize":8,"maxBatchSize":8,"lrRule":${P},"parallel":1,"seed":1}}`;
  assert.throws(() => readStudy(writeStudyFile(bad)), /crafted\.study\.jsonl:1:1: not a Batch Tuner study/);
});

const config: TrainingConfig = {
  model: { type: 'linear' },
  data: { source: 'synthetic', task: 'regression' },
  optimizer: { name: 'adam', learning_rate: 0.001 },
  batch_size: 32,
};

test('a real study report opens offline: no http(s) URL, no remote resource, charts inlined', async () => {
  const out = await runStudy(
    {
      configPath: '/tmp/offline.yaml',
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
  const page = renderStudyReport(readStudy(out.studyFile as string));
  assert.doesNotMatch(page, /https?:\/\//i, 'no http(s) URL anywhere in the page');
  assert.doesNotMatch(page, /\s(src|href|srcset|action)=|@import|url\(/i, 'no resource references');
  assert.match(page, /var uPlot=/, 'uPlot inlined');
  assertNoInjection(page);
});
