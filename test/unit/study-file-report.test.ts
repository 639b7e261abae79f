// A crafted study file whose every string field holds markup reaches the HTML report escaped:
// through readStudy (which accepts the strings: they are valid strings) and renderStudyReport.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { decodeStudyLine, readStudy } from '../../src/core/study';
import { renderStudyReport } from '../../src/core/report';
import { writtenStudy } from './helpers/studyFixture';

const PAYLOADS = [
  '<script>alert(1)</script>',
  '"onload="alert(1)',
  "'><img src=x onerror=alert(1)>",
  '</script><script>alert(2)</script>',
  '<!--<script>alert(3)//-->',
  '\u2028</title><svg onload=alert(4)>',
];

/** Every string leaf of `x`, replaced in turn by a payload wherever the line still validates. */
function poison(line: Record<string, unknown>, next: () => string): { line: Record<string, unknown>; planted: number } {
  let planted = 0;
  const visit = (o: Record<string, unknown> | unknown[]) => {
    for (const key of Object.keys(o)) {
      const v = (o as Record<string, unknown>)[key];
      if (typeof v === 'string' && key !== 'type' && key !== 'time') {
        const payload = next();
        (o as Record<string, unknown>)[key] = payload;
        // Enums (status, phase, basis, ...) must stay valid or the validator drops the whole line.
        if ('line' in decodeStudyLine(JSON.stringify(line))) planted++;
        else (o as Record<string, unknown>)[key] = v;
      } else if (v !== null && typeof v === 'object') visit(v as Record<string, unknown>);
    }
  };
  visit(line);
  return { line, planted };
}

/** The report with its three scripts (chart data, uPlot, the drawing code) taken out, and the chart data. */
function split(html: string): { markup: string; chartData: string; scripts: number } {
  const data = /<script type="application\/json" id="chart-data">([\s\S]*?)<\/script>/.exec(html);
  assert.ok(data, 'chart data present');
  const markup = html.replace(/<script\b[^>]*>[\s\S]*?<\/script>/g, '');
  return { markup, chartData: data[1], scripts: (html.match(/<script\b/g) ?? []).length };
}

test('every string field of a study holding <script>/"onload= payloads reaches the report escaped', async () => {
  const out = await writtenStudy();
  const file = out.studyFile;
  let i = 0;
  const next = () => PAYLOADS[i++ % PAYLOADS.length];
  let planted = 0;
  const lines = readFileSync(file, 'utf8')
    .trimEnd()
    .split('\n')
    .map((l) => {
      const p = poison(JSON.parse(l) as Record<string, unknown>, next);
      planted += p.planted;
      return JSON.stringify(p.line);
    });
  writeFileSync(file, lines.join('\n') + '\n');
  const r = readStudy(file);
  assert.equal(r.skippedLines, 0, 'the poisoned lines are valid study lines');
  assert.ok(planted >= 40, `payloads planted in ${planted} string fields`);
  assert.ok(r.start.configPath.includes('<') || r.start.configPath.includes('"'), 'the config path holds a payload');

  const html = renderStudyReport(r);
  const { markup, chartData, scripts } = split(html);
  assert.equal(scripts, 3, 'no script element but the three of the report itself');
  for (const p of PAYLOADS) assert.ok(!markup.includes(p), `unescaped payload in the markup: ${p}`);
  // Outside its own scripts the page has no element, event attribute or comment a payload opened
  // (as text, escaped, "onerror=" is harmless: no tag holds it).
  for (const bad of [/<script/i, /<img/i, /<svg/i, /<[^<>]*\son[a-z]+=/i, /<!--/]) assert.doesNotMatch(markup, bad);
  assert.ok(markup.includes('&lt;script&gt;alert(1)&lt;/script&gt;'), 'payloads are shown, escaped');
  // Inside the chart data no markup can end the element: every < is \u003c.
  assert.doesNotMatch(chartData, /</);
});
