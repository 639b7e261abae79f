// validateSchedule: bad parameters give messages that say what is wrong, where, and what to do.
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { scheduleProblemMessage, validateSchedule } from '../../src/core/schedule/validate';

const paths = (x: unknown) => validateSchedule(x).map((p) => p.path.join('.'));
const messages = (x: unknown) =>
  validateSchedule(x)
    .map((p) => p.message)
    .join('\n');

test('valid schedules have no problems', () => {
  for (const s of [
    { kind: 'constant' },
    { kind: 'step', at_steps: [100, 200], factor: 2, max_batch_size: 512 },
    { kind: 'step', at_epochs: [1, 3] },
    { kind: 'step', every_steps: 50 },
    { kind: 'linear_ramp', from: 32, to: 512, over_samples: 100000 },
    { kind: 'adaptive', every_steps: 25, min_batch_size: 16, max_batch_size: 512 },
    { kind: 'adaptive', allowed: [32, 96, 256], allow_shrink: true, smoothing: 0.8 },
  ])
    assert.deepEqual(validateSchedule(s), [], JSON.stringify(s));
});

test('unknown kind and non-objects', () => {
  assert.deepEqual(paths({ kind: 'cosine' }), ['kind']);
  assert.match(messages({ kind: 'cosine' }), /kind must be one of constant, step, linear_ramp, adaptive \(got "cosine"\)/);
  assert.match(messages(42), /batch_schedule must be a mapping/);
  assert.deepEqual(paths({ kind: 'constant', factor: 2 }), ['factor']);
});

test('negative and non-integer sizes', () => {
  assert.deepEqual(paths({ kind: 'adaptive', min_batch_size: -8, max_batch_size: 12.5 }), ['min_batch_size', 'max_batch_size']);
  assert.match(messages({ kind: 'adaptive', min_batch_size: -8 }), /min_batch_size must be an integer >= 1 \(got -8\)/);
  assert.deepEqual(paths({ kind: 'linear_ramp', from: 0, to: 64, over_samples: 1000 }), ['from']);
});

test('from > to, min > max, missing fields', () => {
  assert.match(messages({ kind: 'linear_ramp', from: 512, to: 64, over_samples: 1000 }), /from \(512\) must not be larger than to \(64\)/);
  assert.deepEqual(paths({ kind: 'adaptive', min_batch_size: 256, max_batch_size: 64 }), ['min_batch_size']);
  assert.deepEqual(paths({ kind: 'linear_ramp', from: 8 }), ['to', 'over_samples']);
  assert.match(messages({ kind: 'step' }), /needs one of at_steps, at_epochs or every_steps/);
  assert.deepEqual(paths({ kind: 'step', at_steps: [10], every_steps: 5 }), ['every_steps']);
});

test('at_steps not increasing points at the offending element', () => {
  const p = validateSchedule({ kind: 'step', at_steps: [100, 300, 200] });
  assert.deepEqual(
    p.map((x) => x.path),
    [['at_steps', '2']],
  );
  assert.match(p[0].message, /strictly increasing: at_steps\[2\] = 200 comes after 300/);
  assert.deepEqual(paths({ kind: 'step', at_epochs: [0] }), ['at_epochs.0']);
  assert.deepEqual(paths({ kind: 'step', every_steps: 10, factor: 1 }), ['factor']);
  assert.deepEqual(paths({ kind: 'adaptive', allowed: [1024], max_batch_size: 512 }), ['allowed']);
});

test('through parseTrainingConfig the problems land on file:line:col of the YAML', async () => {
  const { parseTrainingConfig } = await import('../../src/core/config/parse');
  const head = 'model: {type: mlp}\ndata: {source: mnist}\noptimizer: {name: sgd, learning_rate: 0.1}\nbatch_size: 32\nbatch_schedule:\n';
  const notIncreasing = parseTrainingConfig(head + '  kind: step\n  at_steps: [100, 300, 200]\n', 'train.yaml').diagnostics;
  assert.equal(notIncreasing.length, 1);
  assert.deepEqual([notIncreasing[0].line, notIncreasing[0].column], [7, 24], 'points at the 200');
  assert.match(notIncreasing[0].message, /at_steps must be strictly increasing/);
  const fromTo = parseTrainingConfig(head + '  kind: linear_ramp\n  from: 512\n  to: 64\n  over_samples: 1000\n', 'train.yaml').diagnostics;
  assert.deepEqual(
    fromTo.map((d) => [d.line, d.column]),
    [[7, 9]],
  );
  assert.match(fromTo[0].message, /from \(512\) must not be larger than to \(64\)/);
  const { readFileSync } = await import('node:fs');
  const example = 'examples/mnist-adaptive.yaml';
  const ok = parseTrainingConfig(readFileSync(example, 'utf8'), example);
  assert.deepEqual(ok.diagnostics, [], 'the shipped example validates');
  assert.equal(ok.config?.batch_schedule?.kind, 'adaptive');
});

