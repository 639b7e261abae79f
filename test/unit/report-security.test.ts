// A study file is untrusted: the report must escape every value it takes from one, in the context
// it lands in (text, attribute, the chart JSON inside <script>), and carry a strict CSP. Crafted
// studies go through the real path, readStudy -> renderStudyReport, and the page is checked as
// markup: only the tags and attributes the report writes, no payload intact, our scripts exactly.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { renderStudyReport } from '../../src/core/report';
import { escapeHtml, html, scriptJson } from '../../src/core/report/escape';
import { readStudy, runStudy } from '../../src/core/study';
import type { StudyLine } from '../../src/core/study/types';
import type { TrainingConfig } from '../../src/core/types';
import { plannedRecommendation, recordOf, studyLines, writeStudyFile } from './helpers/handmadeStudy';
import { simulatedRunner } from './helpers/simulatedRunner';

export const PAYLOADS = [
  '<script>window.__pwned=1</script>',
  '"><img src=x onerror="document.title=\'PWNED\'">',
  "' onload='window.__pwned=3' x='",
  '</style><script>window.__pwned=4</script>',
  'javascript:window.__pwned=5',
  '</script><!--<script>window.__pwned=6//',
  '\u2028\u2029</title><svg onload=window.__pwned=7>',
  '<iframe src="https://evil.example/x"></iframe>',
  '`${window.__pwned=9}`',
  '__proto__',
  'constructor',
  '</textarea><a href="javascript:alert(10)">x</a>',
];

/** Every string in a value replaced by a payload, in turn (the line's `type` kept so it still parses). */
function poison(x: unknown, next: () => string, key = ''): unknown {
  if (typeof x === 'string') return key === 'type' ? x : next();
  if (Array.isArray(x)) return x.map((v) => poison(v, next));
  if (x !== null && typeof x === 'object') return Object.fromEntries(Object.entries(x).map(([k, v]) => [k, poison(v, next, k)]));
  return x;
}

