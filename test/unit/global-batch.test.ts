// The global batch (micro x accumulation x world) read from the key families people use, in every
// format, and written back so the family's invariant holds; bad input stops with file:line:col.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  ConfigError,
  effectiveGlobalBatchLabel,
  parseTrainingConfig,
  readGlobalBatch,
  solveGlobalBatch,
  withGlobalBatch,
  type GlobalBatchReading,
  type KeyMatch,
} from '../../src/core/config';

const dir = join(__dirname, '..', 'fixtures', 'global-batch');
const read = (name: string) => readFileSync(join(dir, name), 'utf8');

/** 1-based line:column of `needle` (which must occur once) plus `skip` characters. */
function where(text: string, needle: string, skip = 0): string {
  const i = text.indexOf(needle);
  assert.ok(i >= 0 && text.indexOf(needle, i + 1) < 0, `text must contain ${JSON.stringify(needle)} exactly once`);
  const before = text.slice(0, i + skip).split('\n');
  return `${before.length}:${before[before.length - 1].length + 1}`;
}

/** key as written = value as written, with the recorded line/character checked against the text. */
function site(text: string, m: KeyMatch | undefined): string | undefined {
  if (!m) return undefined;
  const lines = text.slice(0, m.keyOffset).split('\n');
  assert.equal(m.line, lines.length - 1);
  assert.equal(m.character, lines[lines.length - 1].length);
  return `${text.substr(m.keyOffset, m.keyLength)}=${text.substr(m.valueOffset, m.valueLength)}`;
}

function numbers(r: GlobalBatchReading | undefined) {
  assert.ok(r);
  return { family: r.family, micro: r.micro, accumulation: r.accumulation, world: r.world, worldFrom: r.worldFrom, global: r.global };
}

function errorOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof ConfigError, `expected a ConfigError, got ${String(e)}`);
    return e.message;
  }
  assert.fail('expected an error');
}

test('invariant solver: fills the one unknown, refuses numbers that disagree or do not divide', () => {
  assert.deepEqual(solveGlobalBatch({ micro: 32, accumulation: 4, world: 2 }).q.global, 256);
  assert.equal(solveGlobalBatch({ global: 256, micro: 32, accumulation: 4 }).q.world, 2);
  assert.equal(solveGlobalBatch({ global: 256, accumulation: 4, world: 2 }).q.micro, 32);
  assert.equal(solveGlobalBatch({ global: 256, micro: 32, world: 2 }).q.accumulation, 4);
  assert.deepEqual(solveGlobalBatch({ global: 100, micro: 32, accumulation: 4 }).error, { indivisible: 'world' });
  assert.equal(solveGlobalBatch({ global: 256, micro: 32, accumulation: 4, world: 3 }).error, 'clash');
  assert.deepEqual(solveGlobalBatch({ global: 256, micro: 32 }), { q: { global: 256, micro: 32 } });
});