// One validator: a config file, a message from the panel or the sidebar, and the panel's schedule
// editor reject the same malformed schedules with the same words.
const MALFORMED: unknown[] = [
  42,
  { kind: 'cosine' },
  { every_steps: 10 },
  { kind: 'constant', factor: 2 },
  { kind: 'step', every_step: 10 },
  { kind: 'step' },
  { kind: 'step', at_steps: [10], every_steps: 5 },
  { kind: 'step', at_steps: [0] },
  { kind: 'step', at_steps: [100, 300, 200] },
  { kind: 'step', at_steps: [] },
  { kind: 'step', every_steps: 2.5 },
  { kind: 'step', every_steps: 10, factor: 1 },
  { kind: 'linear_ramp', from: 8 },
  { kind: 'linear_ramp', from: 512, to: 64, over_samples: 1000 },
  { kind: 'adaptive', min_batch_size: 256, max_batch_size: 64 },
  { kind: 'adaptive', allowed: [1024], max_batch_size: 512 },
  { kind: 'adaptive', allow_shrink: 'yes' },
  { kind: 'adaptive', smoothing: 1 },
];

test('config files, webview messages and the validator give the same message for each malformed schedule', async () => {
  const { parseTrainingConfig, validateTrainingConfig } = await import('../../src/core/config/parse');
  const { validatePanelMessage } = await import('../../src/core/webviewProtocol');
  const config = { model: { type: 'mlp' }, data: { source: 'mnist' }, optimizer: { name: 'sgd', learning_rate: 0.1 }, batch_size: 32 };
  const settings = { batchSize: 32, minBatchSize: 8, maxBatchSize: 1024, memoryLimitBytes: 2 ** 30, budgetSeconds: 60, lrRule: 'sqrt' };
  for (const schedule of MALFORMED) {
    const what = JSON.stringify(schedule);
    const expected = validateSchedule(schedule).map(scheduleProblemMessage);
    assert.ok(expected.length > 0, `${what} is rejected`);
    // A config in memory, and the same config as YAML text (flow style): messages at file:line:col.
    assert.deepEqual(
      validateTrainingConfig({ ...config, batch_schedule: schedule }).map((p) => p.message),
      expected,
      what,
    );
    const yaml = `${Object.entries(config)
      .map(([k, v]) => `${k}: ${JSON.stringify(v)}`)
      .join('\n')}\nbatch_schedule: ${what}\n`;
    const diagnostics = parseTrainingConfig(yaml, 'train.yaml').diagnostics;
    assert.deepEqual(diagnostics.map((d) => d.message).sort(), [...expected].sort(), what);
    assert.ok(
      diagnostics.every((d) => d.line === 5),
      `${what}: every diagnostic is on the batch_schedule line`,
    );
    // Every webview message that carries a schedule: its first problem, after the message type.
    for (const message of [
      { v: 1, type: 'trainOnce', batchSize: 32, schedule },
      { v: 1, type: 'apply', batchSize: 32, schedule },
      { v: 1, type: 'start', settings: { ...settings, schedule } },
      { v: 1, type: 'settingsChanged', settings: { ...settings, schedule } },
    ]) {
      const v = validatePanelMessage(message);
      assert.deepEqual(v, { ok: false, error: `${message.type}: ${expected[0]}` }, `${message.type} ${what}`);
    }
  }
});

test("the panel editor shows the validator's words under the field they concern", async () => {
  const { parseSchedule } = await import('../../webview/panel/scheduleSpec');
  const cases: Array<[Parameters<typeof parseSchedule>, unknown, string]> = [
    [['linear_ramp', { from: '512', to: '64', over_samples: '1000' }], { kind: 'linear_ramp', from: 512, to: 64, over_samples: 1000 }, 'from'],
    [['step', { at_steps: '100, 300, 200' }], { kind: 'step', at_steps: [100, 300, 200] }, 'at_steps'],
    [['step', { every_steps: '10', factor: '1' }], { kind: 'step', every_steps: 10, factor: 1 }, 'factor'],
    [['adaptive', { min_batch_size: '256', max_batch_size: '64' }], { kind: 'adaptive', min_batch_size: 256, max_batch_size: 64 }, 'min_batch_size'],
    [['linear_ramp', { from: '8' }], { kind: 'linear_ramp', from: 8 }, 'to'],
  ];
  for (const [args, spec, field] of cases) {
    const parsed = parseSchedule(...args);
    assert.equal(parsed.schedule, undefined);
    assert.equal(parsed.errors[field], validateSchedule(spec)[0].message, JSON.stringify(spec));
  }
});

test('unknown keys point at the key and suggest the closest known one', () => {
  const [p] = validateSchedule({ kind: 'step', every_step: 10 });
  assert.deepEqual([p.path, p.at], [['every_step'], 'key']);
  assert.match(p.message, /unknown key "every_step" for kind step; did you mean "every_steps"\?/);
  assert.equal(scheduleProblemMessage(p), `batch_schedule: ${p.message}`);
  assert.equal(
    scheduleProblemMessage({ path: ['from'], message: 'from (2) must not be larger than to (1)' }),
    'batch_schedule.from (2) must not be larger than to (1)',
  );
});
