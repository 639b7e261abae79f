// Study files are untrusted (any workspace may hold one; views read them in Restricted Mode):
// 10,000 generated lines (a real study's lines mutated as text and as JSON, hostile values in
// every field) through the line validator and into a study record, with no exception and no
// line taking more than a few milliseconds; every accepted record renders (list, report, charts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { decodeStudyLine, parseStudyLines, type StudyRecord } from '../../src/core/study';
import { renderStudyReport } from '../../src/core/report';
import { buildCharts } from '../../src/core/report/chartData';
import { fuzz, mutate, PER_INPUT_BOUND_MS, rng, summary, type Rng } from './helpers/fuzz';
import { writtenStudy } from './helpers/studyFixture';

const COUNT = 10_000;
const SEED = 0x5d1e;
/** Every how many accepted lines one is also rendered as a whole report (a page of HTML each). */
const RENDER_EVERY = 25;

const HOSTILE: unknown[] = [
  null,
  -1,
  0,
  1e308,
  'NaN',
  '-Infinity',
  '',
  '<script>alert(1)</script>',
  '\u0000\ud800',
  'x'.repeat(100_000),
  [],
  {},
  [[[[[[[[]]]]]]]],
  { __proto__: { polluted: true } },
  JSON.parse('{"__proto__": {"polluted": true}}') as unknown,
  Array.from({ length: 5000 }, (_, i) => i),
];

/** Replaces one random node of a JSON value (or deletes a key, or adds one). */
function mutateJson(x: unknown, r: Rng): unknown {
  if (x === null || typeof x !== 'object') return r.pick(HOSTILE);
  const o = (Array.isArray(x) ? [...(x as unknown[])] : { ...(x as Record<string, unknown>) }) as Record<string, unknown>;
  const keys = Object.keys(o);
  if (keys.length === 0 || r.chance(0.1)) {
    o[r.pick(['extra', 'type', 'v', '__proto__', 'constructor', '0'])] = r.pick(HOSTILE);
    return o;
  }
  const k = r.pick(keys);
  if (r.chance(0.15)) delete o[k];
  else o[k] = r.chance(0.5) ? mutateJson(o[k], r) : r.pick(HOSTILE);
  return o;
}

function* lines(good: string[]): Generator<{ label: string; input: string }> {
  const r = rng(SEED);
  for (let i = 0; i < COUNT; i++) {
    const base = r.pick(good);
    const type = (JSON.parse(base) as { type: string }).type;
    const kind = r.int(10);
    if (kind < 5) yield { label: `#${i} ${type} json-mutated`, input: JSON.stringify(mutateJson(JSON.parse(base) as unknown, r)) };
    else if (kind < 8)
      yield { label: `#${i} ${type} text-mutated`, input: mutate(base, r, ['{', '}', '[', ']', '"', ':', ',', '\\', '"NaN"', 'null', '1e999']) };
    else if (kind === 8) yield { label: `#${i} deep`, input: '{"v":1,"type":"warning","time":"t","message":' + '['.repeat(10 + r.int(20_000)) };
    else yield { label: `#${i} ${type} as is`, input: base };
  }
}

test(`${COUNT} generated study lines: no exception, each within ${PER_INPUT_BOUND_MS} ms, every accepted line renders`, async (t) => {
  const out = await writtenStudy();
  const good = readFileSync(out.studyFile, 'utf8').trimEnd().split('\n');
  const start = good[0];
  let accepted = 0;
  const toRender: StudyRecord[] = [];
  const report = fuzz(lines(good), (line) => {
    const d = decodeStudyLine(line);
    if (!('line' in d)) return;
    // Into a record behind a valid start line, as readStudy builds it, then what the views show.
    const rec = parseStudyLines(d.line.type === 'study-start' ? [line] : [start, line], 'fuzz.study.jsonl');
    JSON.stringify(rec);
    buildCharts(rec);
    if (accepted++ % RENDER_EVERY === 0) toRender.push(rec);
  });
  // Whole reports (a page of HTML each, uPlot inlined): rendered apart from the per-line timing.
  const rendering = fuzz(
    toRender.map((rec, i) => ({ label: `report #${i}`, input: rec })),
    (rec) => void renderStudyReport(rec),
  );
  t.diagnostic(`${summary('study lines', report)}; ${accepted} accepted, ${COUNT - accepted} skipped`);
  t.diagnostic(summary('reports of accepted lines', rendering));
  assert.equal(report.inputs, COUNT);
  assert.deepEqual([...report.failures, ...rendering.failures].slice(0, 5), []);
  assert.ok(report.slowestMs < PER_INPUT_BOUND_MS, summary('study lines', report));
  assert.ok(accepted > COUNT / 10 && accepted < COUNT, `some lines pass, most mutated ones do not: ${accepted}`);
});

test('no accepted line carries a field of the wrong type into a record (prototype keys included)', async () => {
  const out = await writtenStudy();
  const good = readFileSync(out.studyFile, 'utf8').trimEnd().split('\n');
  const line = good.find((l) => l.includes('"type":"recommendation"')) as string;
  // JSON.parse makes "__proto__" an own key (an object literal would set the prototype instead).
  const poisoned = line.replace('"recommendation":{', '"recommendation":{"__proto__":{"batchSize":"x","polluted":1},"extra":"<b>",');
  assert.notEqual(poisoned, line);
  const d = decodeStudyLine(poisoned);
  assert.ok('line' in d && d.line.type === 'recommendation');
  const r = d.line.recommendation as unknown as Record<string, unknown>;
  assert.equal(Object.getPrototypeOf(r), Object.prototype);
  assert.ok(!('extra' in r), 'unknown keys are dropped');
  assert.equal(typeof r.batchSize, 'number');
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
});
