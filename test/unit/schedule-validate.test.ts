// validateSchedule: bad parameters give messages that say what is wrong, where, and what to do.
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { validateSchedule } from '../../src/core/schedule/validate';

const paths = (x: unknown) => validateSchedule(x).map((p) => p.path.join('.'));
const messages = (x: unknown) => validateSchedule(x).map((p) => p.message).join('\n');

test('valid schedules have no problems', () => {
  for (const s of [
    { kind: 'constant' },
    { kind: 'step', at_steps: [100, 200], factor: 2, max_batch_size: 512 },
    { kind: 'step', at_epochs: [1, 3] },
    { kind: 'step', every_steps: 50 },
    { kind: 'linear_ramp', from: 32, to: 512, over_samples: 100000 },
    { kind: 'adaptive', every_steps: 25, min_batch_size: 16, max_batch_size: 512 },
    { kind: 'adaptive', allowed: [32, 96, 256], allow_shrink: true, smoothing: 0.8 },
  ]) assert.deepEqual(validateSchedule(s), [], JSON.stringify(s));
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
  assert.deepEqual(p.map((x) => x.path), [['at_steps', '2']]);
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
  assert.deepEqual(fromTo.map((d) => [d.line, d.column]), [[7, 9]]);
  assert.match(fromTo[0].message, /from \(512\) must not be larger than to \(64\)/);
  const { readFileSync } = await import('node:fs');
  const example = 'examples/mnist-adaptive.yaml';
  const ok = parseTrainingConfig(readFileSync(example, 'utf8'), example);
  assert.deepEqual(ok.diagnostics, [], 'the shipped example validates');
  assert.equal(ok.config?.batch_schedule?.kind, 'adaptive');
});