test('DeepSpeed: three numbers give the world size; the sites and the optimizer lr at their places', () => {
  const text = read('ds_zero2.json');
  const r = readGlobalBatch(text, 'json', 'ds_zero2.json');
  assert.deepEqual(numbers(r), { family: 'deepspeed', micro: 16, accumulation: 8, world: 4, worldFrom: 'derived', global: 512 });
  assert.equal(site(text, r!.sites.global?.key), '"train_batch_size"=512');
  assert.equal(site(text, r!.sites.micro?.key), '"train_micro_batch_size_per_gpu"=16');
  assert.equal(site(text, r!.sites.accumulation?.key), '"gradient_accumulation_steps"=8');
  assert.equal(site(text, r!.learningRate), '"lr"=0.0003');
  assert.deepEqual(r!.problems, []);
  assert.equal(effectiveGlobalBatchLabel(r!), 'global 512 = 16 x 8 acc x 4 workers (from train_batch_size)');
  // The world size the run will have is checked against the file.
  assert.deepEqual(readGlobalBatch(text, 'json', 'ds_zero2.json', { worldSize: 4 })!.problems, []);
  const wrong = readGlobalBatch(text, 'json', 'ds_zero2.json', { worldSize: 2 })!;
  assert.deepEqual(
    wrong.problems.map((p) => `${p.line}:${p.column} ${p.message}`),
    [
      `${where(text, '512')} train_batch_size (512) must equal train_micro_batch_size_per_gpu x gradient_accumulation_steps x the world size = 16 x 8 x 2 = 256; change one of them so that they agree`,
    ],
  );
  assert.match(effectiveGlobalBatchLabel(wrong), /^global batch: inconsistent \(line 2: train_batch_size \(512\) must equal/);
});

test('DeepSpeed: two of three (JSONC), one alone, "auto", and numbers no world size can make consistent', () => {
  const two = read('ds_two_keys.jsonc');
  assert.deepEqual(numbers(readGlobalBatch(two, 'ds.jsonc', 'ds.jsonc')), {
    family: 'deepspeed',
    micro: 64,
    accumulation: 4,
    world: 1,
    worldFrom: 'assumed',
    global: 256,
  });
  assert.deepEqual(numbers(readGlobalBatch(two, 'ds.jsonc', 'ds.jsonc', { worldSize: 2 })), {
    family: 'deepspeed',
    micro: 32,
    accumulation: 4,
    world: 2,
    worldFrom: 'given',
    global: 256,
  });
  const three = readGlobalBatch(two, 'ds.jsonc', 'ds.jsonc', { worldSize: 3 })!;
  assert.deepEqual(
    three.problems.map((p) => `${p.file}:${p.line}:${p.column}: ${p.message}`),
    [
      `ds.jsonc:${where(two, '256,')}: train_batch_size (256) is not a multiple of gradient_accumulation_steps x the world size = 4 x 3 = 12, so train_micro_batch_size_per_gpu would not be a whole number; change one of them`,
    ],
  );

  const alone = '{ "train_batch_size": 64, "zero_optimization": { "stage": 1 } }';
  assert.deepEqual(numbers(readGlobalBatch(alone, 'json', 'a.json', { worldSize: 4 })), {
    family: 'deepspeed',
    micro: 16,
    accumulation: 1,
    world: 4,
    worldFrom: 'given',
    global: 64,
  });
  // train_batch_size with nothing of DeepSpeed's beside it is one plain batch size.
  assert.equal(readGlobalBatch('{ "train_batch_size": 64 }', 'json', 'a.json')!.family, 'plain');

  // In a script that also has TrainingArguments, an all-"auto" DeepSpeed dict defers to them.
  const script =
    'ds = {"train_batch_size": "auto", "gradient_accumulation_steps": "auto", "zero_optimization": {"stage": 2}}\nargs = TrainingArguments(per_device_train_batch_size=8, gradient_accumulation_steps=2, deepspeed=ds)\n';
  assert.deepEqual(numbers(readGlobalBatch(script, 'python', 't.py', { worldSize: 2 })), {
    family: 'hf',
    micro: 8,
    accumulation: 2,
    world: 2,
    worldFrom: 'given',
    global: 32,
  });

  const auto = readGlobalBatch(read('ds_hf_auto.json'), 'json', 'ds_hf_auto.json')!;
  assert.equal(auto.family, 'deepspeed');
  assert.deepEqual([auto.micro, auto.accumulation, auto.global, auto.problems], [undefined, undefined, undefined, []]);
  assert.deepEqual(
    Object.values(auto.sites).map((s) => s.value),
    ['auto', 'auto', 'auto'],
  );
  assert.equal(effectiveGlobalBatchLabel(auto), 'global auto = auto x auto acc x 1 worker (assumed)');

  const bad = '{\n  "train_batch_size": 100,\n  "train_micro_batch_size_per_gpu": 32,\n  "gradient_accumulation_steps": 4\n}';
  assert.deepEqual(
    readGlobalBatch(bad, 'json', 'bad.json')!.problems.map((p) => `${p.line}:${p.column} ${p.message}`),
    [
      '2:23 train_batch_size (100) is not a multiple of train_micro_batch_size_per_gpu x gradient_accumulation_steps = 32 x 4 = 128, so the number of workers would not be a whole number; change one of them',
    ],
  );
});

test('HF, Lightning, our format and a plain key, in YAML, TOML and Python', () => {
  const hf = read('hf_sft.yaml');
  const h = readGlobalBatch(hf, 'yaml', 'hf_sft.yaml', { worldSize: 8 })!;
  assert.deepEqual(numbers(h), { family: 'hf', micro: 8, accumulation: 4, world: 8, worldFrom: 'given', global: 256 });
  assert.equal(site(hf, h.learningRate), 'learning_rate=2.0e-5');
  assert.equal(effectiveGlobalBatchLabel(h), 'global 256 = 8 x 4 acc x 8 workers');

  const pl = read('lightning_cli.yaml');
  const l = readGlobalBatch(pl, 'yaml', 'lightning_cli.yaml')!;
  assert.deepEqual(numbers(l), { family: 'lightning', micro: 32, accumulation: 4, world: 4, worldFrom: 'config', global: 512 });
  assert.deepEqual(
    [site(pl, l.sites.micro?.key), site(pl, l.sites.devices?.key), site(pl, l.sites.nodes?.key), site(pl, l.learningRate)],
    ['batch_size=32', 'devices=[0, 1]', 'num_nodes=2', 'lr=0.001'],
  );
  assert.equal(effectiveGlobalBatchLabel(l), 'global 512 = 32 x 4 acc x 4 workers');
  const blockList = 'trainer:\n  devices:\n    - 0\n    - 1\n    - 2\n  accumulate_grad_batches: 2\ndata:\n  batch_size: 8\n';
  assert.equal(readGlobalBatch(blockList, 'yaml', 'l.yaml')!.global, 48);
  const autoDevices = readGlobalBatch('trainer:\n  devices: auto\ndata:\n  batch_size: 32\n', 'yaml', 'l.yaml')!;
  assert.deepEqual(numbers(autoDevices), { family: 'lightning', micro: 32, accumulation: 1, world: undefined, worldFrom: 'unknown', global: undefined });
  assert.equal(effectiveGlobalBatchLabel(autoDevices), 'global ? = 32 x 1 acc x auto workers');

  const ours = readGlobalBatch(read('mnist_accumulate.yaml'), 'yaml', 'mnist_accumulate.yaml')!;
  assert.deepEqual(numbers(ours), { family: 'batch-tuner', micro: 64, accumulation: 4, world: 1, worldFrom: 'one-process', global: 256 });
  assert.equal(effectiveGlobalBatchLabel(ours), 'global 256 = 64 x 4 acc x 1 worker (the built-in trainer)');

  const toml = read('train_accelerate.toml');
  const t = readGlobalBatch(toml, 'toml', 'train_accelerate.toml')!;
  assert.deepEqual(numbers(t), { family: 'hf', micro: 4, accumulation: 1, world: 1, worldFrom: 'assumed', global: 4 });
  assert.equal(site(toml, t.learningRate), 'learning_rate=1e-4');

  const hfPy = read('train_hf.py');
  const p = readGlobalBatch(hfPy, 'python', 'train_hf.py')!;
  assert.deepEqual(numbers(p), { family: 'hf', micro: 16, accumulation: 1, world: 1, worldFrom: 'assumed', global: 16 });
  assert.equal(site(hfPy, p.sites.micro?.key), 'per_device_train_batch_size=16');
  assert.equal(site(hfPy, p.learningRate), 'learning_rate=5e-5');

  const plPy = read('train_lightning.py');
  const q = readGlobalBatch(plPy, 'python', 'train_lightning.py')!;
  assert.deepEqual(numbers(q), { family: 'lightning', micro: 64, accumulation: 2, world: 2, worldFrom: 'config', global: 256 });
  assert.deepEqual(
    [site(plPy, q.sites.micro?.key), site(plPy, q.sites.devices?.key), site(plPy, q.learningRate)],
    ['"--batch-size"=64', 'devices=2', '"--lr"=0.01'],
  );

  const plain = readGlobalBatch('BATCH_SIZE = 64  # per process\n', 'python', 'train.py')!;
  assert.deepEqual(numbers(plain), { family: 'plain', micro: 64, accumulation: 1, world: 1, worldFrom: 'assumed', global: 64 });
  assert.equal(readGlobalBatch('epochs: 3\n', 'yaml', 'x.yaml'), undefined);
});

test('values that cannot be used are problems at the value, with what to write instead', () => {
  const text = 'per_device_train_batch_size: 8\ngradient_accumulation_steps: 2.5\n';
  assert.deepEqual(
    readGlobalBatch(text, 'yaml', 'hf.yaml')!.problems.map((p) => `${p.line}:${p.column} ${p.message}`),
    ['2:30 gradient_accumulation_steps must be a whole number >= 1 (got 2.5); fix the value'],
  );
  const auto = 'per_device_train_batch_size: auto\n';
  assert.match(
    readGlobalBatch(auto, 'yaml', 'hf.yaml')!.problems[0].message,
    /per_device_train_batch_size must be a whole number >= 1 here \("auto" is DeepSpeed's/,
  );
  const devices = 'trainer:\n  devices: 2\n  accumulate_grad_batches: 2\ndata:\n  batch_size: 8\n';
  assert.deepEqual(
    readGlobalBatch(devices, 'yaml', 'l.yaml', { worldSize: 4 })!.problems.map((p) => `${p.line}:${p.column} ${p.message}`),
    ['2:12 the file runs on devices x num_nodes = 2 workers, but the world size is 4; change devices/num_nodes or the world size so they agree'],
  );
});

test('Apply, DeepSpeed: every present key changes together; comments and layout stay', () => {
  const text = read('ds_zero2.json');
  const out = withGlobalBatch(text, 'ds_zero2.json', { micro: 32, accumulation: 2, learningRate: 0.0006 });
  // The file's own world size (4, from its three numbers) is kept: 32 x 2 x 4 = 256.
  assert.equal(
    out.text,
    text
      .replace('"train_batch_size": 512', '"train_batch_size": 256')
      .replace('"train_micro_batch_size_per_gpu": 16', '"train_micro_batch_size_per_gpu": 32')
      .replace('"gradient_accumulation_steps": 8', '"gradient_accumulation_steps": 2')
      .replace('"lr": 0.0003', '"lr": 0.0006'),
  );
  assert.equal(out.edits.length, 4);
  assert.deepEqual(out.added, []);
  assert.deepEqual(numbers(out.reading), { family: 'deepspeed', micro: 32, accumulation: 2, world: 4, worldFrom: 'given', global: 256 });

  const two = read('ds_two_keys.jsonc');
  const o2 = withGlobalBatch(two, 'ds.jsonc', { micro: 16, accumulation: 8, world: 4 });
  assert.equal(
    o2.text,
    two
      .replace('"train_batch_size": 256, // global', '"train_batch_size": 512, // global')
      .replace('"gradient_accumulation_steps": 4', '"gradient_accumulation_steps": 8'),
  );

  // One key alone means accumulation 1 to DeepSpeed: accumulation 8 needs the key, and says so.
  const alone = '{\n  "train_batch_size": 64,\n  "fp16": { "enabled": true }\n}\n';
  const o3 = withGlobalBatch(alone, 'ds.json', { micro: 16, accumulation: 8, world: 2 });
  assert.equal(o3.text, '{\n  "train_batch_size": 256,\n  "fp16": { "enabled": true },\n  "gradient_accumulation_steps": 8\n}\n');
  assert.deepEqual(
    o3.added.map((a) => [a.key, a.value]),
    [['gradient_accumulation_steps', 8]],
  );
  assert.match(o3.added[0].why, /only when train_batch_size and train_micro_batch_size_per_gpu are both given/);
  // ... and accumulation 1 adds nothing.
  assert.deepEqual(withGlobalBatch(alone, 'ds.json', { micro: 16, accumulation: 1, world: 2 }).added, []);
  // train_batch_size counts all GPUs: with no world size from the file or the caller, nothing is guessed.
  assert.equal(
    errorOf(() => withGlobalBatch(alone, 'ds.json', { micro: 16, accumulation: 8 })),
    'ds.json:2:23: error: train_batch_size counts the samples of all GPUs, and neither this file nor the recommendation says how many GPUs the run has; give the world size (the number of data-parallel workers)',
  );
});

test('Apply, DeepSpeed: inconsistent numbers, "auto" and non-numbers stop everything with file:line:col', () => {
  const bad = '{\n  "train_batch_size": 100,\n  "train_micro_batch_size_per_gpu": 32,\n  "gradient_accumulation_steps": 4\n}';
  assert.match(
    errorOf(() => withGlobalBatch(bad, 'cfg/ds.json', { micro: 8, accumulation: 2 })),
    /^cfg\/ds\.json:2:23: error: train_batch_size \(100\) is not a multiple of/,
  );
  const auto = read('ds_hf_auto.json');
  assert.equal(
    errorOf(() => withGlobalBatch(auto, 'ds_hf_auto.json', { micro: 8, accumulation: 2 })),
    `ds_hf_auto.json:${where(auto, '"train_batch_size": "auto"', 20)}: error: DeepSpeed's batch keys are all "auto": the Hugging Face Trainer fills them in from TrainingArguments; apply to per_device_train_batch_size and gradient_accumulation_steps there instead`,
  );
  const mixed = '{\n  "train_batch_size": 64,\n  "train_micro_batch_size_per_gpu": "auto",\n  "bf16": {}\n}';
  assert.match(
    errorOf(() => withGlobalBatch(mixed, 'ds.json', { micro: 8, accumulation: 2 })),
    /^ds\.json:3:37: error: train_micro_batch_size_per_gpu is "auto" while train_batch_size is a number/,
  );
  const text = '{ "train_batch_size": "${BS}", "gradient_accumulation_steps": 2, "fp16": {} }';
  assert.match(
    errorOf(() => withGlobalBatch(text, 'ds.json', { micro: 8, accumulation: 2 })),
    /^ds\.json:1:23: error: train_batch_size must be a whole number >= 1 or "auto" \(got "\$\{BS\}"\)/,
  );
  assert.throws(() => withGlobalBatch(text, 'ds.json', { micro: 0, accumulation: 2 }), /micro must be a whole number >= 1 \(got 0\)/);
});

test('Apply, HF and Lightning: per-device batch and accumulation; the hardware is never changed', () => {
  const hf = read('hf_sft.yaml');
  const o = withGlobalBatch(hf, 'hf_sft.yaml', { micro: 4, accumulation: 8, world: 8, learningRate: 3e-5 });
  assert.equal(
    o.text,
    hf
      .replace('per_device_train_batch_size: 8   # per GPU', 'per_device_train_batch_size: 4   # per GPU')
      .replace('gradient_accumulation_steps: 4', 'gradient_accumulation_steps: 8')
      .replace('learning_rate: 2.0e-5', 'learning_rate: 0.00003'),
  );
  assert.equal(o.reading.global, 256);

  const py = read('train_hf.py');
  const p = withGlobalBatch(py, 'train_hf.py', { micro: 8, accumulation: 2 });
  assert.equal(p.text, py.replace('per_device_train_batch_size=16,  # per GPU', 'per_device_train_batch_size=8, gradient_accumulation_steps=2,  # per GPU'));
  assert.deepEqual(
    p.added.map((a) => a.key),
    ['gradient_accumulation_steps'],
  );

  const toml = read('train_accelerate.toml');
  const t = withGlobalBatch(toml, 'train_accelerate.toml', { micro: 2, accumulation: 2 });
  assert.equal(
    t.text,
    toml.replace('per_device_train_batch_size = 4 # per process\n', 'per_device_train_batch_size = 2 # per process\ngradient_accumulation_steps = 2\n'),
  );

  const argparse = 'p.add_argument("--per_device_train_batch_size", type=int, default=4)\n';
  const argparseError = errorOf(() => withGlobalBatch(argparse, 'train.py', { micro: 2, accumulation: 2 }));
  assert.ok(argparseError.startsWith(`train.py:${where(argparse, '4)')}: error: gradient_accumulation_steps must be set to 2 `), argparseError);
  assert.match(argparseError, /add it beside --per_device_train_batch_size yourself$/);

  const pl = read('lightning_cli.yaml');
  const l = withGlobalBatch(pl, 'lightning_cli.yaml', { micro: 16, accumulation: 8 });
  assert.equal(l.text, pl.replace('accumulate_grad_batches: 4   #', 'accumulate_grad_batches: 8   #').replace('batch_size: 32', 'batch_size: 16'));
  assert.equal(l.reading.global, 512); // 16 x 8 x (2 devices x 2 nodes)
  assert.equal(
    errorOf(() => withGlobalBatch(pl, 'lightning_cli.yaml', { micro: 16, accumulation: 8, world: 8 })),
    `lightning_cli.yaml:${where(pl, '[0, 1]')}: error: the file runs on devices x num_nodes = 4 workers but the batch was chosen for 8; Batch Tuner does not change the hardware a run asks for: change devices/num_nodes yourself, or tune for 4 workers`,
  );
  const noAcc = 'trainer:\n  devices: 2 # two GPUs\ndata:\n  batch_size: 32\n';
  assert.equal(
    withGlobalBatch(noAcc, 'l.yaml', { micro: 8, accumulation: 4 }).text,
    'trainer:\n  devices: 2 # two GPUs\n  accumulate_grad_batches: 4\ndata:\n  batch_size: 8\n',
  );

  const plPy = read('train_lightning.py');
  const lp = withGlobalBatch(plPy, 'train_lightning.py', { micro: 32, accumulation: 4, learningRate: 0.02 });
  assert.equal(
    lp.text,
    plPy.replace('default=64', 'default=32').replace('accumulate_grad_batches=2', 'accumulate_grad_batches=4').replace('default=0.01', 'default=0.02'),
  );
});

test('Apply, our format: batch_size = micro_batch_size x accumulation_steps, checked by the config parser too', () => {
  const text = read('mnist_accumulate.yaml');
  assert.deepEqual(parseTrainingConfig(text, join(dir, 'mnist_accumulate.yaml')).diagnostics, []);
  const o = withGlobalBatch(text, 'mnist_accumulate.yaml', { micro: 32, accumulation: 16, learningRate: 0.002 });
  assert.equal(
    o.text,
    text
      .replace('batch_size: 256', 'batch_size: 512')
      .replace('micro_batch_size: 64', 'micro_batch_size: 32')
      .replace('accumulation_steps: 4', 'accumulation_steps: 16')
      .replace('learning_rate: 0.001', 'learning_rate: 0.002'),
  );
  assert.deepEqual(parseTrainingConfig(o.text, join(dir, 'mnist_accumulate.yaml')).diagnostics, []);
  assert.ok(
    errorOf(() => withGlobalBatch(text, 'c.yaml', { micro: 32, accumulation: 2, world: 2 })).startsWith(
      `c.yaml:${where(text, 'batch_size: 256', 12)}: error: the built-in trainer runs one process, so the world size must be 1 (got 2)`,
    ),
  );

  const bare = 'model: {type: mlp}\ndata: {source: mnist}\noptimizer: {name: adam, learning_rate: 0.001}\nbatch_size: 64\n';
  const b = withGlobalBatch(bare, 'c.yaml', { micro: 64, accumulation: 4 });
  assert.equal(b.text, bare.replace('batch_size: 64', 'batch_size: 256') + 'accumulation_steps: 4\n');
  assert.deepEqual(withGlobalBatch(bare, 'c.yaml', { micro: 128, accumulation: 1 }).text, bare.replace('batch_size: 64', 'batch_size: 128'));

  // The schema check: the split must multiply out, at the key to fix.
  const wrong = text.replace('micro_batch_size: 64', 'micro_batch_size: 32');
  const d = parseTrainingConfig(wrong, join(dir, 'mnist_accumulate.yaml')).diagnostics;
  assert.deepEqual(
    d.map((x) => `${x.line}:${x.column} ${x.severity} ${x.message}`),
    [`${where(wrong, '32\n')} error batch_size (256) must equal micro_batch_size x accumulation_steps = 32 x 4 = 128; change one of them so that they agree`],
  );
  const uneven = 'model: {type: mlp}\ndata: {source: mnist}\noptimizer: {name: adam, learning_rate: 0.001}\nbatch_size: 100\nmicro_batch_size: 48\n';
  assert.deepEqual(
    parseTrainingConfig(uneven, 'u.yaml').diagnostics.map((x) => `${x.line}:${x.column} ${x.message}`),
    ['5:19 batch_size (100) is not a multiple of micro_batch_size = 48, so accumulation_steps would not be a whole number; change one of them'],
  );
});

test('Apply, a plain key: the micro-batch, and no accumulation it cannot write', () => {
  const text = 'BATCH_SIZE = 64  # per process\n';
  assert.equal(withGlobalBatch(text, 'train.py', { micro: 128, accumulation: 1 }).text, 'BATCH_SIZE = 128  # per process\n');
  assert.match(
    errorOf(() => withGlobalBatch(text, 'train.py', { micro: 32, accumulation: 2 })),
    /^train\.py:1:14: error: BATCH_SIZE is the only batch key here \(no gradient-accumulation key\), so accumulation 2 cannot be written/,
  );
  assert.match(
    errorOf(() => withGlobalBatch('epochs: 3\n', 'x.yaml', { micro: 32, accumulation: 2 })),
    /^x\.yaml:1:1: error: no batch-size key found/,
  );
});

test('Apply then read back: the invariant holds for every family and split', () => {
  const files = [
    'ds_zero2.json',
    'ds_two_keys.jsonc',
    'hf_sft.yaml',
    'lightning_cli.yaml',
    'train_hf.py',
    'train_lightning.py',
    'train_accelerate.toml',
    'mnist_accumulate.yaml',
  ];
  for (const f of files) {
    const text = read(f);
    const before = readGlobalBatch(text, f, f)!;
    // Where the file does not say the world size, the caller does.
    const world = before.worldFrom === 'assumed' ? 2 : undefined;
    for (const [micro, accumulation] of [
      [1, 1],
      [8, 3],
      [64, 16],
    ]) {
      const out = withGlobalBatch(text, f, { micro, accumulation, world });
      const w = world ?? before.world!;
      const after = readGlobalBatch(out.text, f, f, before.family === 'batch-tuner' ? {} : { worldSize: w })!;
      assert.deepEqual(
        [after.family, after.micro, after.accumulation, after.global, after.problems.length],
        [before.family, micro, accumulation, micro * accumulation * w, 0],
        `${f} ${micro}x${accumulation}`,
      );
    }
  }
});
