// Crafted study files for the report's security tests: every string a payload, and a check that a
// rendered page is only the report's own markup (known tags and attributes, scripts and styles
// admitted by the CSP's hashes, no payload intact).
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import type { StudyLine } from '../../../src/core/study/types';
import { STUDY_LINE_DECODERS } from '../../../src/core/study/studyLines';
import { plannedRecommendation, recordOf, studyLines, writeStudyFile } from './handmadeStudy';

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

/** Paths (as key lists) to every string leaf of a value. */
function stringPaths(x: unknown, at: (string | number)[] = []): (string | number)[][] {
  if (typeof x === 'string') return [at];
  if (Array.isArray(x)) return x.flatMap((v, i) => stringPaths(v, [...at, i]));
  if (x !== null && typeof x === 'object') return Object.entries(x).flatMap(([k, v]) => stringPaths(v, [...at, k]));
  return [];
}

function setAt(x: unknown, path: (string | number)[], value: string): void {
  const parent = path.slice(0, -1).reduce<unknown>((o, k) => (o as Record<string | number, unknown>)[k], x);
  (parent as Record<string | number, unknown>)[path[path.length - 1]] = value;
}

/**
 * Every free-text string of a study line replaced by a payload, in turn: each string the study
 * file's own schema (STUDY_LINE_DECODERS) still admits with a payload in it. Enumerations (a
 * status, an lr rule) must hold one of their values, so a payload there makes the reader skip the
 * line: the other test below writes such lines by hand.
 */
function poison(line: StudyLine, next: () => string): StudyLine {
  const out = structuredClone(line);
  const decode = STUDY_LINE_DECODERS[line.type] as (x: unknown, path: string) => unknown;
  for (const path of stringPaths(out)) {
    const payload = next();
    const trial = structuredClone(out);
    setAt(trial, path, payload);
    try {
      decode(trial, line.type);
      setAt(out, path, payload);
    } catch {
      // an enumeration: keep its value
    }
  }
  return out;
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
  const lines = studyLines(r).map((l) => poison(l, next));
  return writeStudyFile(lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
}

/** Tags and attributes the report writes; anything else in its markup came from a study. */
const TAGS = new Set([
  'html',
  'head',
  'meta',
  'title',
  'style',
  'body',
  'h1',
  'h2',
  'h3',
  'div',
  'span',
  'p',
  'ul',
  'li',
  'table',
  'thead',
  'tbody',
  'tr',
  'th',
  'td',
  'strong',
  'figure',
  'details',
  'summary',
  'pre',
  'script',
]);
const ATTRS = new Set(['lang', 'charset', 'http-equiv', 'content', 'name', 'class', 'id', 'type', 'data-testid', 'data-chart']);

function sha256(text: string): string {
  return `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;
}

/** The page's script and style elements, with their texts. */
export function elements(page: string, tag: 'script' | 'style'): Array<{ open: string; text: string }> {
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
  const directives = new Map(
    csp
      .split(';')
      .map((d) => d.trim().split(/\s+/))
      .map(([k, ...v]) => [k, v]),
  );
  assert.deepEqual(directives.get('default-src'), ["'none'"]);
  assert.deepEqual(
    directives.get('script-src'),
    scripts.slice(1).map((s) => sha256(s.text)),
  );
  assert.deepEqual(
    directives.get('style-src'),
    styles.map((s) => sha256(s.text)),
  );
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

/** What a reader sees: the page without its scripts, styles and tags, entities decoded. */
export function visibleText(html: string): string {
  return html
    .replace(/<script[\s\S]*?<\/script>/g, ' ')
    .replace(/<style[\s\S]*?<\/style>/g, ' ')
    .replace(/<title>[\s\S]*?<\/title>/g, ' ')
    .replace(/<[^>]+>/g, '')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&#96;/g, '`')
    .replace(/&amp;/g, '&')
    .replace(/[ \t]+/g, ' ');
}