/** A study with every kind of string the report shows, each of them a payload, written as JSONL. */
export function poisonedStudyFile(): string {
  const rec = plannedRecommendation();
  rec.schedule = { description: 'start at 64, reach 256', schedule: { kind: 'constant' }, speedupVsBestFixed: 1.2 };
  rec.band.note = 'extended to 128';
  rec.evidence.memoryCheck = { batchSize: 256, predictedPeakBytes: 40e6, status: 'ok', measuredPeakBytes: 41e6, relativeError: 0.02 };
  rec.evidence.noiseScaleCrossCheck = { value: 120, low: 90, high: 160, source: 'loss-curves' };
  rec.undetermined = ['a throughput model'];
  const r = recordOf(rec, { warnings: ['a warning'], reason: 'a reason', status: 'stopped' });
  r.start.configHash = 'abc';
  r.plan = { summary: 'profile ~40%' } as never;
  r.trials[0] = { ...r.trials[0], status: 'crashed', backend: 'wasm', error: { kind: 'crash', message: 'exit 1', stderrTail: 'Traceback' } };
  let i = 0;
  const next = () => PAYLOADS[i++ % PAYLOADS.length];
  const lines = studyLines(r).map((l) => poison(l, next) as StudyLine);
  return writeStudyFile(lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
}

/** Tags and attributes the report writes; anything else in its markup came from a study. */
const TAGS = new Set(['html', 'head', 'meta', 'title', 'style', 'body', 'h1', 'h2', 'h3', 'div', 'span', 'p', 'ul', 'li', 'table', 'thead', 'tbody', 'tr', 'th', 'td', 'strong', 'figure', 'details', 'summary', 'pre', 'script']);
const ATTRS = new Set(['lang', 'charset', 'http-equiv', 'content', 'name', 'class', 'id', 'type', 'data-testid', 'data-chart']);

function sha256(text: string): string {
  return `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;
}

/** The page's script and style elements, with their texts. */
function elements(page: string, tag: 'script' | 'style'): Array<{ open: string; text: string }> {
  return [...page.matchAll(new RegExp(`(<${tag}[^>]*>)([\\s\\S]*?)</${tag}>`, 'g'))].map((m) => ({ open: m[1], text: m[2] }));
}

/** Asserts the page is only the report's own markup: every payload escaped, scripts and styles ours and hashed. */
export function assertNoInjection(page: string): void {
  const scripts = elements(page, 'script');
  const styles = elements(page, 'style');
  assert.equal(scripts.length, 3, 'the chart data and two scripts of ours, no more');
  assert.equal(scripts[0].open, '<script type="application/json" id="chart-data">');
  assert.ok(!/[<\u2028\u2029]/.test(scripts[0].text), 'the chart JSON holds no <, U+2028 or U+2029');
  JSON.parse(scripts[0].text);
  assert.equal(styles.length, 2);
  // The CSP admits exactly our inline scripts and styles, and nothing remote.
  const csp = /<meta http-equiv="Content-Security-Policy" content="([^"]*)">/.exec(page)?.[1]?.replace(/&#39;/g, "'");
  assert.ok(csp, 'a CSP meta element');
  const directives = new Map(csp.split(';').map((d) => d.trim().split(/\s+/)).map(([k, ...v]) => [k, v]));
  assert.deepEqual(directives.get('default-src'), ["'none'"]);
  assert.deepEqual(directives.get('script-src'), scripts.slice(1).map((s) => sha256(s.text)));
  assert.deepEqual(directives.get('style-src'), styles.map((s) => sha256(s.text)));
  assert.ok(!/unsafe-|https?:|\*/.test(csp), csp);
  // The rest is markup the report wrote: known tags, known attributes, every < starts one of them.
  let markup = page.replace(/^<!DOCTYPE html>/, '');
  for (const el of [...scripts, ...styles]) markup = markup.replace(el.text, '');
  const tags = [...markup.matchAll(/<\/?([a-z0-9]+)((?:\s+[a-z-]+="[^"<>]*")*)\s*>/g)];
  assert.equal(tags.length, (markup.match(/</g) ?? []).length, 'every < in the markup opens a well-formed tag');
  for (const [, name, attrs] of tags) {
    assert.ok(TAGS.has(name), `tag <${name}>`);
    for (const [, attr] of attrs.matchAll(/\s([a-z-]+)="/g)) assert.ok(ATTRS.has(attr), `attribute ${attr} on <${name}>`);
  }
  for (const p of PAYLOADS) if (/[<>"'`]/.test(p)) assert.ok(!markup.includes(p), `payload intact: ${p}`);
}

test('escapeHtml and the html tag escape text and attribute contexts; arrays join; markup nests', () => {
  assert.equal(escapeHtml('<a href="x" title=\'y\'>&`</a>'), '&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&#96;&lt;/a&gt;');
  const evil = '"><script>x</script>';
  assert.equal(html`<td class="${evil}">${[evil, html`<b>${evil}</b>`]}</td>`.markup, '<td class="&quot;&gt;&lt;script&gt;x&lt;/script&gt;">&quot;&gt;&lt;script&gt;x&lt;/script&gt;<b>&quot;&gt;&lt;script&gt;x&lt;/script&gt;</b></td>');
  assert.equal(html`${undefined}${null}${false}${0}`.markup, '0');
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
  assert.ok(PAYLOADS.some((p) => JSON.stringify(JSON.parse(json)).includes(JSON.stringify(p).slice(1, -1))), 'payloads reach the chart JSON, escaped');
});

