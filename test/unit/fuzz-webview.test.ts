// Webview messages are untrusted (a compromised or buggy webview posts anything structured clone
// carries: cycles, any depth, Maps, typed arrays): 10,000 generated messages through
// validatePanelMessage, with no exception, no message taking more than a few milliseconds, and
// every accepted message rebuilt as plain, valid data with only its type's fields.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { validatePanelMessage } from '../../src/core/webviewProtocol';
import { fuzz, PER_INPUT_BOUND_MS, rng, summary, type Rng } from './helpers/fuzz';

const COUNT = 10_000;
const SEED = 0x7eb;

const settings = { batchSize: 64, minBatchSize: 8, maxBatchSize: 512, memoryLimitBytes: 4e9, budgetSeconds: 120, lrRule: 'sqrt' };
const VALID: Array<Record<string, unknown>> = [
  { v: 1, type: 'ready' },
  { v: 1, type: 'stop' },
  { v: 1, type: 'openConfig' },
  { v: 1, type: 'exportReport' },
  { v: 1, type: 'openPanel' },
  { v: 1, type: 'tuneActiveConfig' },
  { v: 1, type: 'start', settings },
  { v: 1, type: 'settingsChanged', settings: { ...settings, schedule: { kind: 'linear_ramp', from: 32, to: 256, over_samples: 10000 } } },
  { v: 1, type: 'trainOnce', batchSize: 128, steps: 200, schedule: { kind: 'step', every_steps: 100, factor: 2 } },
  { v: 1, type: 'apply', batchSize: 256, learningRate: 0.002, schedule: { kind: 'adaptive', every_steps: 25, allowed: [32, 64, 128] } },
  { v: 1, type: 'drawn', sentAt: 1, drawnAt: 2 },
];
const KNOWN_KEYS = new Set(['v', 'type', 'settings', 'batchSize', 'steps', 'learningRate', 'schedule', 'sentAt', 'drawnAt']);

/** Values structured clone can carry, hostile ones included. */
function anyValue(r: Rng, depth = 0): unknown {
  switch (r.int(16)) {
    case 0:
      return r.int(1 << 30) - (1 << 29);
    case 1:
      return r.pick([NaN, Infinity, -Infinity, -0, 2 ** 24 + 1, 1e-300, 0.5]);
    case 2:
      return r.pick(['', 'sqrt', 'linear', '__proto__', 'constructor', 'x'.repeat(70_000), '\ud800']);
    case 3:
      return r.pick([null, undefined, true, false]);
    case 4:
      return r.pick([10n, Symbol('s'), () => 1]);
    case 5:
      return r.pick([new Date(), new Map([[1, 2]]), new Set([1]), new Uint8Array(4), /x/, new Error('e')]);
    case 6: {
      const cyclic: Record<string, unknown> = { kind: 'step' };
      cyclic.self = cyclic;
      return cyclic;
    }
    case 7:
      return JSON.parse('['.repeat(200) + ']'.repeat(200)) as unknown;
    case 8:
      return Object.assign(Object.create(null) as object, { kind: 'constant' });
    case 9:
      return Array.from({ length: r.int(20_000) }, (_, i) => i);
    case 10:
      return depth < 3
        ? { kind: r.pick(['constant', 'step', 'linear_ramp', 'adaptive', 'x']), every_steps: anyValue(r, depth + 1), allowed: anyValue(r, depth + 1) }
        : 1;
    case 11:
      return depth < 3 ? { ...settings, [r.pick(Object.keys(settings))]: anyValue(r, depth + 1) } : 2;
    default:
      return r.int(1000);
  }
}

function message(r: Rng): unknown {
  if (r.chance(0.05)) return anyValue(r);
  const m: Record<string, unknown> = { ...r.pick(VALID) };
  for (let k = r.int(4); k > 0; k--) {
    const key = r.pick([...Object.keys(m), 'v', 'type', 'settings', 'schedule', 'batchSize', 'extra', '__proto__']);
    if (r.chance(0.1)) delete m[key];
    else if (key === 'settings' && r.chance(0.5)) m.settings = { ...settings, [r.pick(Object.keys(settings))]: anyValue(r) };
    else Object.defineProperty(m, key, { value: anyValue(r), enumerable: true, writable: true, configurable: true });
  }
  return m;
}

/** Plain JSON data: what a handler may rely on. */
function isPlain(x: unknown): boolean {
  return JSON.stringify(x) !== undefined && JSON.stringify(JSON.parse(JSON.stringify(x))) === JSON.stringify(x);
}

test(`${COUNT} generated webview messages: no exception, each within ${PER_INPUT_BOUND_MS} ms, accepted ones rebuilt as plain valid data`, (t) => {
  const r = rng(SEED);
  let accepted = 0;
  const report = fuzz(
    (function* () {
      for (let i = 0; i < COUNT; i++) yield { label: `#${i}`, input: message(r) };
    })(),
    (msg) => {
      const v = validatePanelMessage(msg);
      if (!v.ok) {
        assert.equal(typeof v.error, 'string');
        assert.ok(v.error.length < 400, 'errors are short');
        return;
      }
      accepted++;
      assert.notEqual(v.value, msg, 'a new object, not the posted one');
      assert.ok(isPlain(v.value), `plain data: ${JSON.stringify(v.value)}`);
      for (const k of Object.keys(v.value)) assert.ok(KNOWN_KEYS.has(k), `unknown key ${k} kept`);
      assert.equal(Object.getPrototypeOf(v.value), Object.prototype);
      const again = validatePanelMessage(JSON.parse(JSON.stringify(v.value)));
      assert.ok(again.ok, 'what it accepted, it accepts again');
    },
  );
  t.diagnostic(`${summary('webview messages', report)}; ${accepted} accepted`);
  assert.equal(report.inputs, COUNT);
  assert.deepEqual(report.failures.slice(0, 5), []);
  assert.ok(report.slowestMs < PER_INPUT_BOUND_MS, summary('webview', report));
  assert.ok(accepted > 1000, `valid messages pass: ${accepted}`);
});

test('a cyclic, a too-deep and a huge message are refused with why, before anything reads them', () => {
  const cyclic: Record<string, unknown> = { v: 1, type: 'apply', batchSize: 8 };
  cyclic.schedule = cyclic;
  for (const msg of [
    cyclic,
    { v: 1, type: 'stop', x: JSON.parse('['.repeat(100) + ']'.repeat(100)) as unknown },
    { v: 1, type: 'stop', x: new Array(20_000).fill(0) },
  ]) {
    const v = validatePanelMessage(msg);
    assert.ok(!v.ok && /message is not plain data/.test(v.error), JSON.stringify(v));
  }
  const nullProto = Object.assign(Object.create(null) as object, { v: 1, type: 'stop' });
  assert.ok(validatePanelMessage(nullProto).ok, 'structured clone may give objects without a prototype');
});
