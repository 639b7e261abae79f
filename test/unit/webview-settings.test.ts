import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { PanelInit } from '../../src/core/webviewProtocol';
import { validatePanelMessage } from '../../src/core/webviewProtocol';
import { describeSchedule, parseSchedule, scheduleFieldValues } from '../../webview/panel/scheduleSpec';
import { initialSettings, normalizeSettings, withRange } from '../../webview/panel/state';

const init: PanelInit = {
  configPath: '/w/a.yaml',
  datasetSize: 8000,
  totalMemoryBytes: 16 * 1024 ** 3,
  settings: { batchSize: 32, minBatchSize: 8, maxBatchSize: 1024, memoryLimitBytes: 4 * 1024 ** 3, budgetSeconds: 120, lrRule: 'sqrt' },
  trusted: true,
  running: false,
  trials: [],
};

test('parseSchedule builds each kind and the host validator accepts it', () => {
  const cases = [
    parseSchedule('constant', {}),
    parseSchedule('step', { every_steps: '200', factor: '2', max_batch_size: '512' }),
    parseSchedule('step', { at_steps: '100, 300,600' }),
    parseSchedule('linear_ramp', { from: '64', to: '512', over_samples: '30000' }),
    parseSchedule('adaptive', { every_steps: '50', min_batch_size: '32', max_batch_size: '1024', allow_shrink: true }),
  ];
  for (const c of cases) {
    assert.deepEqual(c.errors, {});
    const v = validatePanelMessage({ v: 1, type: 'trainOnce', batchSize: 32, schedule: c.schedule });
    assert.ok(v.ok, JSON.stringify(c.schedule));
  }
  assert.deepEqual(cases[2].schedule, { kind: 'step', at_steps: [100, 300, 600] });
  assert.deepEqual(cases[3].schedule, { kind: 'linear_ramp', from: 64, to: 512, over_samples: 30000 });
  assert.deepEqual(cases[4].schedule, { kind: 'adaptive', every_steps: 50, min_batch_size: 32, max_batch_size: 1024, allow_shrink: true });
});

test('parseSchedule reports each invalid field and gives no schedule', () => {
  const missing = parseSchedule('linear_ramp', { from: '64' });
  assert.equal(missing.schedule, undefined);
  assert.ok(missing.errors.to && missing.errors.over_samples);
  assert.match(missing.errors.to, /^to is required/);
  assert.match(parseSchedule('linear_ramp', { from: '512', to: '64', over_samples: '10' }).errors.from, /from \(512\) must not be larger than to \(64\)/);
  assert.match(parseSchedule('step', { every_steps: '10', factor: '1' }).errors.factor, /factor must be a number > 1 \(got 1\)/);
  assert.match(parseSchedule('step', { every_steps: '2.5' }).errors.every_steps, /every_steps must be an integer >= 1 \(got 2.5\)/);
  assert.match(parseSchedule('step', { at_steps: '10, x' }).errors.at_steps, /At steps: numbers separated by commas/);
  assert.match(parseSchedule('step', { at_steps: '300, 200' }).errors.at_steps, /strictly increasing/);
  assert.match(parseSchedule('step', { every_steps: 'often' }).errors.every_steps, /Every N steps must be a number/);
  assert.ok(parseSchedule('adaptive', { min_batch_size: '128', max_batch_size: '64' }).errors.min_batch_size);
});

test("parseSchedule: a problem of the whole schedule shows under the kind's first field", () => {
  const none = parseSchedule('step', { factor: '3' });
  assert.equal(none.schedule, undefined, 'a step schedule with no trigger is not handed to the host');
  assert.match(none.errors.every_steps, /a step schedule needs one of at_steps, at_epochs or every_steps/);
  assert.match(parseSchedule('step', { every_steps: '10', at_steps: '5' }).errors.every_steps, /give only one of at_steps, at_epochs, every_steps/);
});

test('scheduleFieldValues inverts parseSchedule', () => {
  const spec = { kind: 'adaptive' as const, every_steps: 50, allowed: [32, 64, 128], allow_shrink: true };
  const { kind, values } = scheduleFieldValues(spec);
  assert.equal(kind, 'adaptive');
  assert.deepEqual(parseSchedule(kind, values).schedule, spec);
  assert.equal(scheduleFieldValues(undefined).kind, 'constant');
});

test('describeSchedule reads as a sentence fragment', () => {
  assert.equal(describeSchedule(undefined), 'constant batch size');
  assert.equal(describeSchedule({ kind: 'step', every_steps: 200, factor: 2, max_batch_size: 512 }), '×2 every 200 steps up to 512');
  assert.equal(describeSchedule({ kind: 'linear_ramp', from: 64, to: 512, over_samples: 30000 }), 'ramp 64 → 512 over 30000 samples');
});

test('normalizeSettings clamps to the dataset and the machine and keeps min <= max', () => {
  const s = normalizeSettings(
    { batchSize: 100000, minBatchSize: 0, maxBatchSize: 99999, memoryLimitBytes: 1e15, budgetSeconds: 1e9, lrRule: 'bogus' as never },
    init,
  );
  assert.equal(s.batchSize, 8000);
  assert.equal(s.minBatchSize, 1);
  assert.equal(s.maxBatchSize, 8000);
  assert.equal(s.memoryLimitBytes, init.totalMemoryBytes);
  assert.equal(s.budgetSeconds, 86400);
  assert.equal(s.lrRule, 'sqrt');
  const v = validatePanelMessage({ v: 1, type: 'settingsChanged', settings: s });
  assert.ok(v.ok, v.ok ? '' : v.error);
});

test('initialSettings prefers saved settings only for the same config', () => {
  const saved = { configPath: '/w/a.yaml', settings: { ...init.settings, batchSize: 256 } };
  assert.equal(initialSettings(init, saved).batchSize, 256);
  assert.equal(initialSettings({ ...init, configPath: '/w/b.yaml' }, saved).batchSize, 32);
  assert.equal(initialSettings(init, undefined).batchSize, 32);
});

test('withRange: the other end follows when pushed past', () => {
  const s = init.settings;
  assert.deepEqual([withRange(s, 'min', 2048).minBatchSize, withRange(s, 'min', 2048).maxBatchSize], [2048, 2048]);
  assert.deepEqual([withRange(s, 'max', 4).minBatchSize, withRange(s, 'max', 4).maxBatchSize], [4, 4]);
  assert.deepEqual([withRange(s, 'max', 64).minBatchSize, withRange(s, 'max', 64).maxBatchSize], [8, 64]);
});

test('sidebar quick actions are valid webview messages', () => {
  assert.ok(validatePanelMessage({ v: 1, type: 'openPanel' }).ok);
  assert.ok(validatePanelMessage({ v: 1, type: 'tuneActiveConfig' }).ok);
});