test('a hand-written malicious JSONL (payloads in text, number and enum fields) renders escaped', () => {
  const P = JSON.stringify(PAYLOADS[1]);
  const Q = JSON.stringify(PAYLOADS[5]);
  const lines = [
    `{"v":1,"type":"study-start","id":${P},"time":${Q},"configPath":"/x/<script>alert(1)</script>.yaml","configHash":${P},"currentBatchSize":${Q},"currentLearningRate":${P},"optimizer":${P},"datasetSize":${Q},"settings":{"budgetSeconds":${P},"minBatchSize":${Q},"maxBatchSize":8,"lrRule":${P},"parallel":${Q},"seed":${P}}}`,
    `{"v":1,"type":"trial-end","time":${P},"trial":{"id":${P},"phase":${Q},"status":${P},"batchSize":${Q},"learningRate":${P},"seed":${Q},"wallSeconds":${P},"backend":${Q},"samplesPerSecond":${P},"error":{"kind":"crash","message":${P},"stderrTail":${Q}}},"series":{"steps":[{"step":1,"samples":${P},"time":1,"loss":${Q}}],"evals":[]}}`,
    `{"v":1,"type":"recommendation","time":${P},"recommendation":{"batchSize":${P},"learningRate":${Q},"speedupVsCurrent":${P},"speedupBasis":${Q},"current":{"batchSize":${Q},"learningRate":${P}},"band":{"low":${P},"high":${Q},"tolerance":${P},"sizes":[${P},${Q}],"basis":${P},"note":${Q}},"basis":{"throughput":${P},"noiseScale":${Q},"convergence":${P}},"undetermined":[${P}],"alternatives":{"largestThatFits":{"batchSize":${P},"learningRate":${Q},"reason":${P}}},"candidates":[{"batchSize":${P},"status":${Q},"fits":true,"samplesPerSecond":${P},"fittedSamplesPerSecond":${Q},"inBand":true,"diverged":${P}}],"evidence":{"lrRule":${P},"verdict":{"rule":${Q},"by":${P}},"notes":[${P},${Q}],"memoryFit":{"a":${P},"b":${Q}}},"plan":{"kind":"warmup","stages":[{"fromSamples":${P},"batchSize":${Q},"learningRate":${P}},{"fromSamples":5,"batchSize":${P},"learningRate":1}],"horizonSamples":${Q},"bestFixed":{"batchSize":${P}},"speedupVsBestFixed":${Q},"basis":${P},"description":${Q}},"criticalBatchSize":[{"samples":${P},"loss":${Q},"value":${P},"low":${Q},"high":${P},"tolerance":${Q},"method":${P},"branches":[{"batchSize":${P},"relativeLoss":${Q},"seeds":${P}}],"checkpointSource":${Q},"basis":${P}}],"parallelism":{"microBatchSize":${P},"accumulationSteps":${Q},"worldSize":${P},"globalBatchSize":${Q},"reason":${P}}}}`,
    `{"v":1,"type":"warning","time":${P},"message":${Q}}`,
    `{"v":1,"type":"study-end","time":${P},"status":${Q},"reason":${P},"elapsedSeconds":${Q}}`,
    '{"v":1,"type":"warning","message":"<b>half-written',
  ];
  const page = renderStudyReport(readStudy(writeStudyFile(lines.join('\n'))));
  assertNoInjection(page);
  assert.ok(page.includes('/x/&lt;script&gt;alert(1)&lt;/script&gt;.yaml'));
});

const config: TrainingConfig = { model: { type: 'linear' }, data: { source: 'synthetic', task: 'regression' }, optimizer: { name: 'adam', learning_rate: 0.001 }, batch_size: 32 };

test('a real study report opens offline: no http(s) URL, no remote resource, charts inlined', async () => {
  const out = await runStudy(
    { configPath: '/tmp/offline.yaml', config, currentBatchSize: 32, currentLearningRate: 0.001, optimizer: 'adam', datasetSize: 8000, budgetSeconds: 30, startupSecondsGuess: 0.01, outDir: mkdtempSync(join(tmpdir(), 'bt-report-')) },
    simulatedRunner({ ceilingBytes: 40e6 }),
  );
  const page = renderStudyReport(readStudy(out.studyFile as string));
  assert.doesNotMatch(page, /https?:\/\//i, 'no http(s) URL anywhere in the page');
  assert.doesNotMatch(page, /\s(src|href|srcset|action)=|@import|url\(/i, 'no resource references');
  assert.match(page, /var uPlot=/, 'uPlot inlined');
  assertNoInjection(page);
});
